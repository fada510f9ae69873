import {type RotateReport} from './rotate.js'

const STATE = {ok: 'OK', warning: 'WARNING', critical: 'CRITICAL', unknown: 'UNKNOWN'} as const

/** The report as text (for a person, or a log) or JSON (for scripts); never any key material. */
export function formatRotateReport(report: RotateReport, format: 'text' | 'json'): string {
  if (format === 'json') return `${JSON.stringify(report, null, 2)}\n`
  const lines = [`ROTATE-KEYS ${STATE[report.status]} - ${report.summary}`]
  for (const note of report.notes) lines.push(`note: ${note}`)
  if (report.activeKey) lines.push(`active key: ${report.activeKey}`)
  if (report.line) lines.push(`line: ${report.line}`)
  if (report.nodes.length > 0) {
    lines.push('nodes:')
    for (const node of report.nodes) lines.push(`  ${node.node}: ${node.status}: ${node.message}`)
  }
  if (report.local.length > 0) {
    lines.push(report.action === 'dry-run' ? 'local moves:' : 'local:')
    for (const move of report.local) lines.push(`  ${move}`)
  }
  for (const diff of report.diffs ?? [])
    lines.push(diff.diff.replace(/\n$/, '').replace(/^Index: .*\n=+\n/, ''))
  return `${lines.join('\n')}\n`
}
