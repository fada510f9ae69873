import {withRemedy} from '../remedy.js'

import type {Host} from '../../host/host.js'
import {
  type EffectiveSetting,
  effectiveSettings,
  lookupSetting,
  PMPROXY_CONF,
  PMPROXY_RUN_DIR,
  pmproxyConfPaths,
  type PmproxyConfFile,
  readPmproxyConfs,
} from '../../parsers/pmproxy-conf.js'
import {
  atoi,
  parsePmproxyOptions,
  parsePmproxySysconfig,
  PMPROXY_OPTIONS,
  PMPROXY_SYSCONFIG,
  type PmproxyOptions,
  type PmproxySysconfig,
} from '../../parsers/pmproxy-options.js'
import {parseTlsConf, TLS_CONF_PATH} from '../../parsers/tls-conf.js'
import {formatMode} from '../files/modes.js'
import {type Finding, type Outcome, perHost} from '../family.js'
import {withPmproxyRemedies} from './remedies.js'
import {ipFamily} from '../../net/ip.js'

const SYSTEMD_DIR = '/etc/systemd/system'
const UNIT_PATHS = [
  `${SYSTEMD_DIR}/pmproxy.service`,
  '/usr/lib/systemd/system/pmproxy.service',
  '/lib/systemd/system/pmproxy.service',
]
const BINARIES = ['/usr/libexec/pcp/bin/pmproxy', '/usr/lib/pcp/bin/pmproxy']
const SYSV_RUNLEVELS = ['/etc/rc2.d', '/etc/rc3.d', '/etc/rc4.d', '/etc/rc5.d']

/** Whether pmproxy starts: never (masked), at boot (enabled), by hand only, or not known (no unit). */
export type Startup =
  | {kind: 'masked'; path: string}
  | {kind: 'enabled'; path: string}
  | {kind: 'manual'; path: string}
  | {kind: 'unknown'}

/** Where pmproxy accepts TCP connections, and the file that decided it. */
export interface Listening {
  scope: 'network' | 'loopback' | 'none'
  description: string
  path?: string
}

export interface PmproxyAnalysis {
  /** The path that shows pmproxy is installed. */
  evidence: string
  /** The files pmproxy reads in order, present or not. */
  files: PmproxyConfFile[]
  startup: Startup
  listening: Listening
}

async function firstExisting(host: Host, paths: readonly string[]): Promise<string | undefined> {
  for (const path of paths) if (await host.exists(path)) return path
  return undefined
}

async function startupOf(host: Host): Promise<Startup> {
  for (const path of UNIT_PATHS) {
    const link = await host.readlink(path)
    if (link.ok && link.value === '/dev/null') return {kind: 'masked', path}
  }
  const units = await host.list(SYSTEMD_DIR)
  for (const name of units.ok ? units.value.filter((n) => n.endsWith('.wants')) : []) {
    const path = `${SYSTEMD_DIR}/${name}/pmproxy.service`
    if (await host.exists(path)) return {kind: 'enabled', path}
  }
  for (const dir of SYSV_RUNLEVELS) {
    const names = await host.list(dir)
    const link = names.ok ? names.value.find((n) => /^S\d\dpmproxy$/.test(n)) : undefined
    if (link) return {kind: 'enabled', path: `${dir}/${link}`}
  }
  const unit = await firstExisting(host, UNIT_PATHS)
  return unit ? {kind: 'manual', path: unit} : {kind: 'unknown'}
}

const LOOPBACK = (address: string) =>
  address === 'INADDR_LOOPBACK' ||
  address === '::1' ||
  (ipFamily(address) === 4 && address.startsWith('127.'))

/**
 * Where pmproxy listens (src/pmproxy/src/pmproxy.c, server.c): on every -i address, plus the
 * loopback interface when PMPROXY_LOCAL is a non-zero number (atoi), or on every interface when
 * neither is given. Non-numeric -i names are skipped by pmproxy, so they open nothing. Nothing
 * listens when the rc script stops or pmproxy rejects its command line.
 */
function listeningOf(
  options: PmproxyOptions | undefined,
  sysconfig: PmproxySysconfig | undefined,
): Listening {
  const stop = sysconfig?.shell === 'dash' ? sysconfig.problems[0] : undefined
  if (sysconfig && stop)
    return {scope: 'none', description: `nothing: ${stop.message} (line ${stop.line})`, path: sysconfig.path}
  const first = options?.problems[0]
  if (options && first)
    return {scope: 'none', description: `nothing: ${first.message} (line ${first.line})`, path: options.path}
  const local = sysconfig?.settings.findLast((s) => s.name === 'PMPROXY_LOCAL')
  const interfaces = (options?.options ?? []).filter((o) => o.option === 'i').map((o) => o.value ?? '')
  const localOn = local !== undefined && atoi(local.value) !== 0
  if (localOn) interfaces.push('INADDR_LOOPBACK')
  const optionsPath = options?.path ?? PMPROXY_OPTIONS
  if (interfaces.length === 0) {
    const why =
      sysconfig && local
        ? `PMPROXY_LOCAL=${local.value} (${sysconfig.path} line ${local.line})` +
          (/^["']/.test(local.value) ? ': the rc script keeps the quotes, so atoi reads 0' : '')
        : 'PMPROXY_LOCAL unset'
    return {
      scope: 'network',
      description: `every interface (no -i in ${optionsPath}, ${why})`,
      ...(sysconfig && local ? {path: sysconfig.path} : {}),
    }
  }
  const open = interfaces.filter((a) => a === 'INADDR_ANY' || (ipFamily(a) !== 0 && !LOOPBACK(a)))
  if (open.length > 0)
    return {scope: 'network', description: `${open.join(', ')} (-i in ${optionsPath})`, path: optionsPath}
  const loopback = interfaces.filter(LOOPBACK)
  if (loopback.length > 0 && sysconfig && local && localOn)
    return {
      scope: 'loopback',
      description: `loopback only (PMPROXY_LOCAL=${local.value})`,
      path: sysconfig.path,
    }
  if (loopback.length > 0)
    return {scope: 'loopback', description: `loopback only (-i ${loopback.join(', -i ')})`, path: optionsPath}
  return {
    scope: 'none',
    description: `no TCP port: pmproxy skips the non-numeric -i ${interfaces.join(', ')}`,
    path: optionsPath,
  }
}

/** $PCP_SYSCONFIG_DIR/pmproxy, the only place rc_pmproxy takes PMPROXY_* variables from. */
async function readSysconfig(host: Host): Promise<PmproxySysconfig | undefined> {
  const path = await firstExisting(host, PMPROXY_SYSCONFIG)
  const text = path ? await host.readText(path) : undefined
  return path && text?.ok ? parsePmproxySysconfig(text.value, path) : undefined
}

/** Where pmproxy's Redis/Valkey password lives (redisSlotsInit in src/libpcp_web/src/slots.c). */
const PASSWORD_KEYS: readonly [string, string][] = [
  ['keys', 'password'],
  ['redis', 'password'],
  ['pmseries', 'auth.password'],
]
/** pmproxy runs as pcp: root and pcp may read its secrets. */
const SECRET_KEEPERS = ['root', 'pcp']

/** Plaintext passwords in a pmproxy.conf that someone besides root and pcp can read (PCP-PMPROXY-002). */
async function exposedPasswords(host: Host, files: readonly PmproxyConfFile[]): Promise<Finding[]> {
  const findings: Finding[] = []
  for (const file of files) {
    if (file.state !== 'present') continue
    const secrets = file.conf.settings.filter(
      (s) => s.value !== '' && PASSWORD_KEYS.some(([section, key]) => s.section === section && s.key === key),
    )
    const st = secrets.length > 0 ? await host.stat(file.path, {follow: true}) : undefined
    if (!st?.ok) continue
    const [owner = '', group = ''] = (await host.ownerOf(st.value)).split(':')
    const mode = st.value.mode
    const reader =
      mode & 0o004
        ? 'every user'
        : mode & 0o040 && !SECRET_KEEPERS.includes(group)
          ? `group ${group}`
          : mode & 0o400 && !SECRET_KEEPERS.includes(owner)
            ? `its owner ${owner}`
            : undefined
    if (!reader) continue
    for (const secret of secrets)
      findings.push({
        check: 'PCP-PMPROXY-002',
        path: file.path,
        line: secret.line,
        message: `[${secret.section}] ${secret.key} is a plaintext password in a file readable by ${reader}`,
        evidence: `${formatMode(mode)} ${owner}:${group}`,
        // pmproxy runs as pcp: root:pcp 0640 keeps it readable by pmproxy and by nobody else.
        ...withRemedy({kind: 'attrs', path: file.path, owner: 'root', group: 'pcp', mode: 0o640}),
      })
  }
  return findings
}

/**
 * pmproxy.conf files beside /etc/pcp/pmproxy/pmproxy.conf (PCP-PMPROXY-003): in pcp's home or in
 * the rc script's working directory, both writable by pcp, and read after the system file.
 */
async function overridingFiles(host: Host, files: readonly PmproxyConfFile[]): Promise<Finding[]> {
  const findings: Finding[] = []
  for (const file of files) {
    if (file.path === PMPROXY_CONF || file.state !== 'present') continue
    const st = await host.stat(file.path)
    const where = file.path.startsWith(`${PMPROXY_RUN_DIR}/`)
      ? `in ${PMPROXY_RUN_DIR}, the rc script's working directory, which user pcp can write`
      : 'in the home directory of user pcp, which pcp can write'
    findings.push({
      check: 'PCP-PMPROXY-003',
      path: file.path,
      message:
        `pmproxy reads this file ${where}; its settings override ${PMPROXY_CONF}, so anything running as pcp ` +
        "(pmcd's PMDAs, pmlogger, pmie) can reconfigure pmproxy",
      ...(st.ok ? {evidence: `${formatMode(st.value.mode)} ${await host.ownerOf(st.value)}`} : {}),
    })
  }
  return findings
}

/**
 * Whether pmproxy exits at start because TLS is on and has no usable certificate
 * (setup_secure_module in src/pmproxy/src/secure.c, PCP-PMPROXY-004). Missing files named by
 * tls.conf itself are PCP-TLS-002's.
 */
async function secureStartup(
  host: Host,
  settings: ReadonlyMap<string, EffectiveSetting>,
): Promise<Finding[]> {
  const option = lookupSetting(settings, 'pmproxy', 'secure.enabled')
  if (option && 'false'.startsWith(option.value)) return []
  const tlsText = await host.readText(TLS_CONF_PATH)
  const tls = tlsText.ok ? parseTlsConf(tlsText.value, TLS_CONF_PATH) : undefined
  if (!tls && option && !'true'.startsWith(option.value)) return []
  const legacy = {
    certificates: lookupSetting(settings, 'pmproxy', 'certificates'),
    private_key: lookupSetting(settings, 'pmproxy', 'private_key'),
    authority: lookupSetting(settings, 'pmproxy', 'authority'),
  }
  const compat =
    !tls ||
    ['certificates', 'private_key', 'authority', 'cipher_list', 'cipher_suites'].some(
      (key) => lookupSetting(settings, 'pmproxy', key) !== undefined,
    )
  // TLS from tls.conf alone: off without tls-cert-file, else PCP-TLS-002 judges its files.
  if (!compat) return []
  const certificate = legacy.certificates?.value ?? tls?.values['tls-cert-file']
  const key = legacy.private_key?.value ?? tls?.values['tls-key-file']
  const enabled = option
    ? `secure.enabled = ${option.value} (${option.file} line ${option.line})`
    : 'secure.enabled is not set (pmproxy then enables TLS)'
  const where = option ? {path: option.file, line: option.line} : {path: PMPROXY_CONF}
  if (!certificate || !key) {
    const missing = certificate ? 'private key' : 'certificate file'
    const source = tls
      ? `${TLS_CONF_PATH} and pmproxy.conf name no ${missing}`
      : `there is no ${TLS_CONF_PATH}`
    return [
      {
        check: 'PCP-PMPROXY-004',
        ...where,
        message: `${enabled} but ${source}: pmproxy exits at start ("no ${missing} found")`,
      },
    ]
  }
  const findings: Finding[] = []
  for (const [name, setting] of Object.entries(legacy)) {
    if (!setting) continue
    const st = await host.stat(setting.value, {follow: true})
    if (st.ok && st.value.type === 'file') continue
    findings.push({
      check: 'PCP-PMPROXY-004',
      path: setting.file,
      line: setting.line,
      message: `${name} ${setting.value} ${st.ok ? 'is not a regular file' : 'does not exist'}: with ${enabled}, pmproxy exits at start`,
    })
  }
  return findings
}

/** Keys hardening guides put in pmproxy.conf that pmproxy has no use for. */
const SEED_KEYS = ['bind', 'port', 'ssl_cert', 'ssl_key', 'ssl_ca']
const KNOWN_SECTIONS = ['pmproxy', 'keys', 'redis', 'pmseries', 'pmsearch', 'discover']

/** Settings pmproxy does not read, or reads otherwise than written (PCP-PMPROXY-005). */
function misreadSettings(files: readonly PmproxyConfFile[], options: PmproxyOptions | undefined): Finding[] {
  const findings: Finding[] = []
  for (const ignored of options?.ignored ?? []) {
    const variable = /^\s*PMPROXY_/.test(ignored.text)
      ? `: PMPROXY_* variables belong in ${PMPROXY_SYSCONFIG.join(' or ')}`
      : ''
    findings.push({
      check: 'PCP-PMPROXY-005',
      path: options?.path ?? PMPROXY_OPTIONS,
      line: ignored.line,
      message: `rc_pmproxy passes pmproxy only the lines that start with "-": it drops this one${variable}`,
      evidence: ignored.text.trim(),
    })
  }
  for (const file of files) {
    if (file.state !== 'present') continue
    const add = (line: number, message: string, evidence?: string) =>
      findings.push({
        check: 'PCP-PMPROXY-005',
        path: file.path,
        line,
        message,
        ...(evidence ? {evidence} : {}),
      })
    for (const problem of file.conf.problems) add(problem.line, problem.message)
    for (const section of file.conf.sections) {
      const known = KNOWN_SECTIONS.find((k) => k === section.name.trim().toLowerCase())
      if (known && known !== section.name)
        add(
          section.line,
          `pmproxy looks up [${known}], and section names are case- and blank-sensitive: it never reads [${section.name}]`,
        )
    }
    for (const s of file.conf.settings) {
      if (s.continuation) continue
      const text = `${s.key} = ${s.value}`
      if (s.section === '') add(s.line, `${s.key} comes before any [section]: pmproxy never reads it`, text)
      else if (SEED_KEYS.includes(s.key))
        add(
          s.line,
          `${s.key} is not a pmproxy setting: it protects nothing (pmproxy binds with -i in ${PMPROXY_OPTIONS} ` +
            'or PMPROXY_LOCAL=1, and takes TLS files from tls.conf)',
          text,
        )
      else if (
        s.section === 'pmproxy' &&
        (s.key === 'pcp.enabled' || s.key === 'http.enabled') &&
        s.value !== 'true'
      )
        add(
          s.line,
          `pmproxy never reads ${s.key}: it protects nothing, the ${s.key === 'pcp.enabled' ? 'PCP protocol proxy' : 'REST API'} stays on; ` +
            'keep pmproxy on loopback (PMPROXY_LOCAL=1) or behind a front end that authenticates instead',
          text,
        )
    }
  }
  return findings
}

/** pmproxy's installation and configuration, read once per host for every PCP-PMPROXY check. */
export const analyzePmproxy = perHost(async (host: Host): Promise<Outcome<PmproxyAnalysis>> => {
  const evidence = await firstExisting(host, [PMPROXY_CONF, PMPROXY_OPTIONS, ...UNIT_PATHS, ...BINARIES])
  if (!evidence) return {state: 'absent', reason: 'pmproxy is not installed under the root'}
  const optionsText = await host.readText(PMPROXY_OPTIONS)
  if (!optionsText.ok && !optionsText.missing)
    return {state: 'error', path: PMPROXY_OPTIONS, message: optionsText.message}
  const options = optionsText.ok ? parsePmproxyOptions(optionsText.value) : undefined
  // pmproxy runs as pcp and reads ~/.pmproxy.conf and ~/.pcp/pmproxy.conf of its home.
  const pcpHome = (await host.user('pcp'))?.home
  // -c with an absolute path replaces every other file (pmIniFileParse).
  const config = options?.options.findLast((o) => o.option === 'c')?.value
  const paths = config?.startsWith('/') ? [config] : pmproxyConfPaths(pcpHome)
  const files = await readPmproxyConfs(host, paths)
  const unreadable = files.find((f) => f.state === 'error')
  if (unreadable?.state === 'error')
    return {state: 'error', path: unreadable.path, message: unreadable.message}
  const settings = effectiveSettings(files.flatMap((f) => (f.state === 'present' ? [f.conf] : [])))
  const findings = await withPmproxyRemedies(host, [
    ...(await exposedPasswords(host, files)),
    ...(await overridingFiles(host, files)),
    ...(await secureStartup(host, settings)),
    ...misreadSettings(files, options),
  ])
  return {
    state: 'judged',
    findings,
    evidence,
    files,
    startup: await startupOf(host),
    listening: listeningOf(options, await readSysconfig(host)),
  }
})
