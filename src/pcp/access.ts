import {isIP, isIPv4, isIPv6} from 'node:net'

import type {Account} from '../host/accounts.js'
import type {AccessName, AccessStatement, Diagnostic, PmcdConf} from '../parsers/pmcd-conf.js'

/** What pmcd needs from the machine to judge names: host resolution and the account databases. */
export interface AccessContext {
  /** Addresses of a host name, or undefined when it does not resolve. */
  resolveHost(name: string): Promise<string[] | undefined>
  users: readonly Account[]
  groups: readonly Account[]
}

/** One entry of pmcd's access lists: a client class at one specificity, and what it may do. */
export interface AccessRule {
  kind: 'host' | 'user' | 'group'
  /** `ipv4:10.1.0.0/16`, `ipv6:::1/128`, `unix`, `user:0`, `group:4`. */
  key: string
  /** Prefix length for addresses (more specific wins); 0 for users and groups. */
  prefix: number
  ops: {fetch: boolean; store: boolean}
  deny: {fetch: boolean; store: boolean}
  maxConnections?: number
  /** The statements (lines) and names that made it. */
  sources: {line: number; name: string; allow: boolean; file?: string}[]
}

export interface AccessPolicy {
  rules: AccessRule[]
  /** Semantic problems, in pmcd's order; errors make `pmcd -v` fail. */
  diagnostics: Diagnostic[]
  /** Statements pmcd kept (at least one of their names was usable). */
  validStatements: AccessStatement[]
  /** pmcd switches to credentials-required mode when any user or group rule is present. */
  credentialsRequired: boolean
}

type Resolved = {keys: {key: string; prefix: number}[]} | {error: 'EINVAL' | 'EHOSTUNREACH'; why?: string}

function ipv6Prefix(text: string): {key: string; prefix: number} | undefined {
  // "fe80:*": the groups before the star are the prefix.
  const groups = text.slice(0, -2).split(':')
  if (groups.some((g) => !/^[0-9a-fA-F]{1,4}$/.test(g)) || groups.length > 7) return undefined
  return {key: `ipv6:${groups.join(':')}::/${groups.length * 16}`, prefix: groups.length * 16}
}

async function resolveHostName(name: AccessName, ctx: AccessContext): Promise<Resolved> {
  const text = name.text
  if (text === '*')
    return {
      keys: [
        {key: 'ipv4:0.0.0.0/0', prefix: 0},
        {key: 'ipv6:::/0', prefix: 0},
        {key: 'unix', prefix: 128},
      ],
    }
  if (text === '.*') return {keys: [{key: 'ipv4:0.0.0.0/0', prefix: 0}]}
  if (text === ':*') return {keys: [{key: 'ipv6:::/0', prefix: 0}]}
  if (text === 'unix:') return {keys: [{key: 'unix', prefix: 128}]}
  if (text === 'local:' || text === 'local:*') {
    const loopback = (await ctx.resolveHost('localhost')) ?? ['127.0.0.1']
    return {keys: [{key: 'unix', prefix: 128}, ...loopback.map(addressKey)]}
  }
  if (text.includes('*')) {
    if (text.endsWith(':*')) {
      const v6 = ipv6Prefix(text)
      return v6 ? {keys: [v6]} : {error: 'EINVAL', why: 'the wildcard must be the last component'}
    }
    if (text.indexOf('*') !== text.length - 1)
      return {error: 'EINVAL', why: 'the wildcard must be the last component'}
    // access.c takes "192.168*" as "192.168.*": the dot before the star is optional.
    const stem = text.slice(0, -1).replace(/\.$/, '')
    const octets = stem === '' ? [] : stem.split('.')
    if (octets.length > 3 || octets.some((o) => !/^\d{1,3}$/.test(o) || Number(o) > 255))
      return {error: 'EINVAL', why: 'only numeric IPv4 prefixes take a wildcard'}
    const full = [...octets, ...Array(4 - octets.length).fill('0')].join('.')
    return {keys: [{key: `ipv4:${full}/${octets.length * 8}`, prefix: octets.length * 8}]}
  }
  if (isIPv4(text) || isIPv6(text)) return {keys: [addressKey(text)]}
  const addresses = await ctx.resolveHost(text)
  if (!addresses || addresses.length === 0) return {error: 'EHOSTUNREACH'}
  return {keys: addresses.map(addressKey)}
}

// isIP tries IPv4 first: Node's IPv6 pattern costs about 10 ms to compile on its first use, at start-up.
function addressKey(address: string): {key: string; prefix: number} {
  return isIP(address) === 6
    ? {key: `ipv6:${address}/128`, prefix: 128}
    : {key: `ipv4:${address}/32`, prefix: 32}
}

/** pmcd looks users and groups up by name only; `*` stands for all of them. */
function findAccount(name: string, list: readonly Account[]): {id: number | '*'} | undefined {
  return name === '*' ? {id: '*'} : list.find((a) => a.name === name)
}

/**
 * Build pmcd's access lists from parsed statements, exactly as pmcd does for `-v`: names that
 * do not resolve are dropped with a warning; a wildcard in the wrong place, an unknown user or
 * group, or two rules for the same clients at the same level that disagree ("permission clash")
 * are errors and stop pmcd; so does an [access] section left with no usable statement.
 */
export async function buildAccessPolicy(conf: PmcdConf, ctx: AccessContext): Promise<AccessPolicy> {
  const policy: AccessPolicy = {rules: [], diagnostics: [], validStatements: [], credentialsRequired: false}
  const byKey = new Map<string, AccessRule>()
  for (const statement of conf.statements) {
    let usable = false
    for (const name of statement.names) {
      const noun = statement.kind === 'hosts' ? 'host' : statement.kind === 'users' ? 'user' : 'group'
      let keys: {key: string; prefix: number}[]
      if (statement.kind === 'hosts') {
        const resolved = await resolveHostName(name, ctx)
        if ('error' in resolved) {
          const fatal = resolved.error === 'EINVAL'
          policy.diagnostics.push({
            ...(statement.file ? {file: statement.file} : {}),
            line: statement.line,
            severity: fatal ? 'error' : 'warning',
            message: fatal
              ? `access control error for host '${name.text}': Invalid argument (${resolved.why})`
              : `access control error for host '${name.text}': No route to host (it does not resolve; pmcd ignores it)`,
          })
          if (fatal) return policy
          continue
        }
        keys = resolved.keys
      } else {
        const account: {id: number | string} | undefined = findAccount(
          name.text,
          statement.kind === 'users' ? ctx.users : ctx.groups,
        )
        if (!account) {
          policy.diagnostics.push({
            ...(statement.file ? {file: statement.file} : {}),
            line: statement.line,
            severity: 'error',
            message: `access control error for ${noun} '${name.text}': Invalid argument (no such ${noun})`,
          })
          return policy
        }
        keys = [{key: `${noun}:${account.id}`, prefix: 0}]
        // A wildcard user or group never clashes (access.c): keep each statement's own entry.
        if (account.id === '*') keys = [{key: `${noun}:*:${statement.line}`, prefix: 0}]
        policy.credentialsRequired = true
      }
      for (const {key, prefix} of keys) {
        const existing = byKey.get(key)
        if (existing) {
          // access.c: same address and level clash when their limits differ, or when they share an
          // operation and their deny masks differ at all.
          const mask = (ops: {fetch: boolean; store: boolean}, deny: {fetch: boolean; store: boolean}) =>
            `${ops.fetch && deny.fetch}/${ops.store && deny.store}`
          const overlap =
            (existing.ops.fetch && statement.ops.fetch) || (existing.ops.store && statement.ops.store)
          const limits =
            existing.maxConnections !== undefined &&
            statement.maxConnections !== undefined &&
            existing.maxConnections !== statement.maxConnections
          if (
            limits ||
            (overlap && mask(existing.ops, existing.deny) !== mask(statement.ops, statement.deny))
          ) {
            policy.diagnostics.push({
              ...(statement.file ? {file: statement.file} : {}),
              line: statement.line,
              severity: 'error',
              message: `access control error for ${noun} '${name.text}': Invalid argument (permission clash with line ${existing.sources[0]?.line})`,
            })
            return policy
          }
          for (const op of ['fetch', 'store'] as const) {
            if (statement.ops[op]) {
              existing.deny[op] = existing.deny[op] || statement.deny[op]
              existing.ops[op] = true
            }
          }
          if (statement.maxConnections !== undefined) existing.maxConnections = statement.maxConnections
          existing.sources.push({
            line: statement.line,
            name: name.text,
            allow: statement.allow,
            file: statement.file,
          })
        } else {
          const rule: AccessRule = {
            kind: noun,
            key,
            prefix,
            ops: {...statement.ops},
            deny: {...statement.deny},
            ...(statement.maxConnections === undefined ? {} : {maxConnections: statement.maxConnections}),
            sources: [{line: statement.line, name: name.text, allow: statement.allow, file: statement.file}],
          }
          byKey.set(key, rule)
          policy.rules.push(rule)
        }
        usable = true
      }
    }
    if (usable) policy.validStatements.push(statement)
  }
  if (conf.accessLine !== undefined && policy.validStatements.length === 0) {
    policy.diagnostics.push({
      line: conf.eofLine,
      severity: 'error',
      message: 'no valid statements in [access] section',
    })
  }
  return policy
}
