import type {Host} from '../../host/host.js'
import {readSaslConf} from '../../parsers/sasl-conf.js'
import {readTlsConf, TLS_CONF_PATH} from '../../parsers/tls-conf.js'
import {perHost} from '../family.js'
import type {PathRule} from './modes.js'

export const PROXY_USER = 'pulse-sensor-proxy'
export const PROXY_STATE_DIR = '/var/lib/pulse-sensor-proxy'
export const PROXY_RUNTIME_DIR = '/run/pulse-sensor-proxy'

/** The collector's TLS directory: where PCP's guide puts the CA, server and client keys and certificates. */
export const PCP_TLS_DIR = '/etc/pcp/tls'

const PULSE_GUIDE = 'Pulse, "Pulse Temperature Proxy - Security Hardening Guide", File Permissions'
const PMCD = 'pmcd(1) (the agents table of pmcd.conf runs as root)'
const PCP_PACKAGE = "pmcd(1), pmproxy(1); the modes PCP's packages ship"
const PCP_TLS_GUIDE = `PCP User's and Administrator's Guide, "Establishing Secure Connections"; pmcd(1)`

/** What whoever can change (or read) each kind of path gains: the reason every finding gives. */
const STAKES = {
  proxyKey: 'whoever reads it logs in to every cluster node with the forced command',
  proxyState:
    'whoever can change it can swap the keys the proxy uses and pushes to every node during a rotation',
  proxySocket:
    "whoever can change it (any local user, or a container's root, which is an unprivileged uid on the host) " +
    'can put their own socket there and feed Pulse false data',
  rootConfig:
    'pmcd starts as root with it and runs the agents table of pmcd.conf as root: whoever can change it runs code as root at the next restart',
  tls: 'whoever can change it can swap in their own CA or certificate, or turn TLS off, for every client of this collector',
  pmproxy: 'whoever can change it decides what pmproxy serves and where it relays',
  sasl: 'whoever can change it decides which SASL mechanisms pmcd accepts (ANONYMOUS: no password at all)',
  tlsKey: 'whoever reads it can impersonate this collector to every monitor and decrypt what it captured',
  saslDb: 'whoever reads it can log in to pmcd as every user it holds',
  logs: 'any user can plant files there that root-run PCP scripts follow (CVE-2023-6917, CVE-2024-45770), and rewrite the logs',
} as const

/** pmcd and pmproxy run as pcp: the pcp account changing what they read gains nothing it lacks. */
const PCP_SERVICE = {
  account: 'pcp',
  why:
    "pcp, as PCP's guide leaves it (chown -R pcp:pcp /etc/pcp/tls), can change it, but pmcd and pmproxy " +
    'already run as pcp and read the TLS key as pcp: only someone who is pcp already gains anything, so this is ' +
    'defence in depth only',
}

const proxy = (
  path: string,
  type: PathRule['type'],
  role: PathRule['role'],
  mode: number,
  stake: string,
): PathRule => ({
  path,
  type,
  role,
  mode,
  owners: [PROXY_USER],
  groups: [PROXY_USER],
  reference: PULSE_GUIDE,
  stake,
})

/**
 * The hardening guide's permission tree of pulse-sensor-proxy, as data. Pulse's installer
 * (scripts/install-sensor-proxy.sh, 4.x) made the same: install -d -m 0750 and 0700, ssh-keygen
 * under UMask=0007 (key 0600, .pub 0640), RuntimeDirectoryMode=0775.
 */
export const PROXY_RULES: readonly PathRule[] = [
  proxy(PROXY_STATE_DIR, 'dir', 'state-dir', 0o750, STAKES.proxyState),
  proxy(`${PROXY_STATE_DIR}/ssh`, 'dir', 'key-dir', 0o700, STAKES.proxyState),
  proxy(`${PROXY_STATE_DIR}/ssh/id_ed25519`, 'file', 'private-key', 0o600, STAKES.proxyKey),
  proxy(`${PROXY_STATE_DIR}/ssh/id_ed25519.pub`, 'file', 'public-key', 0o640, STAKES.proxyState),
  proxy(`${PROXY_STATE_DIR}/ssh.d`, 'dir', 'key-dir', 0o750, STAKES.proxyState),
  proxy(`${PROXY_STATE_DIR}/ssh.d/next`, 'dir', 'key-dir', 0o750, STAKES.proxyState),
  proxy(`${PROXY_STATE_DIR}/ssh.d/next/id_ed25519`, 'file', 'private-key', 0o600, STAKES.proxyKey),
  proxy(`${PROXY_STATE_DIR}/ssh.d/next/id_ed25519.pub`, 'file', 'public-key', 0o640, STAKES.proxyState),
  proxy(`${PROXY_STATE_DIR}/ssh.d/prev`, 'dir', 'key-dir', 0o750, STAKES.proxyState),
  proxy(`${PROXY_STATE_DIR}/ssh.d/prev/id_ed25519`, 'file', 'private-key', 0o600, STAKES.proxyKey),
  proxy(`${PROXY_STATE_DIR}/ssh.d/prev/id_ed25519.pub`, 'file', 'public-key', 0o640, STAKES.proxyState),
  proxy(PROXY_RUNTIME_DIR, 'dir', 'socket-dir', 0o775, STAKES.proxySocket),
  // The guide documents 0777; the shipped proxy made it 0666. Both let the container connect.
  proxy(`${PROXY_RUNTIME_DIR}/pulse-sensor-proxy.sock`, 'socket', 'socket', 0o777, STAKES.proxySocket),
]

const rootFile = (path: string, mode: number, groups: readonly string[], reference: string): PathRule => ({
  path,
  type: 'file',
  role: 'root-config',
  mode,
  owners: ['root'],
  groups,
  reference,
  stake: STAKES.rootConfig,
})

const trusted = (
  path: string,
  type: PathRule['type'],
  mode: number,
  groups: readonly string[],
  reference: string,
  stake: string = STAKES.tls,
): PathRule => ({
  path,
  type,
  role: 'trusted',
  mode,
  owners: ['root'],
  groups,
  reference,
  stake,
  service: PCP_SERVICE,
})

/** PCP paths whose location does not depend on any configuration. */
const PCP_STATIC_RULES: readonly PathRule[] = [
  {...rootFile('/etc/pcp', 0o755, ['root'], PCP_PACKAGE), type: 'dir'},
  {...rootFile('/etc/pcp/pmcd', 0o755, ['root'], PCP_PACKAGE), type: 'dir'},
  rootFile('/etc/pcp/pmcd/pmcd.conf', 0o640, ['pcp', 'root'], PMCD),
  rootFile('/etc/pcp/pmcd/pmcd.conf.access', 0o640, ['pcp', 'root'], PMCD),
  rootFile('/etc/pcp/pmcd/pmcd.options', 0o644, ['root'], PCP_PACKAGE),
  rootFile('/etc/default/pmcd', 0o644, ['root'], PCP_PACKAGE),
  rootFile('/etc/sysconfig/pmcd', 0o644, ['root'], PCP_PACKAGE),
  trusted(TLS_CONF_PATH, 'file', 0o644, ['root'], PCP_TLS_GUIDE),
  trusted(PCP_TLS_DIR, 'dir', 0o750, ['pcp', 'root'], PCP_TLS_GUIDE),
  trusted('/etc/pcp/pmproxy', 'dir', 0o755, ['root'], PCP_PACKAGE, STAKES.pmproxy),
  // 0640 root:pcp keeps a [keys] or [redis] password from other users (PCP-PMPROXY-002).
  trusted('/etc/pcp/pmproxy/pmproxy.conf', 'file', 0o644, ['root', 'pcp'], PCP_PACKAGE, STAKES.pmproxy),
  trusted('/etc/sasl2/pmcd.conf', 'file', 0o644, ['root'], PCP_PACKAGE, STAKES.sasl),
]

const PCP_LOG_DIR = '/var/log/pcp'

/** Cyrus SASL's built-in default when sasldb_path is absent. */
const SASLDB_DEFAULT = '/etc/sasldb2'
/** Where SASL password databases are found: PCP's shipped sasldb_path, /etc/pcp/passwd.db, and the SASL directory. */
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
  const reference = `${TLS_CONF_PATH}; ${PCP_TLS_GUIDE}`
  const pcpMustRead = {user: 'pcp', group: 'pcp', consequence: 'pmcd reads it as user pcp and will not start'}
  const keyRule = (file: string, readBy?: PathRule['readBy']): PathRule => ({
    path: file,
    type: 'file',
    role: 'private-key',
    mode: 0o640,
    owners: ['pcp', 'root'],
    groups: ['pcp', 'root'],
    reference,
    stake: STAKES.tlsKey,
    ...(readBy ? {readBy} : {}),
  })
  for (const key of ['tls-key-file', 'tls-client-key-file'] as const) {
    const file = tls.values[key]
    if (file) add(keyRule(file, key === 'tls-key-file' ? pcpMustRead : undefined))
  }
  for (const key of ['tls-cert-file', 'tls-ca-cert-file', 'tls-client-cert-file'] as const) {
    const file = tls.values[key]
    if (file) add(trusted(file, 'file', 0o644, ['root', 'pcp'], reference))
  }
  const caDir = tls.values['tls-ca-cert-dir']
  if (caDir) add(trusted(caDir, 'dir', 0o755, ['root', 'pcp'], reference))
  // Every key and certificate in the TLS directories, whether or not tls.conf names it.
  for (const material of await tlsMaterial(host))
    add(
      material.kind === 'key'
        ? keyRule(material.path)
        : trusted(material.path, 'file', 0o644, ['root', 'pcp'], PCP_TLS_GUIDE),
    )

  const sasl = await readSaslConf(host)
  const configured = sasl.present ? (sasl.sasldbPath ?? SASLDB_DEFAULT) : undefined
  for (const db of [configured, ...SECRET_DB_FALLBACKS]) {
    if (db)
      add({
        path: db,
        type: 'file',
        role: 'secret',
        mode: 0o640,
        // pmcd checks passwords after switching to pcp: pcp may own it, as it may own the TLS key.
        owners: ['root', 'pcp'],
        groups: ['pcp'],
        reference: 'pmcd(1) (SASL authentication), saslpasswd2(8)',
        stake: STAKES.saslDb,
      })
  }

  add({
    path: PCP_LOG_DIR,
    type: 'dir',
    role: 'log-dir',
    mode: 0o750,
    owners: ['pcp'],
    groups: ['pcp', 'adm'],
    reference: 'PCPIntro(1) ($PCP_LOG_DIR); CVE-2023-6917',
    stake: STAKES.logs,
  })
  for (const dir of await subdirectories(host, PCP_LOG_DIR)) {
    add({
      path: dir,
      type: 'dir',
      role: 'log-dir',
      mode: 0o750,
      owners: ['pcp'],
      groups: ['pcp'],
      reference: 'PCPIntro(1) ($PCP_LOG_DIR); CVE-2023-6917',
      stake: STAKES.logs,
    })
    for (const file of await entries(host, dir, 'file')) {
      add({
        path: file,
        type: 'file',
        role: 'log-file',
        mode: 0o644,
        owners: ['pcp'],
        groups: ['pcp'],
        reference: 'PCPIntro(1) ($PCP_LOG_DIR); CVE-2023-6917',
        stake: STAKES.logs,
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

/** A PEM private key or certificate found in a TLS directory. */
export interface TlsMaterial {
  path: string
  kind: 'key' | 'certificate'
}

/** Larger files are not keys or certificates PCP would load. */
const MAX_PEM_BYTES = 1 << 20

/**
 * The directories holding the collector's TLS material: /etc/pcp/tls and those of the files
 * /etc/pcp/tls.conf names, when under /etc/pcp (a shared /etc/ssl holds other services' keys).
 */
export async function tlsDirectories(host: Host): Promise<string[]> {
  const tls = await readTlsConf(host)
  const dirs = new Set([PCP_TLS_DIR])
  for (const key of [
    'tls-cert-file',
    'tls-key-file',
    'tls-ca-cert-file',
    'tls-client-cert-file',
    'tls-client-key-file',
  ] as const) {
    const file = tls.values[key]
    if (file?.startsWith('/etc/pcp/')) dirs.add(file.slice(0, file.lastIndexOf('/')))
  }
  return [...dirs]
}

/** Every PEM private key and certificate in the collector's TLS directories, by content (names vary). */
export const tlsMaterial = perHost(async (host: Host): Promise<TlsMaterial[]> => {
  const found: TlsMaterial[] = []
  for (const dir of await tlsDirectories(host)) {
    for (const file of await entries(host, dir, 'file')) {
      const st = await host.stat(file)
      if (!st.ok || st.value.size > MAX_PEM_BYTES) continue
      const text = await host.readText(file)
      if (!text.ok) continue
      if (/-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(text.value)) found.push({path: file, kind: 'key'})
      else if (text.value.includes('-----BEGIN CERTIFICATE-----'))
        found.push({path: file, kind: 'certificate'})
    }
  }
  return found
})
