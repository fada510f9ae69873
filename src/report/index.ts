import {severityRank, type Severity} from '../checks/types.js'
import type {NagiosStatus, Report, ReportResult} from '../engine/model.js'
import {raisedState} from '../engine/status.js'

export {raisedState}
export {escapeControl, escapeLines} from './escape.js'

/**
 * Why `verify --fix --restart` raised the state, or undefined when it did not: the last systemctl
 * line (the calls stop at the first that fails), or why none was made. Not yet escaped.
 */
export function restartFailure({restart}: Report): string | undefined {
  return restart && restart.status !== 'OK' ? restart.lines.at(-1) : undefined
}

export type ReportFormat = 'text' | 'json' | 'nagios' | 'sarif' | 'junit' | 'prometheus'

export const REPORT_FORMATS: readonly ReportFormat[] = [
  'text',
  'json',
  'nagios',
  'sarif',
  'junit',
  'prometheus',
]

export interface FormatOptions {
  /** text: colour the output (never applies to machine formats). */
  color?: boolean
  /** text: list passes, skips and evidence too. */
  verbose?: boolean
  /** text: only one line per failure, then the summary. */
  quiet?: boolean
  /** text: wrap lines to this many columns (none when unset). */
  width?: number
  /** sarif: `tool.driver.informationUri`. */
  toolUri?: string
  /** prometheus: when the audit ran (default: now). */
  now?: Date
}

/**
 * Render a report in one format. Only the formatter asked for is loaded, so the
 * default (text) path never pays for the others.
 */
export async function formatReport(
  report: Report,
  format: ReportFormat,
  options: FormatOptions = {},
): Promise<string> {
  switch (format) {
    case 'text': {
      const {color = false, verbose, quiet, width} = options
      if (report.hosts)
        return (await import('./fleet.js')).formatFleetText(report, {color, verbose, quiet, width})
      const {formatText} = await import('./text.js')
      return formatText(report, {color, verbose, quiet, width})
    }
    case 'json': {
      const {formatJson} = await import('./json.js')
      return formatJson(report)
    }
    case 'nagios': {
      if (report.hosts) return (await import('./fleet.js')).formatFleetNagios(report)
      const {formatNagios} = await import('./nagios.js')
      return formatNagios(report)
    }
    case 'sarif': {
      const {formatSarif} = await import('./sarif.js')
      return formatSarif(report, {toolUri: options.toolUri})
    }
    case 'junit': {
      const {formatJunit} = await import('./junit.js')
      return formatJunit(report)
    }
    case 'prometheus': {
      const {formatPrometheus} = await import('./prometheus.js')
      return formatPrometheus(report, {now: options.now})
    }
  }
}

/** A failure that is shown but raises nothing: below --fail-on, of an info check, or unchanged under --fail-on-new. */
export function isIgnored(result: ReportResult, failOn: Severity, failOnNew = false): boolean {
  return result.status === 'fail' && !result.waived && raisedState(result, failOn, failOnNew) === 'OK'
}

/** Why an ignored failure raises nothing, in a few words. */
export function ignoredBecause(result: ReportResult, report: Report): string {
  if (result.severity === 'info') return 'info only: does not raise the status'
  if (report.baseline?.failOnNew && result.baseline === 'unchanged')
    return 'unchanged since the baseline (--fail-on-new): does not raise the status'
  return `below fail-on (${report.failOn})`
}

const STATE_RANK: Record<NagiosStatus, number> = {CRITICAL: 3, WARNING: 2, UNKNOWN: 1, OK: 0}

/** Orders results worst first: by the state they raise, then by severity; stable otherwise. */
export function worstFirst(
  failOn: Severity,
  failOnNew = false,
): (a: ReportResult, b: ReportResult) => number {
  return (a, b) =>
    STATE_RANK[raisedState(b, failOn, failOnNew)] - STATE_RANK[raisedState(a, failOn, failOnNew)] ||
    severityRank(b.severity) - severityRank(a.severity)
}
