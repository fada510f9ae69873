import {SEVERITIES, type Severity} from '../checks/types.js'
import {InputError} from './errors.js'
import {identitiesByHost} from './identity.js'
import type {BaselineState, FleetHost, Report, ReportResult, ResolvedFinding} from './model.js'
import {summarize} from './status.js'

/**
 * The failures of an earlier JSON report (`verify --format json`), by key: the identity, and in a
 * fleet audit's report (`verify --nodes`, with `hosts`) the node and the identity.
 */
export interface Baseline {
  /** The report was a fleet audit's: its findings are keyed by node. */
  fleet: boolean
  findings: Map<string, ResolvedFinding>
}

const FAILING = new Set(['fail', 'error'])

/** A finding's key in a baseline: its identity, on its node in a fleet audit. */
const keyOf = (host: string | undefined, identity: string) =>
  host === undefined ? identity : `${host}\0${identity}`

/**
 * Read a JSON report written by `verify --format json`. Reports written before identities were
 * added get theirs computed the same way (per node in a fleet audit's report). Anything else is
 * bad input, named by file.
 */
export function parseBaseline(text: string, file: string): Baseline {
  let data: unknown
  try {
    data = JSON.parse(text)
  } catch (error) {
    throw new InputError(`--baseline ${file}: not JSON (${(error as Error).message})`)
  }
  const results = (data as {results?: unknown} | null)?.results
  if (typeof data !== 'object' || data === null || !Array.isArray(results))
    throw new InputError(`--baseline ${file}: not a pcp-harden JSON report (no "results" list)`)
  const fleet = Array.isArray((data as {hosts?: unknown}).hosts)
  const parsed = results.map((r: unknown, i) => {
    const x = r as Record<string, unknown> | null
    if (
      typeof x !== 'object' ||
      x === null ||
      typeof x.check !== 'string' ||
      typeof x.status !== 'string' ||
      typeof x.message !== 'string'
    )
      throw new InputError(`--baseline ${file}: results[${i}] is not a result (check, status and message)`)
    if (fleet && typeof x.host !== 'string')
      throw new InputError(`--baseline ${file}: results[${i}] of a fleet audit's report has no "host"`)
    return {
      ...(fleet ? {host: x.host as string} : {}),
      check: x.check,
      status: x.status,
      message: x.message,
      severity: (SEVERITIES as readonly unknown[]).includes(x.severity) ? (x.severity as Severity) : 'info',
      ...(typeof x.path === 'string' ? {path: x.path} : {}),
      ...(typeof x.evidence === 'string' ? {evidence: x.evidence} : {}),
      ...(typeof x.identity === 'string' ? {identity: x.identity} : {}),
    }
  })
  const computed = identitiesByHost(parsed)
  const findings = new Map<string, ResolvedFinding>()
  parsed.forEach((r, i) => {
    if (!FAILING.has(r.status)) return
    const identity = r.identity ?? computed[i]!
    findings.set(keyOf(r.host, identity), {
      ...(r.host === undefined ? {} : {host: r.host}),
      identity,
      check: r.check,
      severity: r.severity,
      ...(r.path === undefined ? {} : {path: r.path}),
      message: r.message,
    })
  })
  return {fleet, findings}
}

/**
 * Mark each failure and error of a report new or unchanged against a baseline, list the baseline's
 * failures that are gone, and recompute the status (with failOnNew, only new failures raise it).
 *
 * A fleet audit compares each node with the same node of a fleet audit's baseline: a node the
 * baseline does not have has only new failures, and only the nodes audited in this run can have
 * resolved ones (an unreachable node's earlier failures are not known to be gone), and a node not
 * audited now is always new (it may have new failures: it stays UNKNOWN). Each node's
 * state is recomputed, so the fleet's is the worst node's by its new failures. A fleet audit and a
 * baseline of one host (or the reverse) are not compared: bad input, saying so.
 */
export function applyBaseline(report: Report, baseline: Baseline, file: string, failOnNew: boolean): Report {
  if (report.hosts && !baseline.fleet)
    throw new InputError(
      `--baseline ${file}: a report of one host; a fleet audit (--nodes, --cluster) compares with a fleet audit's JSON report`,
    )
  if (!report.hosts && baseline.fleet)
    throw new InputError(
      `--baseline ${file}: a fleet audit's report (verify --nodes); give it with --nodes or --cluster, or compare this host with a report of one host`,
    )
  const ids = identitiesByHost(report.results)
  const notAudited = new Set(report.hosts?.filter((h) => h.error !== undefined).map((h) => h.host))
  const current = new Set<string>()
  let fresh = 0
  let unchanged = 0
  const results: ReportResult[] = report.results.map((r, i) => {
    if (!FAILING.has(r.status)) return r
    const key = keyOf(r.host, ids[i]!)
    current.add(key)
    // A node not audited now may have new failures: its error is always new, so it stays UNKNOWN.
    const known = baseline.findings.has(key) && !notAudited.has(r.host ?? '')
    const state: BaselineState = known ? 'unchanged' : 'new'
    if (state === 'new') fresh++
    else unchanged++
    return {...r, baseline: state}
  })
  const audited = new Set(report.hosts?.filter((h) => h.error === undefined).map((h) => h.host))
  const resolved = [...baseline.findings.entries()]
    .filter(([key, f]) => !current.has(key) && (f.host === undefined || audited.has(f.host)))
    .map(([, f]) => f)
  return {
    ...report,
    results,
    summary: summarize(results, report.failOn, failOnNew),
    baseline: {file, failOnNew, new: fresh, unchanged, resolved},
    ...(report.hosts ? {hosts: report.hosts.map((h) => rejudged(h, results, report.failOn, failOnNew))} : {}),
  }
}

/** A node's state again from its own results, now marked new or unchanged. */
function rejudged(host: FleetHost, results: ReportResult[], failOn: Severity, failOnNew: boolean): FleetHost {
  const {status, counts, severities} = summarize(
    results.filter((r) => r.host === host.host),
    failOn,
    failOnNew,
  )
  return {...host, status, counts, severities}
}
