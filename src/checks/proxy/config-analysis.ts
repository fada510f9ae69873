import type {Host} from '../../host/host.js'
import {parseProxyConfig, PROXY_CONFIG_PATH, type ProxyConfig} from '../../parsers/proxy-config.js'
import {type Finding, type Outcome, perHost} from '../family.js'
import {PROXY_USER} from '../files/rules.js'
import {type FixPlan, withRemedy} from '../remedy.js'
import {ipFamily, isIPv4} from '../../net/ip.js'

/** The proxy's metrics listener when config.yaml names none (defaultMetricsAddr). */
export const DEFAULT_METRICS_ADDRESS = '127.0.0.1:9127'
/** Where the control-plane token is kept when pulse_control_plane.token_file is not set. */
export const DEFAULT_CONTROL_TOKEN = '/etc/pulse-sensor-proxy/.pulse-control-token'

/** Where the HTTPS mode listens when http_listen_addr is empty (config.go since Pulse 5.0; ":8443" before). */
export const DEFAULT_HTTPS_ADDRESS = '0.0.0.0:8443'
/** The copy of http_auth_token the installer keeps (0600 pulse-sensor-proxy); the proxy itself reads config.yaml. */
export const HTTP_TOKEN_FILE = '/etc/pulse-sensor-proxy/.http-auth-token'

/**
 * The broadest allowed_source_subnets entry we accept. IPv4: a /8 (the Pulse proxy hardening guide's own example is
 * 10.0.0.0/8); anything wider spans several /8 blocks, public ones included. IPv6: a /32, the
 * smallest block a registry allocates to one provider; anything wider spans providers.
 */
export const WIDEST_PREFIX = {v4: 8, v6: 32}

export interface ConfigAnalysis {
  path: string
  present: boolean
  conf: ProxyConfig
}

/** `host:port` as Go's net.SplitHostPort reads it (`[::1]:9127`, `:9127`). */
export function listenHost(address: string): string | undefined {
  const bracketed = /^\[([^\]]*)\]:[^:]*$/.exec(address)
  if (bracketed) return bracketed[1]
  const plain = /^([^:[\]]*):[^:]*$/.exec(address)
  return plain ? plain[1] : undefined
}

function isLoopback(host: string): boolean {
  if (host === 'localhost' || host === '::1') return true
  return isIPv4(host) && host.startsWith('127.')
}

/** A subnet as the proxy reads it (net.ParseCIDR, or a single address), with its prefix length. */
export function parseSubnet(entry: string): {family: 4 | 6; prefix: number} | undefined {
  const text = entry.trim()
  const [address = '', prefix, extra] = text.split('/')
  const version = ipFamily(address)
  if ((version !== 4 && version !== 6) || extra !== undefined) return undefined
  const family: 4 | 6 = version
  const max = family === 4 ? 32 : 128
  if (prefix === undefined) return {family, prefix: max}
  if (!/^\d{1,3}$/.test(prefix) || Number(prefix) > max) return undefined
  return {family, prefix: Number(prefix)}
}

/**
 * metrics_address on `line` set back to the default loopback listener, keeping the line's indentation;
 * only when that line holds the key and its whole value (not a block scalar continued below).
 */
function loopbackMetrics(path: string, line: number, raw: string | undefined): FixPlan | undefined {
  const written = raw === undefined ? undefined : /^(\s*)metrics_address\s*:\s*[^\s|>#]/.exec(raw)
  if (raw === undefined || !written) return undefined
  const text = `${written[1] ?? ''}metrics_address: "${DEFAULT_METRICS_ADDRESS}"`
  return {
    kind: 'edit',
    path,
    edits: [{op: 'replace', line, expect: raw, text}],
    restart: ['pulse-sensor-proxy.service'],
  }
}

function metricsFindings(conf: ProxyConfig, lines: readonly string[]): Finding[] {
  const written = conf.metricsAddress
  const address = written?.value.trim() ?? ''
  // ProxyMetrics.Start: "" and "default" mean 127.0.0.1:9127, "disabled" (any case) no listener.
  if (address === '' || address === 'default' || address.toLowerCase() === 'disabled') return []
  const host = listenHost(address)
  if (host !== undefined && isLoopback(host)) return []
  const remedy =
    written?.line === undefined
      ? undefined
      : loopbackMetrics(conf.path, written.line, lines[written.line - 1])
  const where =
    host === undefined
      ? 'an address the proxy cannot listen on'
      : host === '' || host === '0.0.0.0' || host === '::'
        ? 'every interface'
        : host
  return [
    {
      check: 'PSP-CONF-001',
      path: conf.path,
      line: written?.line,
      message: `metrics_address "${address}" puts the unauthenticated /metrics endpoint on ${where}, not on loopback`,
      evidence: `metrics_address: ${address}`,
      ...(remedy ? withRemedy(remedy) : {}),
    },
  ]
}

function subnetFindings(conf: ProxyConfig): Finding[] {
  const subnets = conf.allowedSourceSubnets
  const entries = (subnets?.value ?? []).filter((s) => s.value.trim() !== '')
  if (entries.length === 0)
    return [
      {
        check: 'PSP-CONF-003',
        path: conf.path,
        line: subnets?.line ?? conf.keys.find((k) => k.value === 'allowed_source_subnets')?.line,
        message:
          'no allowed_source_subnets: the proxy auto-detects the addresses this host has when it starts and ' +
          'writes them as /32 and /128 into from=; keys pushed then stop working (or trust a reused address) ' +
          'when the addresses change',
      },
    ]
  const findings: Finding[] = []
  for (const s of entries) {
    const parsed = parseSubnet(s.value)
    if (!parsed) {
      findings.push({
        check: 'PSP-CONF-008',
        path: conf.path,
        line: s.line,
        message: `allowed_source_subnets: "${s.value}" is not an address or CIDR: the proxy refuses the file ("invalid subnet configuration") and does not start`,
      })
      continue
    }
    const widest = parsed.family === 4 ? WIDEST_PREFIX.v4 : WIDEST_PREFIX.v6
    if (parsed.prefix < widest)
      findings.push({
        check: 'PSP-CONF-002',
        path: conf.path,
        line: s.line,
        message:
          parsed.prefix === 0
            ? `allowed_source_subnets: ${s.value} lets the proxy's key log in to every node from any address`
            : `allowed_source_subnets: ${s.value} is wider than /${widest}: the proxy's key is accepted from far more addresses than the cluster has`,
        evidence: s.value,
      })
  }
  return findings
}

async function peerFindings(host: Host, conf: ProxyConfig): Promise<Finding[]> {
  const db = await host.accounts()
  const service = db.users.find((u) => u.name === PROXY_USER)
  const userName = (uid: number) => db.users.find((u) => u.id === uid)?.name
  const groupName = (gid: number) => db.groups.find((g) => g.id === gid)?.name
  const named = (id: number, name: string | undefined) => (name ? `${id} (${name})` : String(id))
  // Root and the proxy's own uid/gid always have every capability; listing them changes nothing.
  const implied = (id: number, own: number | undefined) => id === 0 || id === own
  const explicitCaps = new Map(
    (conf.allowedPeers?.value ?? []).flatMap((p) => (p.uid ? [[p.uid.value, p.capabilities]] : [])),
  )
  const findings: Finding[] = []
  for (const uid of conf.allowedPeerUids?.value ?? []) {
    if (implied(uid.value, service?.id) || explicitCaps.has(uid.value)) continue
    findings.push({
      check: 'PSP-CONF-004',
      path: conf.path,
      line: uid.line,
      message: `allowed_peer_uids: uid ${named(uid.value, userName(uid.value))} gets every capability, admin RPCs included (key pushes to the cluster nodes)`,
    })
  }
  for (const gid of conf.allowedPeerGids?.value ?? []) {
    if (implied(gid.value, service?.gid)) continue
    findings.push({
      check: 'PSP-CONF-004',
      path: conf.path,
      line: gid.line,
      message: `allowed_peer_gids: every process whose group is ${named(gid.value, groupName(gid.value))} gets every capability, admin RPCs included`,
    })
  }
  for (const peer of conf.allowedPeers?.value ?? []) {
    const admin = peer.capabilities.find((c) => c.value.trim().toLowerCase() === 'admin')
    if (!admin || !peer.uid || implied(peer.uid.value, service?.id)) continue
    findings.push({
      check: 'PSP-CONF-004',
      path: conf.path,
      line: admin.line,
      message: `allowed_peers: uid ${named(peer.uid.value, userName(peer.uid.value))} is given the admin capability`,
    })
  }
  return findings
}

function idmapFindings(conf: ProxyConfig): Finding[] {
  if (conf.allowIdmappedRoot?.value === false) return []
  return (conf.allowedIdmapUsers?.value ?? [])
    .filter((u) => u.value.trim() !== '' && u.value.trim() !== 'root')
    .map((u) => ({
      check: 'PSP-CONF-005',
      path: conf.path,
      line: u.line,
      message: `allowed_idmap_users: every uid in ${u.value.trim()}'s subordinate ranges (/etc/subuid) may read from the proxy; ${u.value.trim()} can enter such a user namespace without root`,
    }))
}

/** Who besides the owner (and root, and the service's group) can read a file, or undefined. */
async function readableByOthers(host: Host, path: string): Promise<string | undefined> {
  const st = await host.stat(path, {follow: true})
  if (!st.ok) return undefined
  const mode = st.value.mode
  const [, group = ''] = (await host.ownerOf(st.value)).split(':')
  if (mode & 0o004) return `every user can read it (mode ${(mode & 0o7777).toString(8).padStart(4, '0')})`
  if (mode & 0o040 && group !== 'root' && group !== PROXY_USER) return `group ${group} can read it`
  return undefined
}

async function tokenFindings(host: Host, conf: ProxyConfig): Promise<Finding[]> {
  const findings: Finding[] = []
  const token = conf.httpAuthToken
  if (token && token.value.trim() !== '') {
    const who = await readableByOthers(host, conf.path)
    if (who)
      findings.push({
        check: 'PSP-CONF-006',
        path: conf.path,
        line: token.line,
        // What the token opens is GET /temps and /health, and only from allowed_source_subnets: a
        // local user who reads it learns the nodes' sensor readings, nothing more. The installer
        // writes it so (config.yaml 0644), so the finding stays below medium.
        severity: 'low',
        message: `http_auth_token is written in the file and ${who}: a local user who reads it can call the proxy's HTTP API from a source in allowed_source_subnets, which serves only the nodes' sensor readings (GET /temps) and /health`,
      })
  }
  const plane = conf.pulseControlPlane
  if (plane) {
    const tokenFile = plane.tokenFile?.value.trim() || DEFAULT_CONTROL_TOKEN
    const who = await readableByOthers(host, tokenFile)
    if (who)
      findings.push({
        check: 'PSP-CONF-006',
        path: tokenFile,
        message: `the control-plane token (pulse_control_plane.token_file) can be read by others: ${who}`,
      })
  }
  return findings
}

function controlPlaneFindings(conf: ProxyConfig): Finding[] {
  const plane = conf.pulseControlPlane
  if (!plane) return []
  const findings: Finding[] = []
  const url = plane.url?.value.trim() ?? ''
  if (/^http:\/\//i.test(url))
    findings.push({
      check: 'PSP-CONF-007',
      path: conf.path,
      line: plane.url?.line,
      message: `pulse_control_plane.url ${url} is plain HTTP: the control-plane token and the list of nodes the proxy may reach travel unencrypted and can be changed in transit`,
    })
  if (plane.insecureSkipVerify?.value === true)
    findings.push({
      check: 'PSP-CONF-007',
      path: conf.path,
      line: plane.insecureSkipVerify.line,
      message:
        'pulse_control_plane.insecure_skip_verify is true: the proxy accepts any certificate, so anyone in ' +
        'the path can pose as Pulse and hand it the nodes to trust',
    })
  return findings
}

/**
 * PSP-CONF-009 and PSP-CONF-010: the HTTPS mode (http_enabled: true), as cmd/pulse-sensor-proxy's
 * config.go and http_server.go run it. Requests pass, in order, allowed_source_subnets (403 to any
 * other source), a rate limit, and the bearer token (401); then GET /temps?node=NAME fetches that
 * node's sensors over SSH and GET /health answers. The installer listens on 0.0.0.0:8443 and asks
 * for a firewall rule that lets only the Pulse server in.
 */
async function httpsFindings(host: Host, conf: ProxyConfig): Promise<Finding[]> {
  if (conf.httpEnabled?.value !== true) return []
  const findings: Finding[] = []
  const address = conf.httpListenAddr?.value.trim() || DEFAULT_HTTPS_ADDRESS
  const listen = listenHost(address)
  const port = /:(\d+)$/.exec(address)?.[1] ?? '8443'
  if (listen !== undefined && !isLoopback(listen)) {
    const where = listen === '' || listen === '0.0.0.0' || listen === '::' ? 'every interface' : listen
    findings.push({
      check: 'PSP-CONF-009',
      path: conf.path,
      line: conf.httpListenAddr?.line ?? conf.httpEnabled.line,
      evidence: `http_listen_addr: ${address}`,
      message:
        `the HTTPS mode listens on ${address} (${where}${conf.httpListenAddr?.value.trim() ? '' : '; the default since Pulse 5.0, ":8443" with IPv6 too before'}): any host that reaches port ${port} gets the proxy's TLS server; ` +
        'it answers sources outside allowed_source_subnets with 403 and requests without the bearer token with 401, and ' +
        'with the token GET /temps?node=NAME makes it SSH to that node; the installer asks for a firewall rule that lets ' +
        `only the Pulse server reach port ${port}`,
    })
  }
  const missing = [
    ['http_auth_token', conf.httpAuthToken],
    ['http_tls_cert', conf.httpTlsCert],
    ['http_tls_key', conf.httpTlsKey],
  ].filter(([, v]) => !(v as {value: string} | undefined)?.value.trim())
  if (missing.length > 0)
    findings.push({
      check: 'PSP-CONF-010',
      path: conf.path,
      line: conf.httpEnabled.line,
      message: `http_enabled is true without ${missing.map(([k]) => k).join(', ')}: the proxy refuses the file ("http_enabled=true requires ...") and does not start, Unix socket included`,
    })
  for (const [key, at] of [
    ['http_tls_cert', conf.httpTlsCert],
    ['http_tls_key', conf.httpTlsKey],
  ] as const) {
    const file = at?.value.trim()
    if (!at || !file) continue
    const st = await host.stat(file, {follow: true})
    if (!st.ok) {
      findings.push({
        check: 'PSP-CONF-010',
        path: conf.path,
        line: at.line,
        evidence: `${key}: ${file}`,
        message: `${key} names ${file}, which ${st.missing ? 'does not exist' : `cannot be read (${st.message})`}: the HTTPS server cannot load it and serves nothing on port ${port}`,
      })
      continue
    }
    const who = key === 'http_tls_key' ? await readableByOthers(host, file) : undefined
    if (who)
      findings.push({
        check: 'PSP-CONF-010',
        path: file,
        message: `the HTTPS mode's private key ${who}: whoever reads it can pose as the proxy's HTTPS endpoint (the installer keeps it 0640 root:pulse-sensor-proxy)`,
        ...withRemedy({kind: 'attrs', path: file, owner: 'root', group: PROXY_USER, mode: 0o640}),
      })
  }
  const who = await readableByOthers(host, HTTP_TOKEN_FILE)
  if (who)
    findings.push({
      check: 'PSP-CONF-010',
      path: HTTP_TOKEN_FILE,
      message: `the copy of http_auth_token ${who}: with it, a host inside allowed_source_subnets may call GET /temps (the installer keeps it 0600 pulse-sensor-proxy)`,
      ...withRemedy({
        kind: 'attrs',
        path: HTTP_TOKEN_FILE,
        owner: PROXY_USER,
        group: PROXY_USER,
        mode: 0o600,
      }),
    })
  return findings
}

function loadFindings(conf: ProxyConfig): Finding[] {
  return conf.problems.map((p) => ({
    check: 'PSP-CONF-008',
    path: conf.path,
    line: p.line,
    message:
      p.kind === 'duplicate' && /"allowed_nodes"/.test(p.message)
        ? `${p.message} (from v4.31.1 on the proxy drops the later allowed_nodes block and rewrites the file; older ones do not start)`
        : `${p.message}; the daemon does not start`,
  }))
}

/** config.yaml read and judged once per host. */
export const analyzeProxyConfig = perHost(async (host: Host): Promise<Outcome<ConfigAnalysis>> => {
  const path = PROXY_CONFIG_PATH
  const text = await host.readText(path)
  if (!text.ok && !text.missing) return {state: 'error', path, message: text.message}
  const conf = parseProxyConfig(text.ok ? text.value : '', path)
  const [syntax] = conf.syntaxErrors
  if (syntax)
    return {
      state: 'error',
      path,
      message: `line ${syntax.line}: ${syntax.message}; the proxy refuses the file and does not start, so nothing in it can be judged`,
    }
  const findings = [
    ...metricsFindings(conf, text.ok ? text.value.split('\n') : []),
    ...subnetFindings(conf),
    ...(await peerFindings(host, conf)),
    ...idmapFindings(conf),
    ...(await tokenFindings(host, conf)),
    ...controlPlaneFindings(conf),
    ...(await httpsFindings(host, conf)),
    ...loadFindings(conf),
  ]
  return {state: 'judged', findings, path, present: text.ok, conf}
})
