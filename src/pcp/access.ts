import type {Account} from '../host/accounts.js'
import type {AccessName, AccessStatement, Diagnostic, PmcdConf} from '../parsers/pmcd-conf.js'
import {ipFamily, isIPv4, isIPv6} from '../net/ip.js'

/** What pmcd needs from the machine to judge names: host resolution and the account databases. */
export interface AccessContext {
  /**
   * Addresses of a host name; undefined when it does not resolve; 'unknown' when this view of the
   * machine cannot tell (an offline image: DNS is asked only when pmcd starts on the live host).
   */
  resolveHost(name: string): Promise<string[] | undefined | 'unknown'>
  /**
   * What pmcd takes `localhost` to mean: the addresses of the machine's own host name, else of
   * `localhost` (getmyhostid in access.c). Without it: `localhost` as resolveHost gives it.
   */
  localhost?(): Promise<string[]>
  users: readonly Account[]
  groups: readonly Account[]
}

/** One entry of pmcd's access lists: a client class at one specificity, and what it may do. */
export interface AccessRule {
  kind: 'host' | 'user' | 'group'
  /** `ipv4:10.1.0.0/16`, `ipv6:::1/128`, `unix`, `user:0`, `group:4`; `name:HOST` for a name not resolved offline. */
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

/** One entry pmcd makes for a host name: its address and mask (as a key), and its wildcard level. */
interface HostSpec {
  key: string
  prefix: number
  /** access.c's level: 0 exact, up to 4 (IPv4) or 8 (IPv6) wildcarded components, 1 for unix. */
  level: number
}

type Resolved =
  {specs: HostSpec[]} | {error: 'EINVAL' | 'EHOSTUNREACH' | 'ENOMEM'; why?: string} | {unknown: true}

const INVALID = (why: string): Resolved => ({error: 'EINVAL', why})
const isSpace = (c: string | undefined) => c !== undefined && ' \t\n\v\f\r'.includes(c)

/**
 * strtol(3) on `text` from `at`: leading blanks, a sign, (base 16) an optional 0x, digits; the
 * value as C's `(int)strtol(...)` gives it (clamped to a 64-bit long, then cut to 32 bits), and
 * where it stopped (`at` itself when there were no digits).
 */
function strtol(text: string, at: number, base: 10 | 16): {value: number; end: number} {
  let i = at
  while (isSpace(text[i])) i++
  let negative = false
  if (text[i] === '+' || text[i] === '-') negative = text[i++] === '-'
  const digit = (c: string | undefined) => (c === undefined ? -1 : Number.parseInt(c, base))
  const isDigit = (c: string | undefined) =>
    c !== undefined && (base === 10 ? /[0-9]/ : /[0-9a-fA-F]/).test(c)
  if (base === 16 && text[i] === '0' && /[xX]/.test(text[i + 1] ?? '') && isDigit(text[i + 2])) i += 2
  if (!isDigit(text[i])) return {value: 0, end: at}
  let value = 0n
  const max = (1n << 63n) - 1n
  while (isDigit(text[i])) {
    value = value * BigInt(base) + BigInt(digit(text[i]))
    if (value > max + 1n) value = max + 1n
    i++
  }
  if (negative) value = -value
  if (value > max) value = max
  return {value: Number(BigInt.asIntN(32, value)), end: i}
}

/** parseInetWildCard in access.c: `10.1.*`, `10.1*`, `.*`; numbers as strtol reads them. */
function inetWildcard(name: string): Resolved {
  const octets: number[] = []
  let p = 0
  if (name[p] === '.') {
    p++
    if (name[p] !== '*') return INVALID('a wildcard that starts with "." must be ".*"')
  }
  while (p < name.length && name[p] !== '*') {
    const {value, end} = strtol(name, p, 10)
    p = end
    if ((name[p] !== '.' && name[p] !== '*') || value < 0 || value > 255)
      return INVALID('only numeric IPv4 prefixes (0-255) take a wildcard')
    octets.push(value)
    if (octets.length > 3) return INVALID('too many dots in the wildcard')
    p++
  }
  const full = [...octets, 0, 0, 0, 0].slice(0, 4).join('.')
  return {
    specs: [{key: `ipv4:${full}/${octets.length * 8}`, prefix: octets.length * 8, level: 4 - octets.length}],
  }
}

/** parseIPv6WildCard in access.c: `fd00:*`, `fd00::*`, `:*`, `::*`; groups as strtol reads them. */
function ipv6Wildcard(name: string): Resolved {
  let level = 8
  let emptyRegion = false
  let ip = ''
  let mask = ''
  let p = 0
  if (name[p] === ':') {
    p++
    if (name[p] !== '*') {
      if (name[p] !== ':')
        return INVALID('an IPv6 wildcard that starts with ":" must be ":*" or start with "::"')
      ip = ':'
      mask = ':'
    }
  }
  while (p < name.length && name[p] !== '*') {
    if (name[p] === ':') {
      if (emptyRegion) return INVALID('more than one "::" in the wildcard')
      emptyRegion = true
      ip += ':'
      mask += ':'
    } else {
      const {value, end} = strtol(name, p, 16)
      p = end
      if ((name[p] !== ':' && name[p] !== '*') || value < 0 || value > 0xffff)
        return INVALID('only hexadecimal IPv6 groups (0-ffff) take a wildcard')
      if (ip !== '') {
        ip += ':'
        mask += ':'
      }
      ip += value.toString(16)
      mask += 'ffff'
    }
    level--
    if (level < 1) return INVALID('too many colons in the wildcard')
    p++
  }
  if (level === 8 || (level === 7 && emptyRegion)) {
    ip = '::'
    mask = '::'
    level = 8
  } else if (emptyRegion) {
    ip += ':0'
    mask += ':0'
  } else {
    ip += '::'
    mask += '::'
  }
  // __pmStringToSockAddr (inet_pton) must take the address pmcd built; when it does not, pmcd fails.
  const address = canonicalIPv6(ip)
  if (!address || !canonicalIPv6(mask))
    return {error: 'ENOMEM', why: `pmcd builds the address "${ip}", which is not one`}
  // The leading whole groups the mask keeps (a mask with a hole in it, "fd00::1:*", is rare).
  const prefix =
    16 *
    Math.max(
      0,
      mask.split(':').findIndex((g) => g !== 'ffff'),
    )
  return {specs: [{key: `ipv6:${address}/${prefix}`, prefix, level}]}
}

/** An IPv6 address in its one canonical text form, or undefined when it is not one. */
function canonicalIPv6(text: string): string | undefined {
  if (!isIPv6(text)) return undefined
  try {
    return new URL(`http://[${text}]/`).hostname.slice(1, -1)
  } catch {
    return text // a scope (fe80::1%eth0), which URL does not take: kept as written
  }
}

/** The entries pmcd makes for one host name (getHostAccessSpecs in access.c). */
async function resolveHostName(name: AccessName, ctx: AccessContext): Promise<Resolved> {
  const text = name.text
  if (text === '*')
    return {
      specs: [
        {key: 'ipv4:0.0.0.0/0', prefix: 0, level: 4},
        {key: 'ipv6:::/0', prefix: 0, level: 8},
        {key: 'unix', prefix: 128, level: 1},
      ],
    }
  const star = text.indexOf('*')
  if (star >= 0 && star !== text.length - 1) return INVALID('the wildcard must be the last character')
  const unix: HostSpec = {key: 'unix', prefix: 128, level: 1}
  // "unix:..." is the unix socket (any path after it is ignored); "local:..." adds localhost.
  if (text.startsWith('unix:')) return {specs: [unix]}
  const local = text.startsWith('local:')
  if (!local && star >= 0) {
    if (text.includes(':')) return ipv6Wildcard(text)
    if (text.includes('.')) return inetWildcard(text)
    return INVALID('a wildcard needs a "." (IPv4) or a ":" (IPv6) before the "*"')
  }
  if (local || text.toLowerCase() === 'localhost') {
    const addresses = ctx.localhost ? await ctx.localhost() : await ctx.resolveHost('localhost')
    const list = Array.isArray(addresses) && addresses.length > 0 ? addresses : ['127.0.0.1']
    return {specs: [...(local ? [unix] : []), ...unique(list.map(addressSpec))]}
  }
  if (isIPv4(text) || isIPv6(text)) return {specs: [addressSpec(text)]}
  const addresses = await ctx.resolveHost(text)
  if (addresses === 'unknown') return {unknown: true}
  if (!addresses || addresses.length === 0) return {error: 'EHOSTUNREACH'}
  return {specs: unique(addresses.map(addressSpec))}
}

/** getHostAccessSpecs leaves out an address a name resolves to twice. */
const unique = (specs: HostSpec[]) => specs.filter((s, i) => specs.findIndex((t) => t.key === s.key) === i)

function addressSpec(address: string): HostSpec {
  return ipFamily(address) === 6
    ? {key: `ipv6:${canonicalIPv6(address) ?? address}/128`, prefix: 128, level: 0}
    : {key: `ipv4:${address}/32`, prefix: 32, level: 0}
}

/** pmcd looks users and groups up by name only; `*` stands for all of them. */
function findAccount(name: string, list: readonly Account[]): {id: number | '*'} | undefined {
  return name === '*' ? {id: '*'} : list.find((a) => a.name === name)
}

/** What to make of host names this view of the machine cannot resolve (an offline image). */
export type UnknownNames = 'resolve' | 'drop'

/**
 * Build pmcd's access lists from parsed statements, exactly as pmcd does for `-v` (ParseHosts in
 * config.c, __pmAccAddHost in access.c): names that do not resolve are dropped with a warning; a
 * wildcard in the wrong place, an unknown user or group, or an [access] section left with no
 * usable statement are errors that stop pmcd. Two entries for the same clients at the same level
 * that disagree are a "permission clash": pmcd keeps the earlier entry and says so, and fails only
 * when every entry a host name makes clashes (`disallow * : all;` after `allow "unix:" : all;`
 * clashes on the unix socket, yet pmcd starts).
 *
 * Names the context cannot resolve offline are taken as resolving to addresses of their own
 * (`resolve`: what the admin who wrote them expects) or as not resolving (`drop`).
 */
export async function buildAccessPolicy(
  conf: PmcdConf,
  ctx: AccessContext,
  unknownNames: UnknownNames = 'resolve',
): Promise<AccessPolicy> {
  const policy: AccessPolicy = {rules: [], diagnostics: [], validStatements: [], credentialsRequired: false}
  const byKey = new Map<string, AccessRule>()
  let wildcards = 0
  for (const statement of conf.statements) {
    let usable = false
    // pmcd reports a name it cannot use on the line where the statement ends (its ";").
    const at = {...(statement.file ? {file: statement.file} : {}), line: statement.endLine}
    const noun = statement.kind === 'hosts' ? 'host' : statement.kind === 'users' ? 'user' : 'group'
    for (const name of statement.names) {
      let specs: HostSpec[]
      if (statement.kind === 'hosts') {
        const resolved = await resolveHostName(name, ctx)
        if ('unknown' in resolved) {
          policy.diagnostics.push({
            ...at,
            severity: 'unknown',
            message: `cannot decide offline whether host '${name.text}' resolves: pmcd looks it up when it starts, and ignores the rule if it does not resolve`,
          })
          if (unknownNames === 'drop') continue
          specs = [{key: `name:${name.text.toLowerCase()}`, prefix: 128, level: 0}]
        } else if ('error' in resolved) {
          const fatal = resolved.error !== 'EHOSTUNREACH'
          policy.diagnostics.push({
            ...at,
            severity: fatal ? 'error' : 'warning',
            message: fatal
              ? `access control error for host '${name.text}': Invalid argument (${resolved.why})`
              : `access control error for host '${name.text}': No route to host (it does not resolve; pmcd ignores it)`,
          })
          if (fatal) return policy
          continue
        } else specs = resolved.specs
      } else {
        const account: {id: number | string} | undefined = findAccount(
          name.text,
          statement.kind === 'users' ? ctx.users : ctx.groups,
        )
        if (!account) {
          policy.diagnostics.push({
            ...at,
            severity: 'error',
            message: `access control error for ${noun} '${name.text}': Invalid argument (no such ${noun})`,
          })
          return policy
        }
        // A wildcard user or group never clashes (access.c): keep each statement's own entry.
        specs = [
          {
            key: account.id === '*' ? `${noun}:*:${++wildcards}` : `${noun}:${account.id}`,
            prefix: 0,
            level: 0,
          },
        ]
        policy.credentialsRequired = true
      }
      let added = 0
      const clashes: string[] = []
      for (const spec of specs) {
        const existing = byKey.get(`${spec.key}@${spec.level}`)
        if (!existing) {
          const rule: AccessRule = {
            kind: noun,
            key: spec.key,
            prefix: spec.prefix,
            ops: {...statement.ops},
            deny: {...statement.deny},
            ...(statement.maxConnections === undefined ? {} : {maxConnections: statement.maxConnections}),
            sources: [{line: statement.line, name: name.text, allow: statement.allow, file: statement.file}],
          }
          byKey.set(`${spec.key}@${spec.level}`, rule)
          policy.rules.push(rule)
          added++
          continue
        }
        // access.c: same clients and level clash when both set a limit and the limits differ, or
        // when they share an operation and their deny masks (over every operation) differ.
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
          clashes.push(
            `${spec.key === 'unix' ? 'the unix socket' : spec.key} (line ${existing.sources[0]?.line})`,
          )
          continue
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
        added++
      }
      if (clashes.length > 0) {
        const fatal = added === 0
        policy.diagnostics.push({
          ...at,
          severity: fatal ? 'error' : 'warning',
          message: fatal
            ? `access control error for ${noun} '${name.text}': Invalid argument (permission clash with ${clashes.join(', ')})`
            : `permission clash for ${noun} '${name.text}' on ${clashes.join(', ')}: pmcd keeps the earlier rule there and ignores this one for it`,
        })
        if (fatal) return policy
      }
      usable = true
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
