import type {ReportResult} from '../engine/model.js'

/** Errors that one unreadable directory caused, reported as one line. */
export interface DeniedGroup {
  directory: string
  results: ReportResult[]
  /** The ids of the checks they belong to, sorted, each once. */
  checks: string[]
}

export const RUN_AS_ROOT = 'run as root to audit them'

/**
 * Splits off the permission errors (unwaived errors the engine traced to a directory) into one
 * group per directory, in path order; everything else is left as it was, in its order.
 */
export function groupDenied(results: ReportResult[]): {groups: DeniedGroup[]; rest: ReportResult[]} {
  const byDirectory = new Map<string, ReportResult[]>()
  const rest: ReportResult[] = []
  for (const r of results) {
    if (r.status === 'error' && !r.waived && r.deniedIn !== undefined)
      byDirectory.set(r.deniedIn, [...(byDirectory.get(r.deniedIn) ?? []), r])
    else rest.push(r)
  }
  const groups = [...byDirectory]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([directory, members]) => ({
      directory,
      results: members,
      checks: [...new Set(members.map((r) => r.check))].sort(),
    }))
  return {groups, rest}
}

/** `permission denied: 3 results not checked (PCP-FILE-001, PCP-TLS-002)` */
export function deniedText(group: DeniedGroup): string {
  const n = group.results.length
  return `permission denied: ${n} result${n === 1 ? '' : 's'} not checked (${group.checks.join(', ')})`
}
