import type {Report, ReportCounts, ReportResult, SeverityCounts} from '../engine/model.js'
import {deniedText, groupDenied, RUN_AS_ROOT} from './denied.js'
import {escapeControl, raisedState, restartFailure, worstFirst} from './index.js'
import {severityCounts} from './severities.js'

const PERFDATA: readonly (keyof ReportCounts)[] = [
  'critical',
  'warning',
  'unknown',
  'passed',
  'skipped',
  'waived',
  'ignored',
]

/** Findings by severity, after the state counts: `critical_findings=3;;;0 high_findings=10;;;0 ...`. */
const SEVERITY_PERFDATA: readonly (keyof SeverityCounts)[] = ['critical', 'high', 'medium', 'low', 'info']

/**
 * Output of a Nagios/Icinga plugin (monitoring-plugins development guidelines):
 * `SERVICE STATUS - text | perfdata` on the first line, then one line per result that raised
 * the state, worst first (permission errors last, one line per unreadable directory), each tagged with its finding's severity (`[HIGH]`; `[ERROR]` for a check
 * that could not run). The status word is the state; the text counts the findings by severity.
 * The caller exits with EXIT_CODES[report.summary.status].
 */
export function formatNagios(report: Report): string {
  const {status, counts} = report.summary
  const b = report.baseline
  const gate = b?.failOnNew ?? false
  const perfdata = [
    ...PERFDATA.map((label) => `${label}=${counts[label]};;;0`),
    ...SEVERITY_PERFDATA.map((s) => `${s}_findings=${report.summary.severities[s]};;;0`),
    ...(b ? [`new=${b.new};;;0`, `unchanged=${b.unchanged};;;0`, `resolved=${b.resolved.length};;;0`] : []),
  ].join(' ')
  const since = b ? `; since the baseline: ${b.new} new, ${b.resolved.length} resolved` : ''
  const head = `${report.tool.name.toUpperCase()} ${status} - ${restartNote(report)}${headline(report)}${since} | ${perfdata}`
  const {groups: denied, rest} = groupDenied(report.results)
  const details = rest
    .filter((r) => raisedState(r, report.failOn, gate) !== 'OK')
    .sort(worstFirst(report.failOn, gate))
    .map((r) => `${tag(r)}${r.baseline === 'new' ? ' (new)' : ''} ${r.check}${where(r)}: ${clean(r.message)}`)
  const unreadable = denied.map((g) => `[ERROR] ${clean(g.directory)}: ${deniedText(g)}; ${RUN_AS_ROOT}`)
  return [head, ...details, ...unreadable].join('\n') + '\n'
}

/** Why --restart raised the state, first: `systemctl restart pmcd.service failed (exit 1): ...; `. */
function restartNote(report: Report): string {
  const failure = restartFailure(report)
  return failure === undefined ? '' : `${clean(failure)}; `
}

export function headline({summary: {status, counts, severities}, restart}: Report): string {
  const failures = severityCounts(severities)
  const unknown = `${plural(counts.unknown, 'check')} could not run`
  // A restart that failed raised the state on its own (restartNote says so): the results passed.
  const passed = restart !== undefined && counts.critical + counts.warning + counts.unknown === 0
  switch (passed ? 'OK' : status) {
    case 'OK': {
      const notes = [`${plural(counts.passed, 'check')} passed`]
      if (counts.waived > 0) notes.push(`${counts.waived} waived`)
      if (counts.ignored > 0) notes.push(`${counts.ignored} ignored`)
      return notes.join(', ')
    }
    case 'UNKNOWN':
      return counts.critical + counts.warning > 0 ? `${unknown}, ${failures}` : unknown
    default:
      return counts.unknown > 0 ? `${failures}, ${unknown}` : failures
  }
}

/** A result's own severity, not the state it raised; an error has none. */
function tag(result: ReportResult): string {
  return result.status === 'error' ? '[ERROR]' : `[${result.severity.toUpperCase()}]`
}

function where(result: ReportResult): string {
  if (result.path === undefined) return ''
  return ' ' + clean(result.path) + (result.line === undefined ? '' : `:${result.line}`)
}

/**
 * One line of plugin output: no control characters (a newline would start a new line), and no
 * `|`, which starts the performance data on any line of plugin output.
 */
export function clean(text: string): string {
  return escapeControl(text).replaceAll('|', '¦')
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`
}
