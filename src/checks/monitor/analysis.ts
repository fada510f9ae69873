import type {Account} from '../../host/accounts.js'
import type {Host} from '../../host/host.js'
import {
  type EnvFile,
  type EnvVariable,
  evaluateEnvironment,
  readSystemEnvironment,
  readUserEnvironment,
} from '../../parsers/pcp-env.js'
import {parseTlsConf, TLS_CONF_PATH, type TlsConf} from '../../parsers/tls-conf.js'
import {type Finding, type Outcome, perHost} from '../family.js'
import {ASIDE_DIR} from '../pmcd/remedies.js'
import {type FixPlan, type LineEdit, remedyCommand, withRemedy} from '../remedy.js'

/** NSS-era variables (PCP's NSS-era tutorial) that PCP 6 does not read. */
const NSS_VARIABLES = ['PCP_ALLOW_BAD_CERT_DOMAIN', 'PCP_ALLOW_SERVER_SELF_CERT', 'PCP_SECURE_DB_METHOD']
const NSS_DATABASES = ['cert9.db', 'cert8.db']
/** The collector database of PCP's NSS-era tutorial, "Secure Client Connections" (certutil -d sql:/etc/pcp/nssdb): only PCP ever used it. */
const PCP_NSSDB = '/etc/pcp/nssdb'
/** The system-wide NSS database: other programs use it, so it counts only where PCP users rely on NSS. */
const SYSTEM_NSSDB = '/etc/pki/nssdb'
/** Values of PCP_SECURE_SOCKETS that make clients require TLS (ctxflags in src/libpcp/src/context.c). */
const ENFORCING = ['', '1', 'enforce']
/** Values of tls-verify-clients that make a client verify the collector (__pmInitSecureClients). */
const VERIFYING = ['true', 'yes']

/** A user whose PCP clients have a configuration of their own. */
interface MonitorUser {
  account: Account
  env: Map<string, EnvVariable>
  /** ~/.pcp/tls.conf, when present. */
  homeConf?: TlsConf
  /** The tls.conf this user's PCP clients read: $PCP_TLSCONF_PATH, else /etc/pcp/tls.conf. */
  clientConfPath: string
  /**
   * Every login session, judged from the system-wide files alone: no user has a PCP client
   * configuration of their own, yet /etc/environment or /etc/profile.d sets PCP variables. The
   * first file that does stands for it.
   */
  systemWide?: string
}

export interface MonitorAnalysis {
  /** A path that stands for what was judged when nothing failed. */
  subject: string
}

const exportedValue = (env: ReadonlyMap<string, EnvVariable>, name: string): EnvVariable | undefined => {
  const variable = env.get(name)
  return variable?.exported && variable.value !== undefined ? variable : undefined
}

const origin = (v: EnvVariable) =>
  `${v.path} line ${v.line}${v.conditional ? ', inside a conditional block' : ''}`

/** What makes a setting less certain than it looks: a conditional block, an unknown part of its value. */
const settingNote = (v: EnvVariable) =>
  [
    ...(v.conditional ? ['set inside a conditional block'] : []),
    ...(v.uncertain ? ['its value depends on a command or a variable set elsewhere'] : []),
  ].join('; ')

async function readTls(host: Host, path: string): Promise<TlsConf | undefined> {
  const text = await host.readText(path)
  return text.ok ? parseTlsConf(text.value, path) : undefined
}

/** Collapse findings that several users share (a system-wide file) into one, naming the users. */
function byPlace(findings: (Finding & {user: string})[]): Finding[] {
  const merged = new Map<string, Finding & {users: string[]}>()
  for (const {user, ...finding} of findings) {
    const key = `${finding.check}\0${finding.path}\0${finding.line ?? ''}\0${finding.message}`
    const seen = merged.get(key)
    if (seen) seen.users.push(user)
    else merged.set(key, {...finding, users: [user]})
  }
  return [...merged.values()].map(({users, ...finding}) => {
    const named = users.filter(Boolean)
    const who =
      named.length === 0
        ? 'every login session (set system-wide)'
        : `user${named.length > 1 ? 's' : ''} ${named.join(', ')}`
    return {...finding, evidence: `${finding.evidence ? `${finding.evidence}; ` : ''}${who}`}
  })
}

/** PCP_SECURE_SOCKETS as each monitoring user's clients get it (PCP-MON-001). */
function secureSockets(users: readonly MonitorUser[]): Finding[] {
  return byPlace(
    users.flatMap((u) => {
      const variable = u.env.get('PCP_SECURE_SOCKETS')
      const at = variable
        ? {
            path: variable.path,
            line: variable.line,
            ...(variable.conditional || variable.uncertain ? {evidence: settingNote(variable)} : {}),
          }
        : {path: u.homeConf?.path ?? u.systemWide ?? u.clientConfPath}
      const fail = (message: string) => [{check: 'PCP-MON-001', ...at, message, user: u.account.name}]
      if (!variable || variable.value === undefined)
        return fail('PCP_SECURE_SOCKETS is not set: PCP clients connect in plaintext unless given pcps://')
      if (!variable.exported)
        return fail('PCP_SECURE_SOCKETS is set but not exported: pminfo and the other clients never see it')
      if (ENFORCING.includes(variable.value)) return []
      if (variable.value === 'relaxed')
        return fail('PCP_SECURE_SOCKETS=relaxed: clients fall back to plaintext when TLS is not offered')
      return fail(
        `PCP_SECURE_SOCKETS=${variable.value} is not a value PCP knows ("enforce", "1" or empty): clients connect in plaintext`,
      )
    }),
  )
}

/** Whether the tls.conf each monitoring user's clients read verifies the collector (PCP-MON-002). */
async function verification(host: Host, users: readonly MonitorUser[]): Promise<Finding[]> {
  const findings: (Finding & {user: string})[] = []
  // A system-wide setting alone does not make this host a monitor of a TLS collector: its
  // /etc/pcp/tls.conf may be the collector's own.
  for (const u of users.filter((x) => !x.systemWide)) {
    const add = (path: string, message: string, line?: number) =>
      findings.push({
        check: 'PCP-MON-002',
        path,
        ...(line === undefined ? {} : {line}),
        message,
        user: u.account.name,
      })
    const variable = exportedValue(u.env, 'PCP_TLSCONF_PATH')
    const conf = u.clientConfPath === u.homeConf?.path ? u.homeConf : await readTls(host, u.clientConfPath)
    if (!conf) {
      const named = variable
        ? `PCP_TLSCONF_PATH names ${u.clientConfPath}`
        : `${u.clientConfPath} is what PCP reads`
      add(
        variable?.path ?? u.clientConfPath,
        `${named}, which does not exist: PCP clients run without a tls.conf and do not verify the collector`,
        variable?.line,
      )
      continue
    }
    if (!conf.values['tls-ca-cert-file'] && !conf.values['tls-ca-cert-dir'])
      add(
        conf.path,
        'no tls-ca-cert-file or tls-ca-cert-dir: clients cannot check the collector against its CA ' +
          "(OpenSSL falls back to the system's CAs)",
      )
    const verify = conf.values['tls-verify-clients']
    const line = conf.settings.filter((s) => s.key === 'tls-verify-clients').at(-1)?.line
    if (verify === undefined)
      add(
        conf.path,
        'no tls-verify-clients = true: PCP 6 clients accept any certificate the collector, or a man in the middle, presents',
      )
    else if (!VERIFYING.includes(verify))
      add(
        conf.path,
        `tls-verify-clients = ${verify}: a client verifies only with exactly "true" or "yes", so it accepts any certificate`,
        line,
      )
  }
  return byPlace(findings)
}

/** ~/.pcp/tls.conf files that no PCP_TLSCONF_PATH points at: PCP never reads them (PCP-MON-003). */
function unreadHomeConfs(users: readonly MonitorUser[]): Finding[] {
  return users.flatMap((u) => {
    if (!u.homeConf || u.clientConfPath === u.homeConf.path) return []
    const variable = u.env.get('PCP_TLSCONF_PATH')
    const why = !variable
      ? 'PCP_TLSCONF_PATH is not set'
      : !variable.exported
        ? `PCP_TLSCONF_PATH is set but not exported (${origin(variable)})`
        : `PCP_TLSCONF_PATH is ${variable.value} (${origin(variable)})`
    return [
      {
        check: 'PCP-MON-003',
        path: u.homeConf.path,
        message: `PCP never reads this file: ${why}, so ${u.account.name}'s PCP clients read ${u.clientConfPath}`,
      },
    ]
  })
}

/** NSS-era variables in the files every session and each user reads (PCP-MON-004). */
function nssVariables(files: readonly EnvFile[]): Finding[] {
  return files.flatMap((file) =>
    file.statements
      .filter((s) => s.kind !== 'unset' && NSS_VARIABLES.includes(s.name))
      .map((s) => ({
        check: 'PCP-MON-004',
        path: file.path,
        line: s.line,
        message: `${s.name} is an NSS-era variable: PCP 6 does not read it, so it neither relaxes nor enforces anything`,
      })),
  )
}

/** certutil databases PCP 6 never reads, where PCP's own users rely on them (PCP-MON-005). */
async function nssDatabases(host: Host, directories: readonly string[]): Promise<Finding[]> {
  const findings: Finding[] = []
  for (const dir of directories)
    for (const name of NSS_DATABASES)
      if (await host.exists(`${dir}/${name}`))
        findings.push({
          check: 'PCP-MON-005',
          path: `${dir}/${name}`,
          message:
            'an NSS certificate database (certutil): PCP 6 uses OpenSSL and tls.conf and never reads it, so ' +
            'certificates installed here do not reach PCP',
        })
  return findings
}

const mentionsPcp = (files: readonly EnvFile[]) =>
  files.some((f) => f.statements.some((s) => s.name.startsWith('PCP_')))

/** Monitoring users, their sessions' PCP variables and tls.conf files, judged once per host. */
export const analyzeMonitor = perHost(async (host: Host): Promise<Outcome<MonitorAnalysis>> => {
  const system = await readSystemEnvironment(host)
  const {users: accounts} = await host.accounts()
  const users: MonitorUser[] = []
  const userFiles = new Map<string, EnvFile>()
  const nssDirs = new Set([PCP_NSSDB])
  if (mentionsPcp(system)) nssDirs.add(SYSTEM_NSSDB)
  for (const account of accounts) {
    const home = account.home
    if (!home || home === '/') continue
    const st = await host.stat(home, {follow: true})
    if (!st.ok || st.value.type !== 'dir') continue
    const own = await readUserEnvironment(host, home)
    for (const file of own) userFiles.set(file.path, file)
    const login = (name: string, value: string): [string, EnvVariable] => [
      name,
      {
        name,
        value,
        exported: true,
        path: '/etc/passwd',
        line: account.line,
        conditional: false,
        uncertain: false,
      },
    ]
    const env = evaluateEnvironment(
      [...system, ...own],
      new Map([login('HOME', home), login('USER', account.name), login('LOGNAME', account.name)]),
    )
    const homeConf = await readTls(host, `${home}/.pcp/tls.conf`)
    const clientConfPath = exportedValue(env, 'PCP_TLSCONF_PATH')?.value ?? TLS_CONF_PATH
    const monitoring = homeConf !== undefined || mentionsPcp(own) || clientConfPath !== TLS_CONF_PATH
    if (monitoring) users.push({account, env, ...(homeConf ? {homeConf} : {}), clientConfPath})
    const secure =
      exportedValue(env, 'PCP_SECURE_SOCKETS') !== undefined || NSS_VARIABLES.some((n) => env.has(n))
    if (monitoring || secure) nssDirs.add(`${home}/.pki/nssdb`)
  }
  const setsPcp = system.find((f) =>
    f.statements.some((st) => st.kind !== 'unset' && st.name.startsWith('PCP_')),
  )
  if (users.length === 0 && setsPcp) {
    // Monitor-side settings with no user's own configuration: judge what every session gets.
    const env = evaluateEnvironment(system, new Map())
    users.push({
      account: {name: '', id: -1, line: 0},
      env,
      clientConfPath: exportedValue(env, 'PCP_TLSCONF_PATH')?.value ?? TLS_CONF_PATH,
      systemWide: setsPcp.path,
    })
  }
  const nssFindings = await nssDatabases(host, [...nssDirs])
  const files = [...system, ...userFiles.values()]
  if (users.length === 0 && !mentionsPcp(files) && nssFindings.length === 0)
    return {
      state: 'absent',
      reason: 'no PCP client configuration (~/.pcp/tls.conf, PCP_* variables) under the root',
    }
  const found = [
    ...secureSockets(users),
    ...(await verification(host, users)),
    ...unreadHomeConfs(users),
    ...nssVariables(files),
    ...nssFindings,
  ]
  const findings = await Promise.all(
    found.map(async (f) => {
      const remedy = await monitorRemedy(host, f)
      return remedy ? {...f, ...withRemedy(remedy)} : f
    }),
  )
  const first = users[0]
  const subject =
    first?.homeConf?.path ?? first?.systemWide ?? first?.clientConfPath ?? system[0]?.path ?? PCP_NSSDB
  return {state: 'judged', findings, subject}
})

/**
 * A file in a user's home is that user's: root changing it changes their sessions behind their back
 * (and their monitors may still need plaintext), so its remedy is manual. A system-wide file
 * (/etc/environment, /etc/profile.d) is the admin's, and its remedy is automatic.
 */
function ownedPlan(path: string, edit: LineEdit, why: string): FixPlan {
  const plan: FixPlan = {kind: 'edit', path, edits: [edit]}
  return path.startsWith('/etc/') ? plan : {kind: 'manual', command: remedyCommand(plan), why}
}

const USERS_FILE =
  "the file is the user's own: changing it changes their sessions, so they (or the admin, with them) run it"

/** The remedy of one monitor finding, when an exact one exists (new login sessions pick it up). */
async function monitorRemedy(host: Host, finding: Finding): Promise<FixPlan | undefined> {
  const text = await host.readText(finding.path)
  const raw = text.ok && finding.line !== undefined ? text.value.split('\n')[finding.line - 1] : undefined
  switch (finding.check) {
    case 'PCP-MON-001': {
      // relaxed, or a value PCP does not know, becomes enforce; the line keeps its quoting.
      const match =
        raw === undefined ? null : /^(.*\bPCP_SECURE_SOCKETS=)(["']?)([^"'\s;#]*)\2(.*)$/.exec(raw)
      if (!match || raw === undefined || !/^PCP_SECURE_SOCKETS=(?!enforce)/.test(finding.message))
        return undefined
      const fixed = `${match[1]}${match[2]}enforce${match[2]}${match[4]}`
      return ownedPlan(
        finding.path,
        {op: 'replace', line: finding.line as number, expect: raw, text: fixed},
        USERS_FILE,
      )
    }
    case 'PCP-MON-002': {
      // Verification refuses a collector whose certificate does not chain to the CA: the admin checks that first.
      const why =
        'with verification on, clients refuse a collector whose certificate does not chain to tls-ca-cert-file: ' +
        'check that each collector has one first'
      const verify = 'tls-verify-clients = true'
      const edit: LineEdit | undefined = finding.message.startsWith('no tls-verify-clients')
        ? {op: 'append', text: verify}
        : raw !== undefined && /^tls-verify-clients = /.test(finding.message)
          ? {op: 'replace', line: finding.line as number, expect: raw, text: verify}
          : undefined
      return edit
        ? {kind: 'manual', command: remedyCommand({kind: 'edit', path: finding.path, edits: [edit]}), why}
        : undefined
    }
    case 'PCP-MON-003': {
      // Exported from ~/.profile, which a login shell reads only when there is no ~/.bash_profile or ~/.bash_login.
      const home = finding.path.endsWith('/.pcp/tls.conf')
        ? finding.path.slice(0, -'/.pcp/tls.conf'.length)
        : ''
      if (home === '' || !finding.message.includes('PCP_TLSCONF_PATH is not set')) return undefined
      if ((await host.exists(`${home}/.bash_profile`)) || (await host.exists(`${home}/.bash_login`)))
        return undefined
      // Only a file that verifies the collector (PCP-MON-002 would judge it next): else fix that first.
      const conf = await readTls(host, finding.path)
      const verifies = VERIFYING.includes(conf?.values['tls-verify-clients'] ?? '')
      if (!verifies || !(conf?.values['tls-ca-cert-file'] || conf?.values['tls-ca-cert-dir']))
        return undefined
      const edit: LineEdit = {op: 'append', text: 'export PCP_TLSCONF_PATH="$HOME/.pcp/tls.conf"'}
      return {
        kind: 'manual',
        command: remedyCommand({kind: 'edit', path: `${home}/.profile`, edits: [edit]}),
        why: USERS_FILE,
      }
    }
    case 'PCP-MON-004': {
      // The line does nothing in PCP 6: removing it changes nothing, when it holds nothing else.
      if (raw === undefined || !/^\s*(export\s+)?PCP_[A-Z_]+=\S*\s*$/.test(raw)) return undefined
      return ownedPlan(finding.path, {op: 'delete', line: finding.line as number, expect: raw}, USERS_FILE)
    }
    case 'PCP-MON-005': {
      if (!finding.path.startsWith(`${PCP_NSSDB}/`)) return undefined
      return {
        kind: 'manual',
        command: `install -d -m 0700 ${ASIDE_DIR} && mv -n ${PCP_NSSDB} ${ASIDE_DIR}/nssdb`,
        why:
          'the database may hold the only copy of a key the admin still wants in PEM (pk12util exports it): ' +
          'it is moved aside, never deleted, once the admin has what they need',
      }
    }
    default:
      return undefined
  }
}
