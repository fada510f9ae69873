import picomatch from 'picomatch'

import {shellQuote} from '../checks/fix.js'
import {type FixPlan, withRemedy} from '../checks/remedy.js'
import type {CheckMeta} from '../checks/types.js'

/** An accepted risk: results of `check` (an id or a glob) on paths matching `path` are not counted. */
export interface Waiver {
  check: string
  /** A glob over host paths; absent: every path of the check. */
  path?: string
  reason: string
  /** Last day (UTC) the waiver applies, `YYYY-MM-DD`, or an ISO date-time. */
  expires?: string
  /** `FILE:LINE` of the waiver, for messages. */
  source: string
  /** The file and line separately, for report locations. */
  file: string
  line: number
}

export const DEFAULT_WAIVERS_PATH = '/etc/pcp-harden/waivers.yaml'

/** The engine's own check: a waiver past its date is reported, and no longer applies. */
export const EXPIRED_WAIVER: CheckMeta = {
  id: 'PCPH-WAIVER-001',
  title: 'Waivers are not past their expiry date',
  severity: 'low',
  profiles: ['pcp-collector', 'pcp-monitor', 'pulse-proxy', 'pulse-agent', 'proxmox-host', 'pulse-container'],
  tags: ['waivers'],
  rationale:
    'A waiver records an accepted risk for a limited time. Once it expires the finding it covered counts again, ' +
    'and the stale waiver is reported so that someone decides again: fix the finding, or renew the waiver.',
  remediation: 'Fix the waived finding and delete the waiver, or move its "expires" date after a new review.',
  reference: 'pcp-harden waivers (README "Waivers")',
  example: {
    fail: '- {check: PCP-FILE-006, path: /etc/pcp/pmcd/pmcd.conf, reason: "stock Debian", expires: 2020-01-01}',
    pass: '- {check: PCP-FILE-006, path: /etc/pcp/pmcd/pmcd.conf, reason: "stock Debian", expires: 2099-01-01}',
  },
}

/** The instant a waiver stops applying: the end of its day (UTC) for a bare date. */
export function expiryTime(expires: string): number {
  if (/^\d{4}-\d{2}-\d{2}$/.test(expires)) return Date.parse(`${expires}T23:59:59.999Z`)
  if (/^\d{4}-\d{2}-\d{2}T/.test(expires)) return Date.parse(expires)
  return Number.NaN
}

export function isExpired(waiver: Waiver, now: Date): boolean {
  return waiver.expires !== undefined && expiryTime(waiver.expires) < now.getTime()
}

/** A matcher for one waiver: check id glob (case-insensitive) and path glob. */
export function waiverMatcher(waiver: Waiver): (check: string, path: string | undefined) => boolean {
  const checkMatch = picomatch(waiver.check.toUpperCase())
  const pathMatch = waiver.path === undefined ? undefined : picomatch(waiver.path, {dot: true})
  return (check, path) =>
    checkMatch(check.toUpperCase()) && (pathMatch === undefined || (path !== undefined && pathMatch(path)))
}

/**
 * An expired waiver's remedy is the admin's: deleting it changes no verdict (it already applies to
 * nothing), but fixing the finding or renewing the waiver is a decision about a risk someone
 * accepted, and the waiver's reason is the record of it. So: open the file at its line.
 */
export function expiredWaiverRemedy(waiver: Waiver): {remedy: FixPlan; fix: string} {
  return withRemedy({
    kind: 'manual',
    command: `\${EDITOR:-vi} +${waiver.line} ${shellQuote(waiver.file)}`,
    why:
      `fix the ${waiver.check} finding and delete the waiver, or move its "expires" date after a new review: ` +
      'either is a decision about an accepted risk, which pcp-harden does not make',
  })
}
