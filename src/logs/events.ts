import {InputError} from '../engine/errors.js'
import type {NagiosStatus} from '../engine/model.js'

/** The counters of `pcp-harden logs`, in output order, with their perfdata labels. */
export const COUNTERS = [
  {key: 'accessRejections', label: 'access_rejections', what: 'pmcd access rejection'},
  {key: 'authFailures', label: 'auth_failures', what: 'pmcd authentication failure'},
  {key: 'rateLimitHits', label: 'rate_limit_hits', what: 'proxy rate-limit hit'},
  {key: 'sshFailures', label: 'ssh_failures', what: 'proxy SSH failure'},
  {key: 'unknownPeers', label: 'unknown_peers', what: 'proxy unknown peer'},
] as const

export type CounterKey = (typeof COUNTERS)[number]['key']

export interface LogSummary {
  /** Counts since `since`; a counter whose log was not read is absent. */
  counts: Partial<Record<CounterKey, number>>
  since?: Date
  /** The logs read, by host path or file. */
  sources: string[]
}

/** `--since`: a duration back from now (`90m`, `12h`, `7d`) or a date/time (`2026-12-01T08:00`). */
export function parseSince(value: string, now: Date): Date {
  const duration = /^(\d+)([smhd])$/.exec(value)
  if (duration) {
    const unit = {s: 1, m: 60, h: 3600, d: 86_400}[duration[2] as 's' | 'm' | 'h' | 'd']
    return new Date(now.getTime() - Number(duration[1]) * unit * 1000)
  }
  const at = /^\d{4}-\d\d-\d\d([T ]\d\d:\d\d(:\d\d)?)?(Z|[+-]\d\d:\d\d)?$/.test(value)
    ? new Date(value)
    : undefined
  if (!at || Number.isNaN(at.getTime()))
    throw new InputError(`--since ${value}: expected a duration (90m, 12h, 7d) or a date (2026-12-01T08:00)`)
  return at
}

/** The events at or after `since` (all of them without it). */
export function countSince(times: readonly Date[], since: Date | undefined): number {
  return since === undefined ? times.length : times.filter((t) => t.getTime() >= since.getTime()).length
}

/**
 * The Nagios verdict: CRITICAL when a counter is above -c, WARNING when above -w; the first line
 * names the counters, the perfdata gives each as `label=N;W;C;0`.
 */
export function formatLogsNagios(
  summary: LogSummary,
  warn: number,
  crit: number,
): {status: NagiosStatus; text: string} {
  const present = COUNTERS.filter((c) => summary.counts[c.key] !== undefined)
  const over = (limit: number) => present.filter((c) => (summary.counts[c.key] ?? 0) > limit)
  const status: NagiosStatus = over(crit).length > 0 ? 'CRITICAL' : over(warn).length > 0 ? 'WARNING' : 'OK'
  const words = present.map((c) => {
    const n = summary.counts[c.key] ?? 0
    return `${n} ${c.what}${n === 1 ? '' : 's'}`
  })
  const since = summary.since ? ` since ${summary.since.toISOString()}` : ''
  const perfdata = present.map((c) => `${c.label}=${summary.counts[c.key] ?? 0};${warn};${crit};0`).join(' ')
  const lines = [
    `PCP-HARDEN-LOGS ${status} - ${words.join(', ')}${since} | ${perfdata}`,
    ...summary.sources.map((s) => `read: ${s}`),
  ]
  return {status, text: lines.join('\n') + '\n'}
}
