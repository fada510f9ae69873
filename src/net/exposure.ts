import {analyzeAgent} from '../checks/agent/analysis.js'
import {analyzePmcd, type PmcdSetup} from '../checks/pmcd/analysis.js'
import {analyzePmproxy} from '../checks/pmproxy/analysis.js'
import {analyzeProxyConfig, DEFAULT_METRICS_ADDRESS, listenHost} from '../checks/proxy/config-analysis.js'
import {perHost} from '../checks/family.js'
import type {Host} from '../host/host.js'
import {decide, type Operation} from '../pcp/policy.js'
import {coversAllRemote, type Engine, reach, type Reach, type Verdict} from './firewall.js'
import {formatPrefix, type Family, LOOPBACK, parsePrefix, type Prefix} from './ip.js'
import {type Firewall, readFirewall} from './read-firewall.js'

/** Who can open a connection to a service port and use an operation. */
export type Scope = 'loopback only' | 'these networks' | 'anywhere' | 'undecided'

export interface OperationExposure {
  op: Operation | 'connect'
  scope: Scope
  /** The remote networks that may (scope "these networks"), IPv4 then IPv6. */
  networks: string[]
  /** Networks whose fate depends on something not known offline. */
  undecided: string[]
}

/** One service port: where it listens, what the firewall does, and who may do what through it. */
export interface ServiceExposure {
  service: string
  port: number
  /** The addresses it listens on, as its configuration says ("every interface", "127.0.0.1"). */
  bind: string
  /** It listens on an address other hosts can reach (not loopback only, not nothing). */
  listens: boolean
  /** The engine the firewall verdict comes from ("none": no firewall loads at boot). */
  firewall: Engine | 'none'
  /** The rules that decide for remote clients, accepting ones first: `file:line text`. */
  rules: string[]
  /** Who can open a connection at all (bind and firewall, before the service's own rules). */
  reachable: OperationExposure
  operations: OperationExposure[]
}

/** What a report carries: the firewalls found and every service port's exposure. */
export interface ExposureReport {
  firewalls: Array<{engine: Engine; why: string}>
  services: ServiceExposure[]
}

export function exposureReport(exposure: Exposure): ExposureReport {
  return {firewalls: exposure.firewall.engines, services: exposure.services}
}

export interface Exposure {
  firewall: Firewall
  services: ServiceExposure[]
}

const FAMILIES: readonly Family[] = [4, 6]

function describeRule(v: Verdict): string | undefined {
  if (v.rule) return `${v.rule.file}:${v.rule.line} ${v.rule.text}`
  if ('chain' in v && v.chain) {
    const where = v.chain.place ? `${v.chain.place.file}:${v.chain.place.line} ` : ''
    return `${where}${v.chain.name} policy ${v.chain.policy ?? 'accept'}`
  }
  return undefined
}

function summarize(reaches: Reach[], op: OperationExposure['op']): OperationExposure {
  const undecided = reaches.flatMap((r) => r.undecided.map(formatPrefix))
  if (reaches.length > 0 && reaches.every((r) => coversAllRemote(r.family, r.accepted)))
    return {op, scope: 'anywhere', networks: [], undecided}
  // Formatted only when listed: "anywhere" is every remote network, up to 128 prefixes per family.
  const networks = reaches.flatMap((r) => r.accepted.map(formatPrefix))
  const scope: Scope =
    networks.length > 0 ? 'these networks' : undecided.length > 0 ? 'undecided' : 'loopback only'
  return {op, scope, networks, undecided}
}

function loopbackOnly(op: OperationExposure['op']): OperationExposure {
  return {op, scope: 'loopback only', networks: [], undecided: []}
}

/** The families a bind reaches the network on (none: loopback only). */
function bindFamilies(addresses: string[] | 'any'): {families: Family[]; bind: string} {
  if (addresses === 'any') return {families: [...FAMILIES], bind: 'every interface'}
  const families = new Set<Family>()
  for (const a of addresses) {
    if (a === 'INADDR_ANY' || a === '0.0.0.0' || a === '') {
      families.add(4)
      continue
    }
    if (a === '::') {
      families.add(4)
      families.add(6)
      continue
    }
    const p = parsePrefix(a.replace(/%.*$/, ''))
    if (!p) continue
    const loop = LOOPBACK[p.family]
    if (p.base >= loop.base && p.bits >= loop.bits && (p.family === 6 ? p.base === loop.base : true)) continue
    families.add(p.family)
  }
  return {families: [...families], bind: addresses.join(', ') || 'nothing'}
}

function service(
  firewall: Firewall,
  name: string,
  port: number,
  bound: {families: Family[]; bind: string},
  ops: Array<{op: OperationExposure['op']; allowed?: (address: string) => boolean; cuts?: Prefix[]}>,
): ServiceExposure {
  const engine = firewall.sets[4]?.engine ?? firewall.sets[6]?.engine ?? 'none'
  const rules = new Set<string>()
  const reachable =
    bound.families.length === 0
      ? loopbackOnly('connect')
      : summarize(
          bound.families.map((family) => reach(firewall.sets[family], family, port)),
          'connect',
        )
  const operations = ops.map(({op, allowed, cuts}) => {
    if (bound.families.length === 0) return loopbackOnly(op)
    const reaches = bound.families.map((family) => {
      const r = reach(firewall.sets[family], family, port, {
        ...(allowed ? {allowed} : {}),
        ...(cuts ? {cuts} : {}),
      })
      for (const v of r.deciding) {
        const text = describeRule(v)
        if (text) rules.add(text)
      }
      return r
    })
    return summarize(reaches, op)
  })
  return {
    service: name,
    port,
    bind: bound.bind,
    listens: bound.families.length > 0,
    firewall: engine,
    rules: [...rules],
    reachable,
    operations,
  }
}

function pmcdPort(setup: PmcdSetup): number {
  const p = setup.options.options.filter((o) => o.letter === 'p').at(-1)?.value
  return p && /^\d+$/.test(p) ? Number(p) : 44321
}

/** The networks pmcd's access rules name (`10.1.2.*` is 10.1.2.0/24), so each is judged apart. */
function accessCuts(setup: PmcdSetup): Prefix[] {
  return (setup.access.policy?.rules ?? []).flatMap((rule) => {
    const m = /^ipv[46]:(.+)$/.exec(rule.key)
    const p = m ? parsePrefix(m[1] as string) : undefined
    return p ? [p] : []
  })
}

async function pmcdExposure(host: Host, firewall: Firewall): Promise<ServiceExposure[]> {
  const setup = await analyzePmcd(host)
  if (!setup || 'error' in setup || setup.startFailure) return []
  const bound = bindFamilies(
    setup.listeners.length === 0
      ? 'any'
      : setup.listeners.map((l) => (l.address === 'INADDR_LOOPBACK' ? '127.0.0.1' : l.address)),
  )
  const policy = setup.access.policy
  const cuts = accessCuts(setup)
  const op = (o: Operation) => ({
    op: o,
    cuts,
    ...(policy ? {allowed: (address: string) => decide(policy, address, o).allowed} : {}),
  })
  return [service(firewall, 'pmcd', pmcdPort(setup), bound, [op('fetch'), op('store')])]
}

async function pmproxyExposure(host: Host, firewall: Firewall): Promise<ServiceExposure[]> {
  const pmproxy = await analyzePmproxy(host)
  if (pmproxy.state !== 'judged' || pmproxy.startup.kind === 'masked' || pmproxy.startup.kind === 'manual')
    return []
  const {listening} = pmproxy
  const bound =
    listening.scope === 'network'
      ? {families: [...FAMILIES], bind: listening.description}
      : {families: [] as Family[], bind: listening.description}
  // pmproxy's REST API has no authentication of its own in PCP 6: whoever connects may fetch.
  return [44322, 44323].map((port) => service(firewall, 'pmproxy', port, bound, [{op: 'fetch'}]))
}

/** A Go listen address (":9127", "0.0.0.0:8443", "[::1]:9191") as a bind, with its port. */
function goListen(
  address: string,
  defaultPort: number,
): {port: number; bound: {families: Family[]; bind: string}} {
  const hostPart = listenHost(address)
  const port = Number(/:(\d+)$/.exec(address)?.[1] ?? defaultPort)
  const bound =
    hostPart === undefined
      ? {families: [] as Family[], bind: address}
      : bindFamilies(hostPart === '' ? ['::'] : [hostPart])
  return {port, bound}
}

async function proxyExposure(host: Host, firewall: Firewall): Promise<ServiceExposure[]> {
  const proxy = await analyzeProxyConfig(host)
  if (proxy.state !== 'judged' || !proxy.present) return []
  const out: ServiceExposure[] = []
  const written = proxy.conf.metricsAddress?.value.trim() ?? ''
  if (written.toLowerCase() !== 'disabled') {
    const address = written === '' || written === 'default' ? DEFAULT_METRICS_ADDRESS : written
    const {port, bound} = goListen(address, 9127)
    out.push({
      ...service(firewall, 'pulse-sensor-proxy metrics', port, bound, [{op: 'fetch'}]),
      bind: address,
    })
  }
  // The HTTPS mode (http_enabled: true) listens on http_listen_addr; unset, on 0.0.0.0:8443 since
  // Pulse 5.0 and ":8443" (IPv6 too) before: the wider one, since the version is not known here.
  // Requests from outside allowed_source_subnets get 403, those without the bearer token 401.
  if (proxy.conf.httpEnabled?.value === true) {
    const address = proxy.conf.httpListenAddr?.value.trim() || ':8443'
    const {port, bound} = goListen(address, 8443)
    out.push({
      ...service(firewall, 'pulse-sensor-proxy https', port, bound, [{op: 'connect'}]),
      bind: address,
    })
  }
  return out
}

async function agentExposure(host: Host, firewall: Firewall): Promise<ServiceExposure[]> {
  const agent = await analyzeAgent(host)
  if (agent.state !== 'judged' || agent.healthAddr === '') return []
  // --health-addr is a Go listen address: ":9191" is every interface, "127.0.0.1:9191" loopback.
  const address = agent.healthAddr
  const {port, bound} = goListen(address, 9191)
  return [{...service(firewall, 'pulse-agent', port, bound, [{op: 'connect'}]), bind: address}]
}

/** Every service port's exposure on a host, computed once however many checks ask. */
export const analyzeExposure = perHost(async (host: Host): Promise<Exposure> => {
  const firewall = await readFirewall(host)
  const services = [
    ...(await pmcdExposure(host, firewall)),
    ...(await pmproxyExposure(host, firewall)),
    ...(await proxyExposure(host, firewall)),
    ...(await agentExposure(host, firewall)),
  ]
  return {firewall, services}
})

/** "firewall (nftables) lets these networks in: 10.0.0.0/8 (/etc/nftables.conf:12 ...)". */
export function describeExposure(s: ServiceExposure, op: OperationExposure): string {
  const via = s.firewall === 'none' ? 'no firewall loads at boot' : `the ${s.firewall} firewall`
  if (op.scope === 'anywhere') return `any host may ${op.op} on port ${s.port} (${via} lets it in)`
  if (op.scope === 'these networks')
    return `${op.networks.join(', ')} may ${op.op} on port ${s.port} (${via})`
  if (op.scope === 'undecided')
    return `who may ${op.op} on port ${s.port} cannot be decided offline (${op.undecided.join(', ')}; ${via})`
  return `no remote host may ${op.op} on port ${s.port} (${via})`
}

/** "the nftables firewall lets only 10.1.2.0/24 reach port 44321". */
export function describeFirewall(s: ServiceExposure): string {
  const via = s.firewall === 'none' ? 'with no firewall loaded at boot,' : `the ${s.firewall} firewall lets`
  const r = s.reachable
  const who =
    r.scope === 'anywhere'
      ? 'any host'
      : r.scope === 'these networks'
        ? `only ${r.networks.join(', ')}`
        : r.scope === 'undecided'
          ? `hosts it cannot be decided offline for (${r.undecided.join(', ')})`
          : 'no remote host'
  return s.firewall === 'none'
    ? `${via} ${who} can reach port ${s.port}`
    : `${via} ${who} reach port ${s.port}`
}

/** Whether a service is open to other hosts, and why, in one phrase a finding can quote. */
export interface Reachability {
  exposed: boolean
  why: string
}

/**
 * Whether pmproxy accepts connections from other hosts: it starts (enabled, not masked), listens on
 * more than loopback, and the firewall that loads at boot lets some remote host reach 44322 or
 * 44323. The one place the vulnerability and web checks ask "is pmproxy reachable from the network".
 */
export async function pmproxyReachability(host: Host): Promise<Reachability> {
  const pmproxy = await analyzePmproxy(host)
  if (pmproxy.state === 'absent') return {exposed: false, why: 'pmproxy is not installed'}
  if (pmproxy.state === 'error')
    return {exposed: false, why: `pmproxy's files cannot be read (${pmproxy.message})`}
  if (pmproxy.startup.kind === 'masked') return {exposed: false, why: 'pmproxy is masked'}
  if (pmproxy.startup.kind === 'manual') return {exposed: false, why: 'pmproxy is not enabled'}
  const listens = `pmproxy listens on ${pmproxy.listening.description}`
  if (pmproxy.listening.scope !== 'network') return {exposed: false, why: listens}
  const ports = (await analyzeExposure(host)).services.filter((s) => s.service === 'pmproxy')
  const reached = ports.find((s) => s.reachable.scope !== 'loopback only')
  if (!reached) {
    const shut = ports[0]
    return {
      exposed: false,
      why: shut
        ? `${listens}, but ${describeFirewall(shut)}${ports[1] ? ` (nor port ${ports[1].port})` : ''}`
        : listens,
    }
  }
  return {
    exposed: true,
    why: reached.firewall === 'none' ? listens : `${listens}; ${describeFirewall(reached)}`,
  }
}

/** A remote host that may store into pmcd through the firewall and pmcd's [access] rules, if any. */
export async function pmcdRemoteStore(host: Host): Promise<Reachability | undefined> {
  const pmcd = (await analyzeExposure(host)).services.find((s) => s.service === 'pmcd')
  const store = pmcd?.operations.find((o) => o.op === 'store')
  if (!pmcd || !store) return undefined
  return {exposed: store.scope !== 'loopback only', why: describeExposure(pmcd, store)}
}
