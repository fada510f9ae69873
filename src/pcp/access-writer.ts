import {InputError} from '../engine/errors.js'
import {cidrToWildcards} from './access-findings.js'
import {isIPv4, isIPv6} from '../net/ip.js'

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
  extra?: PolicyRule[]
  /**
   * Require SASL credentials of every client (a user rule: `allow users * : all;`), with the
   * reason as its comment: pmcd cannot require them of some hosts only.
   */
  credentials?: string
}

/** One line of a guide-style policy as an [access] rule, and what it asked for. */
export interface PolicyRule {
  names: string[]
  ops: 'fetch' | 'all' | 'deny'
  comment: string
  line: number
  /** How the line wanted the clients authenticated. */
  auth: 'cert' | 'sasl' | 'reject'
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
  if (spec.credentials) statements.push({text: 'allow users * : all;', comment: spec.credentials})
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
 * The `pmcd.access` lines of a widely copied PCP security guide (`host_pattern auth
 * [readonly|read|write] [metrics=...]`): PCP never reads such a file. Each line is translated to
 * what pmcd can enforce, never to more than the line grants: `readonly`/`read` is fetch only;
 * `sasl` and `cert` are not per host in PCP, so their rules hold only with SASL required of every
 * client (a user rule, see AccessSpec.credentials) or a client certificate required of every
 * remote client (pmcd -Q), which the caller must ensure. A line that cannot be enforced without
 * granting more (a `metrics=` filter on a line that allows, a word not understood) is a refusal.
 */
export function translateSeedPolicy(
  text: string,
  file: string,
): {
  rules: PolicyRule[]
  notes: {line: number; message: string}[]
  refusals: {line: number; message: string}[]
} {
  const rules: PolicyRule[] = []
  const notes: {line: number; message: string}[] = []
  const refusals: {line: number; message: string}[] = []
  text.split('\n').forEach((raw, index) => {
    const line = index + 1
    const words = raw.replace(/#.*$/, '').trim().split(/\s+/).filter(Boolean)
    if (words.length === 0) return
    const [pattern = '', auth = '', ...rest] = words
    const where = `${file}:${line}`
    const mode = auth.toLowerCase()
    if (mode !== 'cert' && mode !== 'sasl' && mode !== 'reject')
      throw new InputError(
        `${where}: expected "HOST cert|sasl|reject [readonly|read|write] [metrics=...]", got "${raw.trim()}"`,
      )
    const hosts = [pattern]
    try {
      names(hosts)
    } catch (error) {
      throw new InputError(`${where}: ${(error as Error).message}`)
    }
    const comment = `${file} line ${line}: ${raw.trim()}`
    const metrics = rest.find((w) => w.toLowerCase().startsWith('metrics='))
    const levels = rest.filter((w) => ['readonly', 'read', 'write'].includes(w.toLowerCase()))
    const unknown = rest.filter((w) => w !== metrics && !levels.includes(w))
    if (mode === 'reject') {
      rules.push({names: hosts, ops: 'deny', comment, line, auth: mode})
      if (metrics)
        notes.push({
          line,
          message: `${metrics}: PCP has no per-metric access control; ${pattern} is denied every metric instead`,
        })
      return
    }
    if (unknown.length > 0) {
      refusals.push({
        line,
        message: `"${unknown.join(' ')}" is not understood: refusing to guess what ${pattern} may do`,
      })
      return
    }
    if (metrics) {
      refusals.push({
        line,
        message: `${metrics}: PCP has no per-metric access control, so allowing ${pattern} would grant every metric; remove the line, or the filter if every metric is meant`,
      })
      return
    }
    const level = levels.at(-1)?.toLowerCase()
    rules.push({
      names: hosts,
      ops: level === 'readonly' || level === 'read' ? 'fetch' : 'all',
      comment,
      line,
      auth: mode,
    })
    notes.push({
      line,
      message:
        mode === 'cert'
          ? `"cert" is not per host in PCP: pmcd -Q makes every remote client present a certificate from the CA`
          : `"sasl" is not per host in PCP: a user rule (allow users * : all;) makes every client authenticate with SASL`,
    })
  })
  return {rules, notes, refusals}
}

/** Whether a file is a guide-style policy (`HOST cert|sasl|reject ...` lines) rather than pmcd syntax. */
export function looksLikeSeedPolicy(text: string): boolean {
  const lines = text
    .split('\n')
    .map((l) => l.replace(/#.*$/, '').trim())
    .filter(Boolean)
  return lines.length > 0 && lines.every((l) => /^\S+\s+(cert|sasl|reject)(\s|$)/i.test(l))
}
