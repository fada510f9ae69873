import type {Host} from '../host/host.js'
import type {FixPlan} from './remedy.js'

/** How bad a failure of a check is; decides the Nagios state it raises. */
export type Severity = 'critical' | 'high' | 'medium' | 'low' | 'info'

export const SEVERITIES: readonly Severity[] = ['critical', 'high', 'medium', 'low', 'info']

/** Higher is worse. */
export function severityRank(severity: Severity): number {
  return SEVERITIES.length - SEVERITIES.indexOf(severity)
}

/** The components a host can have; a check applies to one or more of them. */
export type Profile =
  'pcp-collector' | 'pcp-monitor' | 'pulse-proxy' | 'pulse-agent' | 'proxmox-host' | 'pulse-container'

export const PROFILES: readonly Profile[] = [
  'pcp-collector',
  'pcp-monitor',
  'pulse-proxy',
  'pulse-agent',
  'proxmox-host',
  'pulse-container',
]

/**
 * pass: the check held for this path; fail: it did not; skip: not applicable here
 * (the component is absent); error: the check could not decide (unreadable file, ...).
 */
export type ResultStatus = 'pass' | 'fail' | 'skip' | 'error'

export interface CheckResult {
  status: ResultStatus
  /** Host path (as on the audited machine, never prefixed with --root). */
  path?: string
  line?: number
  message: string
  /** What was seen, e.g. `0644 root:root`. */
  evidence?: string
  /** This failure's severity, when it differs from the check's (who can exploit this path, and what they gain). */
  severity?: Severity
  /**
   * On a failure: the exact shell command that fixes this result, for the path and values found,
   * e.g. `chmod 0600 /var/lib/pulse-sensor-proxy/ssh/id_ed25519`. Absolute host paths; run as root
   * on the audited machine. Absent when the fix needs a choice only the admin can make (an address,
   * a subnet): the check's remediation says what to decide. A test applies each one to the tree it
   * came from and requires the finding gone and no new failure.
   */
  fix?: string
  /**
   * The same fix as data, for `verify --fix`: set by checks whose fix is a file change (with `fix`
   * made from it by remedyCommand), or a `manual` remedy when it must not be automatic.
   */
  remedy?: FixPlan
}

export interface CheckMeta {
  /** Stable id, e.g. `PSP-FILE-001`. */
  id: string
  title: string
  severity: Severity
  /** The profiles whose hosts this check applies to. */
  profiles: readonly Profile[]
  tags: readonly string[]
  rationale: string
  remediation: string
  /** Where the requirement comes from: a public document's section, a man page or an upstream source. */
  reference: string
  /** A failing and a passing configuration, shown by `checks explain`. */
  example: {fail: string; pass: string}
}

export interface Check extends CheckMeta {
  run(host: Host): Promise<CheckResult[]>
  /**
   * Begin work that waits on another program (systemd-analyze), resolving once it is under way, so
   * that it runs while the other checks judge. The engine calls it before any run(); run() uses it.
   */
  start?(host: Host): Promise<void>
}
