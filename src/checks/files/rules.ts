import type {Host} from '../../host/host.js'
import {readSaslConf} from '../../parsers/sasl-conf.js'
import {readTlsConf, TLS_CONF_PATH} from '../../parsers/tls-conf.js'
import type {PathRule} from './modes.js'

export const PROXY_USER = 'pulse-sensor-proxy'
export const PROXY_STATE_DIR = '/var/lib/pulse-sensor-proxy'
export const PROXY_RUNTIME_DIR = '/run/pulse-sensor-proxy'

const SEED_004 = 'Pulse, "Pulse Temperature Proxy - Security Hardening Guide", "File Permissions"'
const SEED_000 = 'a widely copied PCP security guide, "Protect PCP configuration"'
const PCP_PACKAGE = "Debian's pcp package (packaged modes)"

const proxy = (path: string, type: PathRule['type'], role: PathRule['role'], mode: number): PathRule => ({
  path,
  type,
  role,
  mode,
  owners: [PROXY_USER],
  groups: [PROXY_USER],
  reference: SEED_004,
})

/** The Pulse proxy hardening guide's permission tree of pulse-sensor-proxy, as data. */
export const PROXY_RULES: readonly PathRule[] = [
  proxy(PROXY_STATE_DIR, 'dir', 'state-dir', 0o750),
  proxy(`${PROXY_STATE_DIR}/ssh`, 'dir', 'key-dir', 0o700),
  proxy(`${PROXY_STATE_DIR}/ssh/id_ed25519`, 'file', 'private-key', 0o600),
  proxy(`${PROXY_STATE_DIR}/ssh/id_ed25519.pub`, 'file', 'public-key', 0o640),
  proxy(`${PROXY_STATE_DIR}/ssh.d`, 'dir', 'key-dir', 0o750),
  proxy(`${PROXY_STATE_DIR}/ssh.d/next`, 'dir', 'key-dir', 0o750),
  proxy(`${PROXY_STATE_DIR}/ssh.d/next/id_ed25519`, 'file', 'private-key', 0o600),
  proxy(`${PROXY_STATE_DIR}/ssh.d/next/id_ed25519.pub`, 'file', 'public-key', 0o640),
  proxy(`${PROXY_STATE_DIR}/ssh.d/prev`, 'dir', 'key-dir', 0o750),
  proxy(`${PROXY_STATE_DIR}/ssh.d/prev/id_ed25519`, 'file', 'private-key', 0o600),
  proxy(`${PROXY_STATE_DIR}/ssh.d/prev/id_ed25519.pub`, 'file', 'public-key', 0o640),
  proxy(PROXY_RUNTIME_DIR, 'dir', 'socket-dir', 0o775),
  // The seed documents 0777; the shipped proxy made it 0666. Both let the container connect.
  proxy(`${PROXY_RUNTIME_DIR}/pulse-sensor-proxy.sock`, 'socket', 'socket', 0o777),
]

const rootFile = (path: string, mode: number, groups: readonly string[], reference: string): PathRule => ({
  path,
  type: 'file',
  role: 'root-config',
  mode,
  owners: ['root'],
  groups,
  reference,
})

const trusted = (
  path: string,
  type: PathRule['type'],
  mode: number,
  groups: readonly string[],
  reference: string,
): PathRule => ({
  path,
  type,
  role: 'trusted',
  mode,
  owners: ['root'],
  groups,
  reference,
})

/** PCP paths whose location does not depend on any configuration. */
const PCP_STATIC_RULES: readonly PathRule[] = [
  {...rootFile('/etc/pcp', 0o755, ['root'], PCP_PACKAGE), type: 'dir'},
  {...rootFile('/etc/pcp/pmcd', 0o755, ['root'], PCP_PACKAGE), type: 'dir'},
  rootFile('/etc/pcp/pmcd/pmcd.conf', 0o640, ['pcp', 'root'], SEED_000),
  rootFile('/etc/pcp/pmcd/pmcd.conf.access', 0o640, ['pcp', 'root'], SEED_000),
  rootFile('/etc/pcp/pmcd/pmcd.options', 0o644, ['root'], PCP_PACKAGE),
  rootFile('/etc/default/pmcd', 0o644, ['root'], PCP_PACKAGE),
  rootFile('/etc/sysconfig/pmcd', 0o644, ['root'], PCP_PACKAGE),
  trusted(
    TLS_CONF_PATH,
    'file',
    0o644,
    ['root'],
    `PCP User's and Administrator's Guide, "Establishing Secure Connections"`,
  ),
  trusted(
    '/etc/pcp/tls',
    'dir',
    0o750,
    ['pcp', 'root'],
    `PCP User's and Administrator's Guide, "Establishing Secure Connections" (certificate directory)`,
  ),
  trusted('/etc/pcp/pmproxy', 'dir', 0o755, ['root'], PCP_PACKAGE),
  // 0640 root:pcp keeps a [keys] or [redis] password from other users (PCP-PMPROXY-002).
  trusted('/etc/pcp/pmproxy/pmproxy.conf', 'file', 0o644, ['root', 'pcp'], PCP_PACKAGE),
  trusted('/etc/sasl2/pmcd.conf', 'file', 0o644, ['root'], PCP_PACKAGE),
]

const PCP_LOG_DIR = '/var/log/pcp'

/** Cyrus SASL's built-in default when sasldb_path is absent. */
const SASLDB_DEFAULT = '/etc/sasldb2'
/** PCP's shipped sasldb_path (/etc/pcp/pmcd/passwd.db), the path FACTS.md gives, and a widely copied PCP security guide's. */
const SECRET_DB_FALLBACKS = ['/etc/pcp/pmcd/passwd.db', '/etc/pcp/passwd.db', '/etc/sasl2/pmcd.db']

/** The PCP paths to judge on this host: the fixed ones plus the files its configuration names. */
export async function pcpRules(host: Host): Promise<PathRule[]> {
  const rules: PathRule[] = [...PCP_STATIC_RULES]
  const seen = new Set(rules.map((r) => r.path))
  const add = (rule: PathRule) => {
    if (seen.has(rule.path)) return
    seen.add(rule.path)
    rules.push(rule)
  }

  const tls = await readTlsConf(host)
  const reference = `${TLS_CONF_PATH} (PCP User's and Administrator's Guide, "Establishing Secure Connections")`
  const pcpMustRead = {user: 'pcp', group: 'pcp', consequence: 'pmcd reads it as user pcp and will not start'}
  for (const key of ['tls-key-file', 'tls-client-key-file'] as const) {
    const file = tls.values[key]
    if (file)
      add({
        path: file,
        type: 'file',
        role: 'private-key',
        mode: 0o640,
        owners: ['pcp', 'root'],
        groups: ['pcp', 'root'],
        reference,
        readBy: key === 'tls-key-file' ? pcpMustRead : undefined,
      })
  }
  for (const key of ['tls-cert-file', 'tls-ca-cert-file', 'tls-client-cert-file'] as const) {
    const file = tls.values[key]
    if (file) add(trusted(file, 'file', 0o644, ['root', 'pcp'], reference))
  }
  const caDir = tls.values['tls-ca-cert-dir']
  if (caDir) add(trusted(caDir, 'dir', 0o755, ['root', 'pcp'], reference))

  const sasl = await readSaslConf(host)
  const configured = sasl.present ? (sasl.sasldbPath ?? SASLDB_DEFAULT) : undefined
  for (const db of [configured, ...SECRET_DB_FALLBACKS]) {
    if (db)
      add({
        path: db,
        type: 'file',
        role: 'secret',
        mode: 0o640,
        owners: ['root'],
        groups: ['pcp'],
        reference: 'a widely copied PCP security guide, "Secure SASL credentials"',
      })
  }

  add({
    path: PCP_LOG_DIR,
    type: 'dir',
    role: 'log-dir',
    mode: 0o750,
    owners: ['pcp'],
    groups: ['pcp', 'adm'],
    reference: 'a widely copied PCP security guide, "Secure PCP logs"',
  })
  for (const dir of await subdirectories(host, PCP_LOG_DIR)) {
    add({
      path: dir,
      type: 'dir',
      role: 'log-dir',
      mode: 0o750,
      owners: ['pcp'],
      groups: ['pcp'],
      reference: 'a widely copied PCP security guide, "Secure PCP archives"',
    })
    for (const file of await entries(host, dir, 'file')) {
      add({
        path: file,
        type: 'file',
        role: 'log-file',
        mode: 0o644,
        owners: ['pcp'],
        groups: ['pcp'],
        reference: 'a widely copied PCP security guide, "Secure PCP logs"',
        noDrift: true,
      })
    }
  }
  return rules
}

async function entries(host: Host, dir: string, type: 'file' | 'dir'): Promise<string[]> {
  const names = await host.list(dir)
  if (!names.ok) return []
  const out: string[] = []
  for (const name of names.value) {
    const st = await host.stat(`${dir}/${name}`)
    if (st.ok && st.value.type === type) out.push(`${dir}/${name}`)
  }
  return out
}

function subdirectories(host: Host, dir: string): Promise<string[]> {
  return entries(host, dir, 'dir')
}
