import type {FleetHost, Report} from '../engine/model.js'

/** One node's part of a fleet report, as a report of its own. */
export interface HostReport {
  host: FleetHost
  report: Report
}

/**
 * A fleet report (verify --nodes) as one report per node, in the order given: the node's results
 * (without their `host`), the checks they are of, its profiles and its own summary. A formatter
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
      },
    }
  })
}
