import type {Report, ReportResult} from '../engine/model.js'
import {splitByHost} from './hosts.js'
import {ignoredBecause, isIgnored} from './index.js'

type Outcome =
  | {kind: 'failure'; results: ReportResult[]}
  | {kind: 'error'; results: ReportResult[]}
  | {kind: 'skipped'; message: string}
  | {kind: 'passed'}

interface TestCase {
  check: string
  name: string
  outcome: Outcome
}

/**
 * JUnit XML for CI test reports: one testcase per check and path (or per check, for results
 * without a path). A testcase fails when any of its results failed (failures below --fail-on
 * included: the check did fail, the note in the body says it raises nothing), errors when a
 * check could not decide, and is skipped when the check does not apply or the failure is waived.
 */
export function formatJunit(report: Report): string {
  // A fleet audit: one testsuite per node, named by its `hostname` (the JUnit XML attribute).
  const suites = report.hosts ? splitByHost(report).map((h) => suite(h.report, h.host.host)) : [suite(report)]
  const sum = (key: keyof Suite['totals']) => suites.reduce((n, s) => n + s.totals[key], 0)
  const totals = `tests="${sum('tests')}" failures="${sum('failures')}" errors="${sum('errors')}" skipped="${sum('skipped')}"`
  const lines = [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="${attr(report.tool.name)}" ${totals}>`,
    ...suites.flatMap((s) => s.lines),
    '</testsuites>',
  ]
  return lines.join('\n') + '\n'
}

interface Suite {
  totals: {tests: number; failures: number; errors: number; skipped: number}
  lines: string[]
}

function suite(report: Report, host?: string): Suite {
  const cases = testCases(report)
  const count = (kind: Outcome['kind']) => cases.filter((c) => c.outcome.kind === kind).length
  const counts = {
    tests: cases.length,
    failures: count('failure'),
    errors: count('error'),
    skipped: count('skipped'),
  }
  const totals = `tests="${counts.tests}" failures="${counts.failures}" errors="${counts.errors}" skipped="${counts.skipped}"`
  const properties: [string, string][] = [
    ...(host === undefined ? [] : ([['host', host]] as [string, string][])),
    ['root', report.root],
    ['profiles', report.profiles.join(',')],
    ['fail-on', report.failOn],
    ['status', report.summary.status],
    ...(report.baseline
      ? ([
          ['baseline', report.baseline.file],
          ['baseline-new', String(report.baseline.new)],
          ['baseline-unchanged', String(report.baseline.unchanged)],
          ['baseline-resolved', String(report.baseline.resolved.length)],
        ] as [string, string][])
      : []),
    ...(report.restart ? ([['restart', report.restart.status]] as [string, string][]) : []),
  ]
  // Said beside the results: what --restart did, and the baseline's failures that are gone.
  const notes = [
    ...(report.restart?.lines ?? []),
    ...(report.baseline?.resolved ?? []).map(
      (f) =>
        `resolved since the baseline: ${f.check}${f.path === undefined ? '' : ` ${f.path}`}: ${f.message}`,
    ),
  ]
  const name = host === undefined ? report.tool.name : `${report.tool.name} ${host}`
  const hostname = host === undefined ? '' : ` hostname="${attr(host)}"`
  return {
    totals: counts,
    lines: [
      `  <testsuite name="${attr(name)}"${hostname} ${totals}>`,
      '    <properties>',
      ...properties.map(([key, value]) => `      <property name="${attr(key)}" value="${attr(value)}"/>`),
      '    </properties>',
      ...cases.flatMap((c) => testCase(c, report)),
      ...(notes.length > 0 ? [`    <system-out>${text(notes.join('\n'))}</system-out>`] : []),
      '  </testsuite>',
    ],
  }
}

function testCases(report: Report): TestCase[] {
  const groups = new Map<string, ReportResult[]>()
  for (const r of report.results) {
    const key = `${r.check}\0${r.path ?? ''}`
    const group = groups.get(key)
    if (group) group.push(r)
    else groups.set(key, [r])
  }
  return [...groups.values()].map((results) => {
    const first = results[0]!
    return {
      check: first.check,
      name: `${first.check} ${first.path ?? first.title}`,
      outcome: outcome(results),
    }
  })
}

/** The worst outcome of a (check, path): failure, then error, then waived, then skip. */
function outcome(results: ReportResult[]): Outcome {
  const failures = results.filter((r) => r.status === 'fail' && !r.waived)
  if (failures.length > 0) return {kind: 'failure', results: failures}
  const errors = results.filter((r) => r.status === 'error' && !r.waived)
  if (errors.length > 0) return {kind: 'error', results: errors}
  const waived = results.find((r) => r.waived)
  if (waived?.waived) return {kind: 'skipped', message: `waived: ${waived.waived.reason}`}
  const skip = results.find((r) => r.status === 'skip')
  if (skip && results.every((r) => r.status === 'skip')) return {kind: 'skipped', message: skip.message}
  return {kind: 'passed'}
}

function testCase({check, name, outcome}: TestCase, report: Report): string[] {
  const open = `    <testcase classname="${attr(check)}" name="${attr(name)}"`
  switch (outcome.kind) {
    case 'passed':
      return [`${open}/>`]
    case 'skipped':
      return [`${open}>`, `      <skipped message="${attr(outcome.message)}"/>`, '    </testcase>']
    case 'failure':
    case 'error': {
      const first = outcome.results[0]!
      const more = outcome.results.length > 1 ? ` (and ${outcome.results.length - 1} more)` : ''
      const type = outcome.kind === 'failure' ? first.severity : 'error'
      const body = [
        ...outcome.results.map((r) => details(r, report)),
        ...(outcome.kind === 'failure'
          ? outcome.results.some((r) => r.fix !== undefined)
            ? outcome.results.map((r) => (r.fix === undefined ? `to do: ${r.remediation}` : `fix: ${r.fix}`))
            : [`to do: ${first.remediation}`]
          : []),
      ].join('\n\n')
      return [
        `${open}>`,
        `      <${outcome.kind} message="${attr(first.message + more)}" type="${attr(type)}">${text(body)}</${outcome.kind}>`,
        '    </testcase>',
      ]
    }
  }
}

function details(r: ReportResult, report: Report): string {
  const lines = [`${r.path ?? r.title}${r.line === undefined ? '' : `:${r.line}`}: ${r.message}`]
  if (r.evidence !== undefined) lines.push(`seen: ${r.evidence}`)
  if (r.baseline !== undefined) lines.push(`baseline: ${r.baseline}`)
  if (isIgnored(r, report.failOn, report.baseline?.failOnNew))
    lines.push(`note: ${ignoredBecause(r, report)}`)
  return lines.join('\n')
}

/**
 * XML 1.0 cannot carry most C0 control characters, U+FFFE, U+FFFF or unpaired surrogates,
 * not even as character references: they become visible escapes (`\x1b`) or U+FFFD.
 */
const TERMINAL_UNSAFE = /[\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g

function xmlSafe(value: string): string {
  return value.replace(
    // eslint-disable-next-line no-control-regex
    /[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g,
    (c) => {
      const code = c.charCodeAt(0)
      if (code < 0x20) return '\\x' + code.toString(16).padStart(2, '0')
      if (code >= 0xfffe) return '\\u' + code.toString(16)
      return '\ufffd'
    },
  )
}

function text(value: string): string {
  return characterReferences(
    xmlSafe(value).replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;'),
  )
}

/**
 * DEL, C1 controls (CSI U+009B) and bidi controls are valid XML but would reach a terminal that
 * shows the file: they are written as character references, which every XML parser reads back.
 */
function characterReferences(value: string): string {
  return value.replace(TERMINAL_UNSAFE, (c) => `&#x${c.charCodeAt(0).toString(16)};`)
}

/** Attribute values also keep their tabs and line breaks, which parsers would normalise to spaces. */
function attr(value: string): string {
  return text(value)
    .replaceAll('"', '&quot;')
    .replaceAll("'", '&apos;')
    .replaceAll('\t', '&#9;')
    .replaceAll('\n', '&#10;')
    .replaceAll('\r', '&#13;')
}
