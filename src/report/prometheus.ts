import {SEVERITIES, type Severity, severityRank} from '../checks/types.js'
import {EXIT_CODES, type Report} from '../engine/model.js'

export interface PrometheusOptions {
  /** When the audit ran: pcp_harden_last_run_timestamp_seconds. */
  now?: Date
}

/**
 * The Prometheus text exposition format (0.0.4), as node_exporter's textfile collector reads it:
 * no timestamps, one HELP and TYPE per family. Labels carry only check ids, severities and the
 * version, never text from the audited host, so the series stay few and stable.
 */
export function formatPrometheus(report: Report, options: PrometheusOptions = {}): string {
  const now = options.now ?? new Date()
  const failing = report.results.filter((r) => r.status === 'fail' && !r.waived)

  const checkSeverity = new Map(report.checks.map((c) => [c.id, c.severity]))
  const ids = [...new Set([...report.checks.map((c) => c.id), ...report.results.map((r) => r.check)])].filter(
    (id) => report.results.some((r) => r.check === id),
  )
  const status = ids.map((id) => {
    const fails = failing.filter((r) => r.check === id)
    // A failure's own severity may be above its check's: the series says how bad it is here.
    const worst = fails.reduce<Severity | undefined>(
      (w, r) => (w === undefined || severityRank(r.severity) > severityRank(w) ? r.severity : w),
      undefined,
    )
    const severity = worst ?? checkSeverity.get(id) ?? 'info'
    return `pcp_harden_check_status{check="${label(id)}",severity="${severity}"} ${fails.length > 0 ? 1 : 0}`
  })
  const findings = SEVERITIES.map(
    (s) => `pcp_harden_findings{severity="${s}"} ${failing.filter((r) => r.severity === s).length}`,
  )
  const lines = [
    '# HELP pcp_harden_check_status Whether a check has an unwaived failure on this host (1) or not (0).',
    '# TYPE pcp_harden_check_status gauge',
    ...status,
    '# HELP pcp_harden_findings Unwaived failures on this host, by severity.',
    '# TYPE pcp_harden_findings gauge',
    ...findings,
    '# HELP pcp_harden_errors Results of checks that could not decide (Nagios UNKNOWN).',
    '# TYPE pcp_harden_errors gauge',
    `pcp_harden_errors ${report.results.filter((r) => r.status === 'error' && !r.waived).length}`,
    '# HELP pcp_harden_status The audit verdict as a Nagios exit code: 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN.',
    '# TYPE pcp_harden_status gauge',
    `pcp_harden_status ${EXIT_CODES[report.summary.status]}`,
    '# HELP pcp_harden_last_run_timestamp_seconds When the audit ran, in seconds since the epoch.',
    '# TYPE pcp_harden_last_run_timestamp_seconds gauge',
    `pcp_harden_last_run_timestamp_seconds ${Math.floor(now.getTime() / 1000)}`,
    '# HELP pcp_harden_build_info The pcp-harden version that ran the audit.',
    '# TYPE pcp_harden_build_info gauge',
    `pcp_harden_build_info{version="${label(report.tool.version)}"} 1`,
  ]
  return lines.join('\n') + '\n'
}

/** A label value as the exposition format escapes it: backslash, double quote and line feed. */
function label(value: string): string {
  return value.replaceAll('\\', '\\\\').replaceAll('"', '\\"').replaceAll('\n', '\\n')
}
