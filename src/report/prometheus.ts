import {SEVERITIES, type Severity, severityRank} from '../checks/types.js'
import {EXIT_CODES, type Report} from '../engine/model.js'
import {splitByHost} from './hosts.js'

export interface PrometheusOptions {
  /** When the audit ran: pcp_harden_last_run_timestamp_seconds. */
  now?: Date
}

/** One audited host's series of each per-host family, with the labels that name the host (none for a local audit). */
interface HostSeries {
  status: string[]
  findings: string[]
  errors: string[]
  verdict: string[]
  up: string[]
}

/**
 * The Prometheus text exposition format (0.0.4), as node_exporter's textfile collector reads it:
 * no timestamps, one HELP and TYPE per family. Labels carry only check ids, severities, the
 * version and, in a fleet audit (verify --nodes), `host`: the node's name as --nodes or the
 * cluster's member list gives it; never text read from an audited host, so the series stay few
 * and stable. A fleet audit also gives `pcp_harden_up{host}`: 1 when the node could be audited,
 * 0 when not (then its only other series is `pcp_harden_status{host} 3`).
 */
export function formatPrometheus(report: Report, options: PrometheusOptions = {}): string {
  const now = options.now ?? new Date()
  const fleet = report.hosts !== undefined
  const series: HostSeries[] = fleet
    ? splitByHost(report).map(({host, report: own}) =>
        host.error === undefined
          ? {
              ...hostSeries(own, `host="${label(host.host)}",`),
              up: [`pcp_harden_up{host="${label(host.host)}"} 1`],
            }
          : {
              status: [],
              findings: [],
              errors: [],
              verdict: [`pcp_harden_status{host="${label(host.host)}"} ${EXIT_CODES[host.status]}`],
              up: [`pcp_harden_up{host="${label(host.host)}"} 0`],
            },
      )
    : [{...hostSeries(report, ''), up: []}]
  const all = (key: keyof HostSeries) => series.flatMap((s) => s[key])
  const on = fleet ? 'on the node (host)' : 'on this host'
  const lines = [
    `# HELP pcp_harden_check_status Whether a check has an unwaived failure ${on} (1) or not (0).`,
    '# TYPE pcp_harden_check_status gauge',
    ...all('status'),
    `# HELP pcp_harden_findings Unwaived failures ${on}, by severity.`,
    '# TYPE pcp_harden_findings gauge',
    ...all('findings'),
    '# HELP pcp_harden_errors Results of checks that could not decide (Nagios UNKNOWN).',
    '# TYPE pcp_harden_errors gauge',
    ...all('errors'),
    '# HELP pcp_harden_status The audit verdict as a Nagios exit code: 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN.',
    '# TYPE pcp_harden_status gauge',
    ...all('verdict'),
    ...(fleet
      ? [
          '# HELP pcp_harden_up Whether the node (host) could be audited over SSH (1) or not (0: unreachable, timed out or nothing to audit).',
          '# TYPE pcp_harden_up gauge',
          ...all('up'),
        ]
      : []),
    '# HELP pcp_harden_last_run_timestamp_seconds When the audit ran, in seconds since the epoch.',
    '# TYPE pcp_harden_last_run_timestamp_seconds gauge',
    `pcp_harden_last_run_timestamp_seconds ${Math.floor(now.getTime() / 1000)}`,
    '# HELP pcp_harden_build_info The pcp-harden version that ran the audit.',
    '# TYPE pcp_harden_build_info gauge',
    `pcp_harden_build_info{version="${label(report.tool.version)}"} 1`,
  ]
  return lines.join('\n') + '\n'
}

/** The series of one audited host; `host` is its label (`host="pve1",`) or empty. */
function hostSeries(report: Report, host: string): Omit<HostSeries, 'up'> {
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
    return `pcp_harden_check_status{${host}check="${label(id)}",severity="${severity}"} ${fails.length > 0 ? 1 : 0}`
  })
  const findings = SEVERITIES.map(
    (s) => `pcp_harden_findings{${host}severity="${s}"} ${failing.filter((r) => r.severity === s).length}`,
  )
  const bare = host === '' ? '' : `{${host.slice(0, -1)}}`
  return {
    status,
    findings,
    errors: [
      `pcp_harden_errors${bare} ${report.results.filter((r) => r.status === 'error' && !r.waived).length}`,
    ],
    verdict: [`pcp_harden_status${bare} ${EXIT_CODES[report.summary.status]}`],
  }
}

/** A label value as the exposition format escapes it: backslash, double quote and line feed. */
function label(value: string): string {
  return value.replaceAll('\\', '\\\\').replaceAll('"', '\\"').replaceAll('\n', '\\n')
}
