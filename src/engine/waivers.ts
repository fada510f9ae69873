import picomatch from 'picomatch'
import {isMap, isSeq, LineCounter, parseDocument, type Node as YamlNode} from 'yaml'

import type {CheckMeta} from '../checks/types.js'
import {InputError} from './errors.js'

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
  profiles: ['pcp-collector', 'pcp-monitor', 'pulse-proxy', 'proxmox-host', 'pulse-container'],
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

const FIELDS = new Set(['check', 'path', 'reason', 'expires'])

/** Parse a waivers file: a YAML list, or a mapping with a `waivers:` list. Errors name file and line. */
export function parseWaivers(text: string, file: string): Waiver[] {
  const lineCounter = new LineCounter()
  const doc = parseDocument(text, {lineCounter, uniqueKeys: true, prettyErrors: false})
  const lineOf = (node: YamlNode | null | undefined) =>
    node?.range ? lineCounter.linePos(node.range[0]).line : 1
  const fail = (line: number, message: string): never => {
    throw new InputError(`${file}:${line}: ${message}`)
  }
  const first = doc.errors[0]
  if (first) fail(lineCounter.linePos(first.pos[0]).line, first.message.split('\n')[0] ?? 'invalid YAML')
  let list: YamlNode | null = doc.contents
  if (list === null) return []
  if (isMap(list)) {
    const inner = list.get('waivers', true)
    if (inner === undefined) fail(lineOf(list), 'expected a "waivers:" list')
    list = inner as YamlNode
  }
  if (!isSeq(list)) return fail(lineOf(list), 'expected a list of waivers')
  return list.items.map((item, index) => {
    const line = lineOf(item as YamlNode)
    const where = `waiver ${index + 1}`
    if (!isMap(item)) return fail(line, `${where}: expected a mapping with check, path, reason, expires`)
    const fields: Record<string, string> = {}
    for (const pair of item.items) {
      const key = String((pair.key as {value?: unknown})?.value ?? pair.key)
      if (!FIELDS.has(key)) fail(lineOf(pair.key as YamlNode), `${where}: unknown field "${key}"`)
      const value = (pair.value as {value?: unknown} | null)?.value
      if (value === null || value === undefined || typeof value === 'object')
        fail(lineOf(pair.key as YamlNode), `${where}: "${key}" needs a text value`)
      fields[key] = String(value)
    }
    if (!fields.check) fail(line, `${where}: "check" is required`)
    if (!fields.reason?.trim()) fail(line, `${where}: "reason" is required`)
    if (fields.expires !== undefined && Number.isNaN(expiryTime(fields.expires)))
      fail(line, `${where}: "expires" must be a date like 2027-01-31, not "${fields.expires}"`)
    if (fields.path !== undefined && !fields.path.startsWith('/'))
      fail(line, `${where}: "path" must be an absolute host path or glob, not "${fields.path}"`)
    return {
      check: fields.check as string,
      path: fields.path,
      reason: (fields.reason as string).trim(),
      expires: fields.expires,
      source: `${file}:${line}`,
      file,
      line,
    }
  })
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
