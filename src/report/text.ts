import {Chalk, type ChalkInstance} from 'chalk'

import type {Profile, Severity} from '../checks/types.js'
import type {NagiosStatus, Report, ReportResult} from '../engine/model.js'
import {escapeControl, ignoredBecause, isIgnored, worstFirst} from './index.js'

export interface TextOptions {
  color: boolean
  /** Also list passes, skips and the evidence of failures. */
  verbose?: boolean
}

const HEADINGS: Record<Profile, string> = {
  'pcp-collector': 'PCP collector',
  'pcp-monitor': 'PCP monitor',
  'pulse-proxy': 'Pulse sensor proxy',
  'proxmox-host': 'Proxmox VE host',
  'pulse-container': 'Pulse container',
}

const OTHER = 'Other checks'

/** `[CRITICAL]` is the widest tag; the others are padded to it so the check ids line up. */
const TAG_WIDTH = '[RESOLVED]'.length

const INDENT = '  '
const DETAIL = INDENT + ' '.repeat(TAG_WIDTH + 1)

/**
 * The human format: results grouped by component (the first profile of their check), failures
 * worst first with the fix under each, passes as a count unless verbose, then a summary line.
 */
export function formatText(report: Report, options: TextOptions): string {
  const c = new Chalk({level: options.color ? 1 : 0})
  const verbose = options.verbose ?? false
  const lines = [c.bold(`${report.tool.name} ${report.tool.version}: audit of ${clean(report.root)}`), '']
  for (const [heading, results] of groups(report)) {
    const shown = results
      .filter((r) => r.status === 'fail' || r.status === 'error' || r.waived)
      .sort(worstFirst(report.failOn, report.baseline?.failOnNew))
    const passed = results.filter((r) => r.status === 'pass' && !r.waived)
    const skipped = results.filter((r) => r.status === 'skip' && !r.waived)
    lines.push(c.bold.underline(heading))
    for (const r of shown) lines.push(...problem(r, report, c, verbose))
    if (verbose) {
      for (const r of passed) lines.push(entry(c.green(tag('pass')), r, c))
      for (const r of skipped) lines.push(entry(c.dim(tag('skip')), r, c))
    } else {
      const tally = [`${passed.length} passed`, ...(skipped.length > 0 ? [`${skipped.length} skipped`] : [])]
      if (passed.length + skipped.length > 0) lines.push(INDENT + c.dim(tally.join(', ')))
    }
    lines.push('')
  }
  if (report.baseline && report.baseline.resolved.length > 0) {
    lines.push(c.bold.underline('Resolved since the baseline'))
    for (const f of report.baseline.resolved) {
      const where = f.path === undefined ? '' : ' ' + c.cyan(clean(f.path))
      lines.push(`${INDENT}${c.green(tag('resolved'))} ${c.bold(f.check)}${where}: ${clean(f.message)}`)
    }
    lines.push('')
  }
  lines.push(summaryLine(report, c))
  return lines.join('\n') + '\n'
}

/** Results by the heading of their check's first profile, headings in profile order. */
function groups(report: Report): [string, ReportResult[]][] {
  const order = [...Object.values(HEADINGS), OTHER]
  const profileOf = new Map(report.checks.map((check) => [check.id, check.profiles[0]]))
  const byHeading = new Map<string, ReportResult[]>()
  for (const r of report.results) {
    const profile = profileOf.get(r.check)
    const heading = profile === undefined ? OTHER : HEADINGS[profile]
    byHeading.set(heading, [...(byHeading.get(heading) ?? []), r])
  }
  return [...byHeading].sort(([a], [b]) => order.indexOf(a) - order.indexOf(b))
}

function problem(r: ReportResult, report: Report, c: ChalkInstance, verbose: boolean): string[] {
  const label = r.waived
    ? c.gray(tag('waived'))
    : r.status === 'error'
      ? c.magenta(tag('error'))
      : severityTag(r.severity, c)
  const marker = r.baseline === 'new' ? ' ' + c.yellow('(new)') : ''
  const lines = [entry(label, r, c) + marker]
  if (isIgnored(r, report.failOn, report.baseline?.failOnNew))
    lines.push(DETAIL + c.dim(ignoredBecause(r, report)))
  if (verbose && r.evidence !== undefined) lines.push(DETAIL + c.dim('seen: ') + clean(r.evidence))
  if (r.waived) {
    const {reason, expires, source} = r.waived
    const until = expires === undefined ? '' : `until ${clean(expires)}, `
    lines.push(DETAIL + c.gray(`waived: ${clean(reason)} (${until}${clean(source)})`))
  } else if (r.status === 'fail') {
    lines.push(...block('fix: ', r.remediation, c))
  }
  return lines
}

function entry(label: string, r: ReportResult, c: ChalkInstance): string {
  const where =
    r.path === undefined ? '' : ' ' + c.cyan(clean(r.path) + (r.line === undefined ? '' : `:${r.line}`))
  return `${INDENT}${label} ${c.bold(r.check)}${where}: ${clean(r.message)}`
}

/** A labelled detail whose text may span lines (a remediation can be a config snippet). */
function block(label: string, value: string, c: ChalkInstance): string[] {
  return value
    .split('\n')
    .map((line, i) => DETAIL + (i === 0 ? c.dim(label) : ' '.repeat(label.length)) + clean(line))
}

function tag(word: string): string {
  return `[${word.toUpperCase()}]`.padEnd(TAG_WIDTH)
}

function severityTag(severity: Severity, c: ChalkInstance): string {
  const colour: Record<Severity, ChalkInstance> = {
    critical: c.red.bold,
    high: c.red,
    medium: c.yellow,
    low: c.cyan,
    info: c.blue,
  }
  return colour[severity](tag(severity))
}

function summaryLine(report: Report, c: ChalkInstance): string {
  const {status, counts} = report.summary
  const colour: Record<NagiosStatus, ChalkInstance> = {
    OK: c.green.bold,
    WARNING: c.yellow.bold,
    CRITICAL: c.red.bold,
    UNKNOWN: c.magenta.bold,
  }
  const ignored = counts.ignored > 0 ? `, ${counts.ignored} ignored` : ''
  const b = report.baseline
  const since = b
    ? `; since the baseline: ${b.new} new, ${b.unchanged} unchanged, ${b.resolved.length} resolved${b.failOnNew ? ' (fail-on-new)' : ''}`
    : ''
  return (
    `${colour[status](status)}: ${counts.critical} critical, ${counts.warning} warning, ${counts.unknown} unknown; ` +
    `${counts.passed} passed, ${counts.skipped} skipped, ${counts.waived} waived${ignored} (fail-on: ${report.failOn})${since}`
  )
}

/** Text from the audited host must not drive the terminal. */
function clean(text: string): string {
  return escapeControl(text)
}
