import {Chalk} from 'chalk'

import {EXIT_CODES, type NagiosStatus, type Report} from '../engine/model.js'
import {escapeControl} from './escape.js'
import {type HostReport, splitByHost} from './hosts.js'
import {clean, headline} from './nagios.js'
import {formatText, type TextOptions} from './text.js'

const STATES: readonly NagiosStatus[] = ['CRITICAL', 'WARNING', 'UNKNOWN', 'OK']

/** `1 CRITICAL (pve1), 2 OK (pve2, pve3)`: the nodes by state, worst first. */
function byState(hosts: readonly HostReport[], names: boolean): string {
  return STATES.map((state) => {
    const these = hosts.filter((h) => h.host.status === state).map((h) => h.host.host)
    if (these.length === 0) return undefined
    return names ? `${these.length} ${state} (${these.join(', ')})` : `${these.length} ${state.toLowerCase()}`
  })
    .filter((part) => part !== undefined)
    .join(', ')
}

/** `; since the baseline: 2 new, 1 resolved` with a baseline, else nothing (as nagios says it for one host). */
const sinceOf = ({baseline: b}: Report) =>
  b ? `; since the baseline: ${b.new} new, ${b.resolved.length} resolved` : ''

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`

/**
 * The human format of a fleet audit: each node's report as `verify` prints one host (a node that
 * could not be audited: one line saying why), then the fleet's lines, the status line last.
 */
export function formatFleetText(report: Report, options: TextOptions): string {
  const c = new Chalk({level: options.color ? 1 : 0})
  const hosts = splitByHost(report)
  const blocks = hosts.map(({host, report: own}) =>
    host.error === undefined
      ? formatText(own, options)
      : `${c.bold(`${report.tool.name} ${report.tool.version}: audit of ${escapeControl(own.root)}`)}\n` +
        `  ${c.magenta('[UNKNOWN]')} not audited: ${escapeControl(host.error)}\n`,
  )
  const {status} = report.summary
  const b = report.baseline
  const since = b
    ? `; since the baseline: ${b.new} new, ${b.unchanged} unchanged, ${b.resolved.length} resolved${b.failOnNew ? ' (fail-on-new)' : ''}`
    : ''
  return [
    ...blocks,
    `Fleet: ${plural(hosts.length, 'node')}: ${escapeControl(byState(hosts, true))}${since}\n` +
      `Status: ${status} (exit ${EXIT_CODES[status]}, the worst node's; fail-on: ${report.failOn})\n`,
  ].join('\n')
}

/**
 * Nagios plugin output of a fleet audit: one line for the fleet (its state is the worst node's,
 * perfdata the nodes by state and the findings of all of them), then one line per node that is
 * not OK, worst first, with that node's own headline.
 */
export function formatFleetNagios(report: Report): string {
  const hosts = splitByHost(report)
  const count = (state: NagiosStatus) => hosts.filter((h) => h.host.status === state).length
  const s = report.summary.severities
  const b = report.baseline
  const perfdata = [
    `nodes=${hosts.length};;;0`,
    ...STATES.map((state) => `nodes_${state.toLowerCase()}=${count(state)};;;0`),
    ...(['critical', 'high', 'medium', 'low', 'info'] as const).map((k) => `${k}_findings=${s[k]};;;0`),
    ...(b ? [`new=${b.new};;;0`, `unchanged=${b.unchanged};;;0`, `resolved=${b.resolved.length};;;0`] : []),
  ].join(' ')
  const head = `${report.tool.name.toUpperCase()} ${report.summary.status} - ${plural(hosts.length, 'node')}: ${byState(hosts, false)}${sinceOf(report)} | ${perfdata}`
  const failing = STATES.filter((state) => state !== 'OK').flatMap((state) =>
    hosts
      .filter((h) => h.host.status === state)
      .map(({host, report: own}) =>
        host.error === undefined
          ? `[${state}] ${clean(host.host)}: ${clean(headline(own))}${sinceOf(own)}`
          : `[${state}] ${clean(host.host)}: not audited: ${clean(host.error)}`,
      ),
  )
  return [head, ...failing].join('\n') + '\n'
}
