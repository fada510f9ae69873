import type {Host} from '../host/host.js'
import type {FixPlan} from './remedy.js'
import type {Check, CheckMeta, CheckResult, Severity} from './types.js'

/** One failure of one check, found by its family's shared analysis of a host. */
export interface Finding {
  check: string
  path: string
  line?: number
  message: string
  evidence?: string
  /** Set when it differs from the check's severity: who can exploit this finding decides it. */
  severity?: Severity
  /** The exact command that fixes it (CheckResult.fix). */
  fix?: string
  /** The fix as data (CheckResult.remedy). */
  remedy?: FixPlan
  /** The check could not decide (a file it cannot read): an error result (UNKNOWN), not a failure. */
  undecided?: boolean
}

/** A family's analysis of a host: the component is absent, could not be read, or was judged. */
export type Outcome<T> =
  | {state: 'absent'; reason: string}
  | {state: 'error'; path: string; message: string}
  | ({state: 'judged'; findings: Finding[]} & T)

/**
 * A check of a family: fails once for each finding it owns, passes once (with what it looked at)
 * otherwise, and skips when the family's component is absent.
 */
export function familyCheck<T>(
  meta: CheckMeta,
  analyze: (host: Host) => Promise<Outcome<T>>,
  pass: (analysis: T & {findings: Finding[]}) => {path: string; message: string},
): Check {
  return {
    ...meta,
    async run(host) {
      const analysis = await analyze(host)
      if (analysis.state === 'absent')
        return [{status: 'skip', message: `not applicable: ${analysis.reason}`}]
      if (analysis.state === 'error')
        return [{status: 'error', path: analysis.path, message: analysis.message}]
      const results: CheckResult[] = analysis.findings
        .filter((f) => f.check === meta.id)
        .map((f) => ({
          status: f.undecided ? 'error' : 'fail',
          path: f.path,
          ...(f.line === undefined ? {} : {line: f.line}),
          message: f.message,
          ...(f.evidence === undefined ? {} : {evidence: f.evidence}),
          ...(f.severity === undefined || f.undecided ? {} : {severity: f.severity}),
          ...(f.fix === undefined || f.undecided ? {} : {fix: f.fix}),
          ...(f.remedy === undefined || f.undecided ? {} : {remedy: f.remedy}),
        }))
      if (results.length === 0) results.push({status: 'pass', ...pass(analysis)})
      return results
    },
  }
}

/** Memoize an analysis per host: one Host is one snapshot, however many checks ask. */
export function perHost<T>(analyze: (host: Host) => Promise<T>): (host: Host) => Promise<T> {
  const cache = new WeakMap<Host, Promise<T>>()
  return (host) => {
    let pending = cache.get(host)
    if (!pending) {
      pending = analyze(host)
      cache.set(host, pending)
    }
    return pending
  }
}
