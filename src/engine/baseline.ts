import {SEVERITIES, type Severity} from '../checks/types.js'
import {InputError} from './errors.js'
import {identities} from './identity.js'
import type {BaselineState, Report, ReportResult, ResolvedFinding} from './model.js'
import {summarize} from './status.js'

/** The failures of an earlier JSON report (`verify --format json`), by identity. */
export type Baseline = Map<string, ResolvedFinding>

const FAILING = new Set(['fail', 'error'])

/**
 * Read a JSON report written by `verify --format json`. Reports written before identities were
 * added get theirs computed the same way. Anything else is bad input, named by file.
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
    return {
      check: x.check,
      status: x.status,
      message: x.message,
      severity: (SEVERITIES as readonly unknown[]).includes(x.severity) ? (x.severity as Severity) : 'info',
      ...(typeof x.path === 'string' ? {path: x.path} : {}),
      ...(typeof x.evidence === 'string' ? {evidence: x.evidence} : {}),
      ...(typeof x.identity === 'string' ? {identity: x.identity} : {}),
    }
  })
  const computed = identities(parsed)
  const baseline: Baseline = new Map()
  parsed.forEach((r, i) => {
    if (!FAILING.has(r.status)) return
    const identity = r.identity ?? computed[i]!
    baseline.set(identity, {
      identity,
      check: r.check,
      severity: r.severity,
      ...(r.path === undefined ? {} : {path: r.path}),
      message: r.message,
    })
  })
  return baseline
}

/**
 * Mark each failure and error of a report new or unchanged against a baseline, list the baseline's
 * failures that are gone, and recompute the status (with failOnNew, only new failures raise it).
 */
export function applyBaseline(report: Report, baseline: Baseline, file: string, failOnNew: boolean): Report {
  const ids = identities(report.results)
  const current = new Set<string>()
  let fresh = 0
  let unchanged = 0
  const results: ReportResult[] = report.results.map((r, i) => {
    if (!FAILING.has(r.status)) return r
    const id = ids[i]!
    current.add(id)
    const state: BaselineState = baseline.has(id) ? 'unchanged' : 'new'
    if (state === 'new') fresh++
    else unchanged++
    return {...r, baseline: state}
  })
  const resolved = [...baseline.values()].filter((f) => !current.has(f.identity))
  return {
    ...report,
    results,
    summary: summarize(results, report.failOn, failOnNew),
    baseline: {file, failOnNew, new: fresh, unchanged, resolved},
  }
}
