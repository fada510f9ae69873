import {InputError} from '../engine/errors.js'
import type {Account, AccountDb} from '../host/accounts.js'
import type {Host} from '../host/host.js'
import {parsePmcdOptions, PMCD_OPTIONS_PATH} from '../parsers/pmcd-options.js'
import {parsePmproxyConf, PMPROXY_CONF} from '../parsers/pmproxy-conf.js'
import {parseTlsConf, TLS_CONF_PATH, type TlsKey} from '../parsers/tls-conf.js'
import type {DirChange, FileChange} from '../render/writer.js'
import {renderTemplate} from '../render/templates.js'
import {weakCiphers} from '../render/values.js'

/** Where `tls write --monitor` puts the login-shell snippet by default. */
export const TLS_PROFILE_SCRIPT = '/etc/profile.d/pcp-tls.sh'

/** pmproxy.conf keys that override tls.conf for pmproxy (its pre-tls.conf settings). */
export const PMPROXY_LEGACY_TLS_KEYS = [
  'certificates',
  'private_key',
  'authority',
  'cipher_list',
  'cipher_suites',
]

export interface TlsWriteOptions {
  /** The collector's tls.conf (pmcd, pmproxy and local clients), or a monitoring user's. */
  role: 'collector' | 'monitor'
  /** Directory of the certificates and keys (host path). */
  dir: string
  /** The tls.conf to write (host path). */
  conf: string
  /** The monitoring user (role monitor): owns its tls.conf and must be able to read its key. */
  user?: Account
  ciphers?: string
  ciphersuites?: string
  /** Add -Q to pmcd.options: remote clients must present a certificate from the CA. */
  requireClientCerts: boolean
  /** Make pmproxy use tls.conf: secure.enabled = true, no legacy TLS keys in pmproxy.conf. */
  pmproxy: boolean
  /** The login-shell snippet a monitor gets (role monitor). */
  profileScript: string
  /** Render even when a named file is missing or unsafe (before the certificates are rolled out). */
  allowMissing: boolean
}

export interface TlsWritePlan {
  files: FileChange[]
  dirs: DirChange[]
  /** Lines for the user: what was checked, what was kept, what to do next. */
  notes: string[]
}

interface Setting {
  key: TlsKey
  value: string
  comment?: string
}

/** The files each role names, as `cert init` (collector) and `cert issue` (monitor) leave them. */
function settingsFor(options: TlsWriteOptions): Setting[] {
  const file = (name: string) => `${options.dir.replace(/\/+$/, '')}/${name}`
  const settings: Setting[] =
    options.role === 'collector'
      ? [
          {key: 'tls-ca-cert-file', value: file('ca.crt'), comment: 'The CA that signed the certificates'},
          {
            key: 'tls-cert-file',
            value: file('server.crt'),
            comment: "pmcd's and pmproxy's certificate and key",
          },
          {key: 'tls-key-file', value: file('server.key')},
          {
            key: 'tls-client-cert-file',
            value: file('client.crt'),
            comment: 'What PCP clients on this host present to a collector that requires one (pmcd -Q)',
          },
          {key: 'tls-client-key-file', value: file('client.key')},
        ]
      : [
          {
            key: 'tls-ca-cert-file',
            value: file('ca.crt'),
            comment: "The CA that signed the collector's certificate",
          },
          {
            key: 'tls-client-cert-file',
            value: file('client.crt'),
            comment: 'What this user presents to a collector that requires a certificate (pmcd -Q)',
          },
          {key: 'tls-client-key-file', value: file('client.key')},
        ]
  if (options.role === 'monitor' || options.requireClientCerts)
    settings.push({
      key: 'tls-verify-clients',
      value: 'true',
      comment:
        options.role === 'monitor'
          ? "Check the collector's certificate against the CA: PCP 6 clients do not, without this"
          : "Check certificates against the CA: pmcd the clients', this host's clients the collectors'",
    })
  if (options.ciphers)
    settings.push({key: 'tls-ciphers', value: options.ciphers, comment: 'Ciphers for TLS 1.2 and older'})
  if (options.ciphersuites)
    settings.push({
      key: 'tls-ciphersuites',
      value: options.ciphersuites,
      comment: 'Cipher suites for TLS 1.3',
    })
  for (const s of settings)
    if (/[\s#]/.test(s.value) || s.value === '')
      throw new InputError(
        `${s.key} "${s.value}": PCP keeps a tls.conf value only up to its first blank or "#"; give one without them`,
      )
  return settings
}

const roleLabel = (options: TlsWriteOptions) =>
  options.role === 'monitor' ? ` --monitor for ${options.user?.name ?? 'a monitoring user'}` : ''

/** The tls.conf text for the options, naming every file of the role. */
export function renderTlsConf(options: TlsWriteOptions): string {
  return renderTemplate('tls-conf', {role: roleLabel(options), settings: settingsFor(options)})
}

/** pmcd.options with -Q added on a line of its own (a trailing comment would stop pmcd), or unchanged. */
export function addPmcdOptionQ(
  text: string | undefined,
  path = PMCD_OPTIONS_PATH,
): {text: string; added: boolean} {
  const before = text ?? ''
  if (text !== undefined && parsePmcdOptions(text, path).options.some((o) => o.letter === 'Q'))
    return {text: before, added: false}
  const separator = before === '' || before.endsWith('\n') ? '' : '\n'
  return {
    text:
      `${before}${separator}# Written by pcp-harden tls write --require-client-certs: remote clients must\n` +
      '# present a certificate from the CA (tls.conf alone does not enforce it)\n-Q\n',
    added: true,
  }
}

/**
 * pmproxy.conf with `secure.enabled = true` in [pmproxy] (replacing every secure.enabled there) and
 * without the legacy TLS keys, which would override tls.conf; the other lines byte for byte.
 */
export function securePmproxyConf(
  text: string | undefined,
  path = PMPROXY_CONF,
): {text: string; removed: {line: number; text: string}[]} {
  const source = text ?? ''
  const conf = parsePmproxyConf(source, path)
  const lines = source.split('\n')
  const removed: {line: number; text: string}[] = []
  const drop = new Set<number>()
  let enabledAt: number | undefined
  const owned = conf.settings.filter((s) => s.section === 'pmproxy')
  for (const [index, s] of owned.entries()) {
    // A key's value may go on over indented lines that follow it: they go with it.
    const span = [s.line]
    for (const next of owned.slice(index + 1)) {
      if (!next.continuation) break
      span.push(next.line)
    }
    if (s.continuation) continue
    if (PMPROXY_LEGACY_TLS_KEYS.includes(s.key)) {
      for (const line of span) {
        drop.add(line)
        removed.push({line, text: lines[line - 1] as string})
      }
    } else if (s.key === 'secure.enabled') {
      span.slice(1).forEach((line) => drop.add(line))
      if (enabledAt === undefined) enabledAt = s.line
      else drop.add(s.line)
    }
  }
  const header = conf.sections.find((s) => s.name === 'pmproxy')?.line
  const block = [
    '# Written by pcp-harden tls write --pmproxy: TLS as configured in tls.conf',
    'secure.enabled = true',
  ]
  const out: string[] = []
  lines.forEach((line, index) => {
    const number = index + 1
    if (number === enabledAt) out.push('secure.enabled = true')
    else if (!drop.has(number)) out.push(line)
    if (number === header && enabledAt === undefined) out.push(...block)
  })
  let result = out.join('\n')
  if (header === undefined && enabledAt === undefined) {
    const separator = result === '' ? '' : result.endsWith('\n') ? '\n' : '\n\n'
    result = `${result}${separator}[pmproxy]\n${block.join('\n')}\n`
  }
  return {text: result, removed}
}

/** What is wrong with one file tls.conf names, for the role that reads it; undefined when it is fit. */
async function fileProblem(
  host: Host,
  setting: Setting,
  reader: {name: string; uid: number; gid: number},
): Promise<string | undefined> {
  const st = await host.stat(setting.value, {follow: true})
  if (!st.ok)
    return `${setting.value} (${setting.key}): ${st.missing ? 'missing' : st.message.replace(/^[^:]*: /, '')}`
  const {mode, uid, gid, type} = st.value
  const octal = (mode & 0o7777).toString(8).padStart(4, '0')
  if (type !== 'file') return `${setting.value} (${setting.key}): not a regular file`
  if (mode & 0o022) return `${setting.value} (${setting.key}): writable by others than its owner (${octal})`
  const secret = setting.key === 'tls-key-file' || setting.key === 'tls-client-key-file'
  if (secret && mode & 0o004)
    return `${setting.value} (${setting.key}): a private key readable by every user (${octal})`
  if (secret && mode & 0o040 && reader.gid !== gid && reader.uid !== uid)
    return `${setting.value} (${setting.key}): a private key readable by its group, which is not ${reader.name}'s (${octal})`
  const readable =
    reader.uid === 0 ||
    (uid === reader.uid && mode & 0o400) ||
    (gid === reader.gid && mode & 0o040) ||
    mode & 0o004
  if (!readable)
    return `${setting.value} (${setting.key}): ${reader.name} cannot read it (${octal}, owner ${uid}:${gid})`
  return undefined
}

function accountOf(db: AccountDb, name: string): Account | undefined {
  return db.users.find((u) => u.name === name)
}

/**
 * Plan `tls write`: the tls.conf (and, as asked, pmcd.options, pmproxy.conf and the login-shell
 * snippet), after checking that every file the tls.conf names exists and is fit for who reads it.
 */
export async function planTlsWrite(host: Host, options: TlsWriteOptions): Promise<TlsWritePlan> {
  const accounts = await host.accounts()
  const notes: string[] = []
  let settings = settingsFor(options)
  const weak = options.ciphers === undefined ? [] : weakCiphers(options.ciphers)
  if (weak.length > 0)
    notes.push(
      `warning: --ciphers ${options.ciphers} enables ${weak.join(', ')}: ciphers without encryption or ` +
        'without authentication (or export-grade ones), so anyone on the network path could read or alter ' +
        "PCP's traffic; leave --ciphers out (OpenSSL's default list excludes them) or end it with " +
        '!aNULL:!eNULL:!EXPORT (ciphers(1))',
    )
  // The collector's own client pair only matters to its local clients reaching a collector that
  // requires certificates: without it in --dir, leave it out rather than refuse.
  const clientPair = settings.filter(
    (s) => s.key === 'tls-client-cert-file' || s.key === 'tls-client-key-file',
  )
  if (
    options.role === 'collector' &&
    !options.allowMissing &&
    !(await Promise.all(clientPair.map((s) => host.exists(s.value)))).some(Boolean)
  ) {
    settings = settings.filter((s) => !clientPair.includes(s))
    notes.push(
      `no ${clientPair.map((s) => s.value).join(' or ')}: tls-client-cert-file and tls-client-key-file left out ` +
        "(this host's clients then present no certificate to a collector that requires one)",
    )
  }
  const files: FileChange[] = []
  const dirs: DirChange[] = []

  // pmcd and pmproxy read the collector's key after dropping root, as user pcp.
  const pcp = accountOf(accounts, 'pcp')
  const reader =
    options.role === 'monitor'
      ? {name: options.user!.name, uid: options.user!.id, gid: options.user!.gid ?? options.user!.id}
      : pcp
        ? {name: 'pcp', uid: pcp.id, gid: pcp.gid ?? pcp.id}
        : undefined
  if (!reader) notes.push('no user pcp under the root: who can read the keys is not checked')
  const problems: string[] = []
  for (const s of settings)
    if (s.key.endsWith('-file')) {
      const problem = reader ? await fileProblem(host, s, reader) : undefined
      if (problem) problems.push(problem)
      else if (!reader && !(await host.exists(s.value))) problems.push(`${s.value} (${s.key}): missing`)
    }
  if (problems.length > 0 && !options.allowMissing)
    throw new InputError(
      `${problems.join('; ')} (make them with cert init / cert issue, or give --allow-missing to write the ` +
        'configuration before they are rolled out)',
    )
  for (const p of problems) notes.push(`not yet usable: ${p}`)

  const existing = await host.stat(options.conf, {follow: true})
  const owner = options.role === 'monitor' ? options.user!.id : 0
  const group = options.role === 'monitor' ? (options.user!.gid ?? options.user!.id) : 0
  const text = renderTemplate('tls-conf', {role: roleLabel(options), settings})
  const parsed = parseTlsConf(text, options.conf)
  if (parsed.ignored.length > 0)
    throw new Error(`rendered tls.conf has lines PCP ignores: ${parsed.ignored[0]?.text}`)
  files.push({
    path: options.conf,
    content: text,
    mode: existing.ok ? existing.value.mode & 0o7777 : 0o644,
    owner: existing.ok ? existing.value.uid : owner,
    group: existing.ok ? existing.value.gid : group,
  })

  if (options.role === 'monitor') {
    const home = options.user!.home
    if (home && options.conf.startsWith(`${home}/.pcp/`))
      dirs.push({path: `${home}/.pcp`, mode: 0o700, owner, group, keepExisting: true})
    files.push({
      path: options.profileScript,
      content: renderTemplate('pcp-tls-profile', {systemConf: TLS_CONF_PATH}),
      mode: 0o644,
    })
    if (home && options.conf !== `${home}/.pcp/tls.conf`)
      notes.push(
        `${options.profileScript} points PCP clients at ~/.pcp/tls.conf; ${options.user!.name}'s clients read ` +
          `${options.conf} only with PCP_TLSCONF_PATH=${options.conf} in their environment`,
      )
  } else if (options.conf !== TLS_CONF_PATH) {
    notes.push(
      `pmcd and pmproxy read ${TLS_CONF_PATH}; they read ${options.conf} only with PCP_TLSCONF_PATH=${options.conf} ` +
        'in their environment (/etc/default/pmcd, /etc/default/pmproxy)',
    )
  }

  if (options.requireClientCerts) {
    const current = await host.readText(PMCD_OPTIONS_PATH)
    if (!current.ok && !current.missing) throw new InputError(current.message)
    const updated = addPmcdOptionQ(current.ok ? current.value : undefined)
    const st = await host.stat(PMCD_OPTIONS_PATH, {follow: true})
    files.push({
      path: PMCD_OPTIONS_PATH,
      content: updated.text,
      mode: st.ok ? st.value.mode & 0o7777 : 0o644,
      owner: st.ok ? st.value.uid : 0,
      group: st.ok ? st.value.gid : 0,
    })
    notes.push(
      updated.added
        ? `${PMCD_OPTIONS_PATH}: -Q added: remote clients must present a certificate from the CA (local clients are exempt)`
        : `${PMCD_OPTIONS_PATH} already has -Q`,
    )
  } else if (options.role === 'collector') {
    notes.push(
      'remote clients may still connect in plaintext: tls.conf alone enforces nothing in PCP 6; ' +
        '--require-client-certs adds -Q to pmcd.options',
    )
  }

  if (options.pmproxy) {
    const current = await host.readText(PMPROXY_CONF)
    if (!current.ok && !current.missing) throw new InputError(current.message)
    const updated = securePmproxyConf(current.ok ? current.value : undefined)
    const st = await host.stat(PMPROXY_CONF, {follow: true})
    files.push({
      path: PMPROXY_CONF,
      content: updated.text,
      mode: st.ok ? st.value.mode & 0o7777 : 0o644,
      owner: st.ok ? st.value.uid : 0,
      group: st.ok ? st.value.gid : 0,
    })
    for (const r of updated.removed)
      notes.push(
        `${PMPROXY_CONF}:${r.line}: removed "${r.text.trim()}": it would override tls.conf for pmproxy`,
      )
  }
  return {files, dirs, notes}
}
