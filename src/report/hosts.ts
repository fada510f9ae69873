import type {BaselineSummary, FleetHost, Report, ReportResult} from '../engine/model.js'

/** One node's part of a fleet report, as a report of its own. */
export interface HostReport {
  host: FleetHost
  report: Report
}

/**
 * A fleet report (verify --nodes) as one report per node, in the order given: the node's results
 * (without their `host`), the checks they are of, its profiles, its own summary and, with a
 * baseline, its own new, unchanged and resolved failures. A formatter
 * renders each as it renders a single host's report.
 */
export function splitByHost(report: Report): HostReport[] {
  return (report.hosts ?? []).map((host) => {
    const results = report.results.filter((r) => r.host === host.host).map(({host: _host, ...r}) => r)
    const ids = new Set(results.map((r) => r.check))
    return {
      host,
      report: {
        tool: report.tool,
        root: `ssh://${host.host}`,
        profiles: [...host.profiles],
        failOn: report.failOn,
        checks: report.checks.filter((c) => ids.has(c.id)),
        results,
        summary: {status: host.status, counts: host.counts, severities: host.severities},
        ...(report.baseline ? {baseline: hostBaseline(report.baseline, host.host, results)} : {}),
      },
    }
  })
}

/** A node's part of the fleet's comparison with its baseline. */
function hostBaseline(b: BaselineSummary, host: string, results: readonly ReportResult[]): BaselineSummary {
  return {
    file: b.file,
    failOnNew: b.failOnNew,
    new: results.filter((r) => r.baseline === 'new').length,
    unchanged: results.filter((r) => r.baseline === 'unchanged').length,
    resolved: b.resolved.filter((f) => f.host === host).map(({host: _host, ...f}) => f),
  }
}
