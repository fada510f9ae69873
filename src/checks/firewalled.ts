import type {Host} from '../host/host.js'
import {analyzeExposure, describeFirewall, type ServiceExposure} from '../net/exposure.js'
import {formatPrefix, lastOf, parsePrefix, type Prefix} from '../net/ip.js'
import type {Check, CheckResult} from './types.js'

/** The service port a check speaks of, as the exposure model names it. */
export interface Port {
  service: string
  /** One of the service's ports (pmproxy has two); the first when absent. */
  port?: number
}

/**
 * How the firewall bears on a finding about remote clients: it lets no remote host reach the port
 * (the finding passes), only some networks (it stays, at low severity: those hosts can still use
 * it), or anyone it does not decide about (it stands, with the rules that let them in). Undefined
 * when the firewall has no say: none loads at boot, or the service does not listen on the network.
 */
export function firewallBearing(
  exposure: ServiceExposure | undefined,
): {kind: 'shut' | 'narrowed' | 'open'; note: string; evidence?: string} | undefined {
  if (!exposure || exposure.firewall === 'none' || !exposure.listens) return undefined
  const note = describeFirewall(exposure)
  const evidence = exposure.rules.length > 0 ? {evidence: exposure.rules.join('; ')} : {}
  const scope = exposure.reachable.scope
  const kind = scope === 'loopback only' ? 'shut' : scope === 'these networks' ? 'narrowed' : 'open'
  return {kind, note, ...evidence}
}

const overlaps = (a: Prefix, b: Prefix) => a.family === b.family && a.base <= lastOf(b) && b.base <= lastOf(a)

/** Whether the firewall lets no host of these networks reach the port (so a finding about them is moot). */
function shutFor(exposure: ServiceExposure, clients: Prefix[]): boolean {
  const scope = exposure.reachable.scope
  if (scope === 'anywhere') return false
  const open = [...exposure.reachable.networks, ...exposure.reachable.undecided].flatMap((n) => {
    const p = parsePrefix(n)
    return p ? [p] : []
  })
  return !clients.some((c) => open.some((o) => overlaps(c, o)))
}

/**
 * A failure about remote clients, judged again with what the firewall lets through; `clients`,
 * when known, are the networks this failure speaks of (an access rule's hosts).
 */
export function applyFirewall(
  result: CheckResult,
  exposure: ServiceExposure | undefined,
  clients?: Prefix[],
): CheckResult {
  if (result.status !== 'fail') return result
  const bearing = firewallBearing(exposure)
  if (!bearing) return result
  if (bearing.kind === 'narrowed' && clients && clients.length > 0 && exposure && shutFor(exposure, clients))
    return {
      status: 'pass',
      ...(result.path === undefined ? {} : {path: result.path}),
      ...(result.line === undefined ? {} : {line: result.line}),
      message: `${result.message}, but ${describeFirewall(exposure)}, none of ${clients.map(formatPrefix).join(', ')}`,
      ...(bearing.evidence ? {evidence: bearing.evidence} : {}),
    }
  const evidence = [result.evidence, bearing.evidence].filter(Boolean).join('; ')
  const withEvidence = evidence === '' ? {} : {evidence}
  if (bearing.kind === 'shut')
    return {
      status: 'pass',
      ...(result.path === undefined ? {} : {path: result.path}),
      ...(result.line === undefined ? {} : {line: result.line}),
      message: `${result.message}, but ${bearing.note}`,
      ...withEvidence,
    }
  if (bearing.kind === 'narrowed')
    return {...result, severity: 'low', message: `${result.message}, but ${bearing.note}`, ...withEvidence}
  return {...result, message: `${result.message}; ${bearing.note}`, ...withEvidence}
}

/**
 * A check whose failures speak of remote clients of a service port: the firewall has its say.
 * `clients` names the networks one failure speaks of, when the check knows them.
 */
export function firewalled(
  port: Port,
  check: Check,
  clients?: (host: Host, result: CheckResult) => Promise<Prefix[] | undefined>,
): Check {
  return {
    ...check,
    async run(host: Host) {
      const results = await check.run(host)
      if (!results.some((r) => r.status === 'fail')) return results
      const services = (await analyzeExposure(host)).services.filter((s) => s.service === port.service)
      const exposure = services.find((s) => port.port === undefined || s.port === port.port)
      return Promise.all(
        results.map(async (r) =>
          applyFirewall(r, exposure, clients && r.status === 'fail' ? await clients(host, r) : undefined),
        ),
      )
    },
  }
}
