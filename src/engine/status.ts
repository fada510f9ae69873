import {type Severity, severityRank} from '../checks/types.js'
import type {
  NagiosStatus,
  Report,
  ReportCounts,
  ReportResult,
  RestartSummary,
  SeverityCounts,
} from './model.js'

/**
 * The Nagios state one result raises: errors are UNKNOWN, critical/high failures CRITICAL,
 * medium/low failures WARNING. Waived results, failures below --fail-on and failures of
 * info checks raise nothing (OK), as do passes and skips; with --fail-on-new, so do failures
 * the baseline already had.
 */
export function raisedState(
  result: Pick<ReportResult, 'status' | 'severity' | 'waived' | 'baseline'>,
  failOn: Severity,
  failOnNew = false,
): NagiosStatus {
  if (result.waived) return 'OK'
  if (failOnNew && result.baseline === 'unchanged') return 'OK'
  if (result.status === 'error') return 'UNKNOWN'
  if (result.status !== 'fail' || result.severity === 'info') return 'OK'
  if (severityRank(result.severity) < severityRank(failOn)) return 'OK'
  return result.severity === 'critical' || result.severity === 'high' ? 'CRITICAL' : 'WARNING'
}

/** Unwaived failures by severity, whether or not they raise the state. */
export function countSeverities(
  results: Pick<ReportResult, 'status' | 'severity' | 'waived'>[],
): SeverityCounts {
  const severities: SeverityCounts = {critical: 0, high: 0, medium: 0, low: 0, info: 0}
  for (const r of results) if (r.status === 'fail' && !r.waived) severities[r.severity]++
  return severities
}

/** The counts and the overall state; precedence CRITICAL > WARNING > UNKNOWN > OK. */
export function summarize(
  results: ReportResult[],
  failOn: Severity,
  failOnNew = false,
): {status: NagiosStatus; counts: ReportCounts; severities: SeverityCounts} {
  const counts: ReportCounts = {
    critical: 0,
    warning: 0,
    unknown: 0,
    ignored: 0,
    passed: 0,
    skipped: 0,
    waived: 0,
  }
  for (const r of results) {
    const state = raisedState(r, failOn, failOnNew)
    if (r.waived) counts.waived++
    else if (state === 'CRITICAL') counts.critical++
    else if (state === 'WARNING') counts.warning++
    else if (state === 'UNKNOWN') counts.unknown++
    else if (r.status === 'fail') counts.ignored++
    else if (r.status === 'pass') counts.passed++
    else counts.skipped++
  }
  const status: NagiosStatus =
    counts.critical > 0 ? 'CRITICAL' : counts.warning > 0 ? 'WARNING' : counts.unknown > 0 ? 'UNKNOWN' : 'OK'
  return {status, counts, severities: countSeverities(results)}
}

const STATE_RANK: Record<NagiosStatus, number> = {OK: 0, UNKNOWN: 1, WARNING: 2, CRITICAL: 3}

/** The worst state, with CRITICAL > WARNING > UNKNOWN > OK as verify's summary ranks them. */
export function worstState(states: readonly NagiosStatus[]): NagiosStatus {
  return states.reduce<NagiosStatus>((worst, s) => (STATE_RANK[s] > STATE_RANK[worst] ? s : worst), 'OK')
}

/**
 * The report of the audit after a fix, with what --restart did: a restart that could not be done
 * or failed is worse news than the files alone tell, so it raises the summary's state (the exit
 * status every format states).
 */
export function withRestart(report: Report, restart: RestartSummary): Report {
  return {
    ...report,
    summary: {...report.summary, status: worstState([report.summary.status, restart.status])},
    restart: {status: restart.status, lines: [...restart.lines]},
  }
}
