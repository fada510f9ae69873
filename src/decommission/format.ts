import {type DecommissionReport} from './decommission.js'

const STATE = {ok: 'OK', critical: 'CRITICAL'} as const

/** The report as text (for a person, or a log) or JSON (for scripts); never any key material. */
export function formatDecommissionReport(report: DecommissionReport, format: 'text' | 'json'): string {
  if (format === 'json') return `${JSON.stringify(report, null, 2)}\n`
  const lines = [`DECOMMISSION ${STATE[report.status]} - ${report.summary}`]
  for (const note of report.notes) lines.push(`note: ${note}`)
  if (report.evidence) lines.push(`evidence: ${report.evidence}`)
  if (report.nodes.length > 0) {
    lines.push('nodes:')
    for (const node of report.nodes) lines.push(`  ${node.node}: ${node.status}: ${node.message}`)
  }
  if (report.local.length > 0) {
    lines.push('local:')
    for (const change of report.local) lines.push(`  ${change.replace(/\n/g, '\n  ')}`)
  }
  for (const diff of report.diffs ?? [])
    lines.push(diff.diff.replace(/\n$/, '').replace(/^Index: .*\n=+\n/, ''))
  return `${lines.join('\n')}\n`
}
