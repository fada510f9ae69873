import type {FixPlan} from '../checks/remedy.js'
import type {CheckMeta, Profile, ResultStatus, Severity} from '../checks/types.js'
import type {ExposureReport} from '../net/exposure.js'

/** Nagios plugin states, in exit-code order. */
export type NagiosStatus = 'OK' | 'WARNING' | 'CRITICAL' | 'UNKNOWN'

export const EXIT_CODES: Record<NagiosStatus, number> = {OK: 0, WARNING: 1, CRITICAL: 2, UNKNOWN: 3}

/** One result of one check, as every report format sees it. */
export interface ReportResult {
  /** In a fleet audit (verify --nodes): the node this result is of, as --nodes names it. */
  host?: string
  check: string
  title: string
  severity: Severity
  status: ResultStatus
  path?: string
  line?: number
  message: string
  evidence?: string
  remediation: string
  /** The exact command that fixes this result (see CheckResult.fix). */
  fix?: string
  /** The fix as data, for `verify --fix` (not part of the machine formats). */
  remedy?: FixPlan
  /**
   * On an error that is a permission denial: the directory that stopped the reading (one the
   * auditing user may not search or list, or the directory of an unreadable file). Text and Nagios
   * output group such errors by it: one line per directory.
   */
  deniedIn?: string
  /** Present when a waiver matched: the result is shown but not counted. */
  waived?: {reason: string; expires?: string; source: string}
  /** With --baseline, on failures and errors: whether the baseline report had this finding. */
  baseline?: BaselineState
}

/** new: the baseline did not have this failure; unchanged: it did (same identity). */
export type BaselineState = 'new' | 'unchanged'

/** A failure of the baseline report that this run no longer has. */
export interface ResolvedFinding {
  /** In a fleet audit: the node it was found on. */
  host?: string
  identity: string
  check: string
  severity: Severity
  path?: string
  message: string
}

/** What --baseline added to a report. */
export interface BaselineSummary {
  /** The baseline report's file, as given. */
  file: string
  /** --fail-on-new: unchanged failures do not raise the status. */
  failOnNew: boolean
  new: number
  unchanged: number
  resolved: ResolvedFinding[]
}

export interface ReportCounts {
  /** Failures by the Nagios state they raise (waived ones excluded). */
  critical: number
  warning: number
  unknown: number
  /** Failures below --fail-on, and failures of info checks: shown, not raising the state. */
  ignored: number
  passed: number
  skipped: number
  waived: number
}

/**
 * Unwaived failures by their check's severity: what was found, apart from the state it raises
 * (failures below --fail-on and of info checks are counted here too).
 */
export type SeverityCounts = Record<Severity, number>

export interface Report {
  tool: {name: string; version: string}
  /** The audited root as given (`/`, a directory, or `<sample>` for the bundled sample host (`--sample`)). */
  root: string
  profiles: Profile[]
  failOn: Severity
  /** Metadata of every check that produced a result, in catalogue order. */
  checks: CheckMeta[]
  results: ReportResult[]
  summary: {status: NagiosStatus; counts: ReportCounts; severities: SeverityCounts}
  /** Who can reach each service port (verify only): bind, firewall and access rules together. */
  exposure?: ExposureReport
  /** Present with --baseline. */
  baseline?: BaselineSummary
  /** A fleet audit (verify --nodes): each node's state, in the order given. */
  hosts?: FleetHost[]
  /** verify --fix --restart: what the restart did; its state counts in summary.status. */
  restart?: RestartSummary
}

/** What `verify --fix --restart` did after the fix: one line per systemctl call, and its state. */
export interface RestartSummary {
  /** OK when every call succeeded; WARNING when nothing could be restarted; CRITICAL when a call failed. */
  status: NagiosStatus
  lines: string[]
}

/** One node of a fleet audit: its state from its own results, and why it has none (unreachable). */
export interface FleetHost {
  host: string
  status: NagiosStatus
  profiles: Profile[]
  counts: ReportCounts
  severities: SeverityCounts
  /** The node could not be audited: the connection failed, it timed out, or nothing was found. */
  error?: string
}
