import {isIPv4, isIPv6} from 'node:net'

import {InputError} from '../engine/errors.js'
import {cidrToWildcards} from './access-findings.js'

/** What `access write` is asked for: who may do what, from flags or a guide-style policy file. */
export interface AccessSpec {
  fetch: string[]
  store: string[]
  all: string[]
  /** Connection limit for every remote allow rule. */
  maxConnections?: number
  /** Deny every operation to remote hosts that no rule allows (`disallow ".*", ":*" : all`). */
  denyRemote: boolean
  /** What local clients (unix socket, loopback) may do. */
  local: 'all' | 'fetch' | 'none'
  /** Rules from a policy file, already translated, with the line they came from. */
  extra?: {names: string[]; ops: 'fetch' | 'all' | 'deny'; comment: string}[]
}

export interface RenderedStatement {
  text: string
  comment?: string
}

/** Most wildcard rules a CIDR may expand to before we ask the user to write them. */
export const MAX_CIDR_EXPANSION = 16

const HOST_NAME =
  /^(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/
const IPV4_WILDCARD = /^(?:\d{1,3}\.){0,3}\*$/

/**
 * One host given by the user, as pmcd access names: an address, a host name, a wildcard
 * (10.1.*), or CIDR, which pmcd does not understand and which becomes wildcards (octet-aligned
 * prefixes exactly; others expanded into several rules, up to a bound).
 */
export function toPcpNames(input: string): string[] {
  const text = input.trim()
  if (text.includes('/')) {
    const wildcards = cidrToWildcards(text, MAX_CIDR_EXPANSION)
    if (!wildcards)
      throw new InputError(
        `${text}: not a CIDR pmcd wildcards can express in at most ${MAX_CIDR_EXPANSION} rules (pmcd has no CIDR); give the wildcards (e.g. 10.1.*) instead`,
      )
    return wildcards
  }
  if (text === '*') return ['.*', '":*"']
  if (text === '.*') return [text]
  if (text === ':*' || text === '":*"') return ['":*"']
  if (isIPv4(text)) return [text]
  if (isIPv6(text)) return [`"${text}"`]
  if (IPV4_WILDCARD.test(text)) {
    const octets = text.slice(0, -2).split('.').filter(Boolean)
    if (octets.some((o) => Number(o) > 255)) throw new InputError(`${text}: not an IPv4 wildcard`)
    return [text]
  }
  if (HOST_NAME.test(text)) return [text]
  throw new InputError(`${text}: not a host name, address, wildcard or CIDR`)
}

const names = (list: string[]) => [...new Set(list.flatMap(toPcpNames))]

/** The statements of the [access] section for a spec, in the order pmcd will read them. */
export function accessStatements(spec: AccessSpec): RenderedStatement[] {
  const limit = spec.maxConnections === undefined ? '' : `, maximum ${spec.maxConnections} connections`
  const statements: RenderedStatement[] = []
  // A rule that allows every IPv4 (or IPv6) host is that family's default: no deny beside it,
  // which pmcd would reject as a permission clash.
  const allowed = [
    ...spec.fetch,
    ...spec.store,
    ...spec.all,
    ...(spec.extra ?? []).filter((r) => r.ops !== 'deny').flatMap((r) => r.names),
  ].flatMap(toPcpNames)
  if (spec.denyRemote) {
    const denies = ['".*"', '":*"'].filter(
      (w) => !allowed.includes(w.replace(/"/g, '')) && !allowed.includes(w),
    )
    denies.forEach((w, i) =>
      statements.push({
        text: `disallow ${w} : all;`,
        ...(i === 0 ? {comment: 'Remote hosts: nothing, unless a rule below allows it.'} : {}),
      }),
    )
  }
  const allow = (list: string[], ops: string, comment: string) => {
    if (list.length > 0) statements.push({text: `allow ${names(list).join(', ')} : ${ops}${limit};`, comment})
  }
  allow(spec.fetch, 'fetch', 'Monitors: fetch only.')
  allow(spec.store, 'store', 'May store (change metric values and agent state).')
  allow(spec.all, 'all', 'May fetch and store.')
  for (const rule of spec.extra ?? []) {
    const list = names(rule.names).join(', ')
    statements.push(
      rule.ops === 'deny'
        ? {text: `disallow ${list} : all;`, comment: rule.comment}
        : {text: `allow ${list} : ${rule.ops}${limit};`, comment: rule.comment},
    )
  }
  if (spec.local !== 'none') {
    statements.push({
      text: `allow "local:*" : ${spec.local};`,
      comment: 'Local clients (unix socket and loopback): pmlogger, pmie, pmstore on this host.',
    })
  }
  return statements
}

/**
 * Replace the [access] section of a pmcd.conf (from its header to the end: it is the last
 * section) and keep everything before it byte for byte. Without one, the section is appended.
 */
export function spliceAccessSection(
  original: string,
  section: string,
  accessLine: number | undefined,
): string {
  const body = section.endsWith('\n') ? section : `${section}\n`
  if (accessLine === undefined) {
    const head = original === '' || original.endsWith('\n') ? original : `${original}\n`
    return `${head}${head === '' ? '' : '\n'}${body}`
  }
  const lines = original.split('\n')
  return `${lines.slice(0, accessLine - 1).join('\n')}${accessLine > 1 ? '\n' : ''}${body}`
}

/**
 * A widely copied PCP security guide's `pmcd.access` lines (`host_pattern auth [readonly|read|write] [metrics=...]`):
 * PCP never reads such a file. Each line is translated to what pmcd can enforce, with a note
 * where it cannot (authentication is not per host in PCP; there are no per-metric filters).
 */
export function translateSeedPolicy(
  text: string,
  file: string,
): {rules: NonNullable<AccessSpec['extra']>; notes: {line: number; message: string}[]} {
  const rules: NonNullable<AccessSpec['extra']> = []
  const notes: {line: number; message: string}[] = []
  text.split('\n').forEach((raw, index) => {
    const line = index + 1
    const words = raw.replace(/#.*$/, '').trim().split(/\s+/).filter(Boolean)
    if (words.length === 0) return
    const [pattern = '', auth = '', ...rest] = words
    const where = `${file}:${line}`
    const mode = auth.toLowerCase()
    if (!['cert', 'sasl', 'reject'].includes(mode))
      throw new InputError(
        `${where}: expected "HOST cert|sasl|reject [readonly|read|write] [metrics=...]", got "${raw.trim()}"`,
      )
    const hosts = pattern === '*' ? ['*'] : [pattern]
    try {
      names(hosts)
    } catch (error) {
      throw new InputError(`${where}: ${(error as Error).message}`)
    }
    if (mode === 'reject') {
      rules.push({names: hosts, ops: 'deny', comment: `${file} line ${line}: ${raw.trim()}`})
      return
    }
    const level = rest.find((w) => ['readonly', 'read', 'write'].includes(w.toLowerCase()))?.toLowerCase()
    const ops = level === 'readonly' || level === 'read' ? 'fetch' : 'all'
    rules.push({names: hosts, ops, comment: `${file} line ${line}: ${raw.trim()}`})
    notes.push({
      line,
      message:
        mode === 'cert'
          ? `"cert" is not per host in PCP: pmcd -Q makes every remote client present a certificate from the CA`
          : `"sasl" is not per host in PCP: pmcd -S (or any user rule) makes every client authenticate with SASL`,
    })
    const metrics = rest.find((w) => w.toLowerCase().startsWith('metrics='))
    if (metrics)
      notes.push({
        line,
        message: `${metrics}: PCP has no per-metric access control; this filter cannot be enforced`,
      })
    const unknown = rest.filter(
      (w) => w !== level && w !== metrics && !['readonly', 'read', 'write'].includes(w.toLowerCase()),
    )
    if (unknown.length > 0) notes.push({line, message: `${unknown.join(' ')}: not understood, ignored`})
  })
  return {rules, notes}
}

/** Whether a file is a guide-style policy (`HOST cert|sasl|reject ...` lines) rather than pmcd syntax. */
export function looksLikeSeedPolicy(text: string): boolean {
  const lines = text
    .split('\n')
    .map((l) => l.replace(/#.*$/, '').trim())
    .filter(Boolean)
  return lines.length > 0 && lines.every((l) => /^\S+\s+(cert|sasl|reject)(\s|$)/i.test(l))
}
