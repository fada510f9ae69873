import {stripVTControlCharacters} from 'node:util'

import {Chalk, type ChalkInstance} from 'chalk'

import type {Profile, Severity} from '../checks/types.js'
import {EXIT_CODES, type NagiosStatus, type Report, type ReportResult} from '../engine/model.js'
import {deniedText, groupDenied, RUN_AS_ROOT} from './denied.js'
import {escapeControl, ignoredBecause, isIgnored, restartFailure, worstFirst} from './index.js'
import {severityCounts} from './severities.js'

export interface TextOptions {
  color: boolean
  /** Also list passes, skips and the evidence of failures. */
  verbose?: boolean
  /** Only one line per failure (those that raise the status), then the summary line. */
  quiet?: boolean
  /** Wrap lines to this many columns, continuing under the text they belong to (unset: no wrap). */
  width?: number
}

const HEADINGS: Record<Profile, string> = {
  'pcp-collector': 'PCP collector',
  'pcp-monitor': 'PCP monitor',
  'pulse-proxy': 'Pulse sensor proxy',
  'pulse-agent': 'Pulse unified agent',
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
 * worst first with the fix under each, passes as a count unless verbose, then the summary line
 * (always one line, always last). Quiet: one line per failure, then the summary line.
 */
export function formatText(report: Report, options: TextOptions): string {
  const c = new Chalk({level: options.color ? 1 : 0})
  const verbose = options.verbose ?? false
  if (options.quiet) {
    const failures = report.results
      .filter(
        (r) => (r.status === 'fail' || r.status === 'error') && !r.waived && !isIgnored(r, report.failOn),
      )
      .sort(worstFirst(report.failOn))
      .map((r) => entry(r.status === 'error' ? c.magenta(tag('error')) : severityTag(r.severity, c), r, c))
    // One line each, unwrapped, for grep and for the eye.
    return [...failures, ...summaryLines(report, c)].join('\n') + '\n'
  }
  const lines = [c.bold(`${report.tool.name} ${report.tool.version}: audit of ${clean(report.root)}`), '']
  // Permission errors come last, one line per directory, not one per file.
  const {groups: denied, rest} = groupDenied(report.results)
  for (const [heading, results] of groups(report, rest)) {
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
  if (denied.length > 0) {
    lines.push(c.bold.underline(`Not readable by this user (${RUN_AS_ROOT})`))
    for (const group of denied) {
      lines.push(
        `${INDENT}${c.magenta(tag('error'))} ${c.cyan(clean(group.directory))}: ${deniedText(group)}`,
      )
      if (verbose)
        for (const r of group.results)
          lines.push(
            DETAIL + c.dim(`${r.check} ${clean(r.path ?? '')}${r.line === undefined ? '' : `:${r.line}`}`),
          )
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
  if (report.exposure && report.exposure.services.length > 0)
    lines.push(...exposureTable(report.exposure, c), '')
  const width = options.width
  const body = width === undefined ? lines : lines.flatMap((line) => wrap(line, width))
  // The summary comes last.
  return [...body, ...summaryLines(report, c)].join('\n') + '\n'
}

/**
 * A line broken at spaces so that none is wider than `width` columns (a word wider than that stays
 * whole). A result's continuation lines start under its message, a detail's under its text; the
 * colour codes count for nothing. --format json keeps every message and fix on one line.
 */
export function wrap(line: string, width: number): string[] {
  const visible = (text: string) => stripVTControlCharacters(text).length
  if (visible(line) <= width) return [line]
  const lead = /^ */.exec(line)?.[0] ?? ''
  const indent = lead.length === 0 ? '' : lead.length < DETAIL.length ? DETAIL : DETAIL + '  '
  const lines: string[] = []
  let current = lead
  let bare = true
  for (const word of line.slice(lead.length).split(' ')) {
    if (!bare && visible(current) + 1 + visible(word) > width) {
      lines.push(current)
      current = indent
      bare = true
    }
    current += (bare ? '' : ' ') + word
    bare = false
  }
  lines.push(current)
  return lines
}

/** Results by the heading of their check's first profile, headings in profile order. */
function groups(report: Report, results: ReportResult[]): [string, ReportResult[]][] {
  const order = [...Object.values(HEADINGS), OTHER]
  const profileOf = new Map(report.checks.map((check) => [check.id, check.profiles[0]]))
  const byHeading = new Map<string, ReportResult[]>()
  for (const r of results) {
    const profile = profileOf.get(r.check)
    const heading = profile === undefined ? OTHER : HEADINGS[profile]
    // Appended in place: copying the list for each result made a large report quadratic.
    const list = byHeading.get(heading)
    if (list) list.push(r)
    else byHeading.set(heading, [r])
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
    // `fix:` is only ever an exact command; a remediation that needs the admin's choice says so.
    lines.push(...(r.fix === undefined ? block('to do: ', r.remediation, c) : block('fix: ', r.fix, c)))
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

/**
 * Two lines: what was found, by severity (unwaived failures, whatever state they raise), then the
 * Nagios state the run exits with and what decided it.
 */
function summaryLines(report: Report, c: ChalkInstance): string[] {
  const {status, counts} = report.summary
  const colour: Record<NagiosStatus, ChalkInstance> = {
    OK: c.green.bold,
    WARNING: c.yellow.bold,
    CRITICAL: c.red.bold,
    UNKNOWN: c.magenta.bold,
  }
  const found = [
    severityCounts(report.summary.severities),
    `${counts.unknown} could not be checked`,
    `${counts.passed} passed, ${counts.skipped} skipped, ${counts.waived} waived`,
  ]
  const ignored = counts.ignored > 0 ? `; ${counts.ignored} below fail-on or info, not counted` : ''
  const b = report.baseline
  const since = b
    ? `; since the baseline: ${b.new} new, ${b.unchanged} unchanged, ${b.resolved.length} resolved${b.failOnNew ? ' (fail-on-new)' : ''}`
    : ''
  // A restart that could not be done or failed raised the state: the line that says so, beside it.
  const failure = restartFailure(report)
  const restart = failure === undefined ? '' : `; restart: ${clean(failure)}`
  return [
    `Found: ${found.join('; ')}${since}`,
    `Status: ${colour[status](status)} (exit ${EXIT_CODES[status]}, fail-on: ${report.failOn}${ignored}${restart})`,
  ]
}

/** Text from the audited host must not drive the terminal. */
function clean(text: string): string {
  return escapeControl(text)
}

/** Who can reach each service port: one row per port and operation, then where the verdict comes from. */
function exposureTable(exposure: NonNullable<Report['exposure']>, c: ChalkInstance): string[] {
  const rows = exposure.services.flatMap((s) =>
    s.operations.map((o) => [
      `${s.service}`,
      String(s.port),
      s.bind.replace(/ \(.*$/, ''),
      o.op,
      o.scope === 'these networks' ? o.networks.join(', ') : o.scope,
    ]),
  )
  const head = ['service', 'port', 'listens on', 'op', 'who may']
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => Math.min((r[i] ?? '').length, 40))))
  const row = (cells: string[]) =>
    INDENT +
    cells
      .map((cell, i) => (i === cells.length - 1 ? clean(cell) : clean(cell).padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd()
  const firewalls =
    exposure.firewalls.length === 0
      ? ['no firewall loads at boot (nftables.service, netfilter-persistent and ufw are not enabled)']
      : exposure.firewalls.map((f) => `${f.engine}: ${f.why}`)
  return [
    c.bold.underline('Exposure'),
    c.dim(row(head)),
    ...rows.map(row),
    ...firewalls.map((f) => INDENT + c.dim(`firewall: ${clean(f)}`)),
  ]
}
