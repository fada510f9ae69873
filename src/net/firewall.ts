import {
  contains,
  EVERYWHERE,
  type Family,
  familyWidth,
  formatAddress,
  lastOf,
  LOOPBACK,
  type Prefix,
  rangeToPrefixes,
} from './ip.js'

/** Which firewall a rule set comes from. */
export type Engine = 'nftables' | 'iptables' | 'ufw' | 'pve-firewall'

/** Where a rule is written. */
export interface Place {
  file: string
  line: number
}

/** A set of addresses a rule matches; `undecided` when its members are known only at run time. */
export type AddressMatch = {negate: boolean; prefixes: Prefix[]} | {negate: boolean; undecided: string}

export interface PortMatch {
  negate: boolean
  ranges: Array<[number, number]>
}

export type Action =
  {kind: 'accept' | 'drop' | 'reject' | 'return' | 'continue'} | {kind: 'jump' | 'goto'; target: string}

/** One rule, as the engines' parsers give it: the matches that concern a new inbound TCP connection. */
export interface Rule extends Place {
  /** The rule as written (one line, trimmed). */
  text: string
  /** Only packets of this family (nft `ip`/`ip6` tables and matches, rules.v4/v6). */
  family?: Family
  saddr?: AddressMatch
  /** A layer-4 protocol match; a new TCP connection matches `tcp` only. */
  protocol?: {negate: boolean; names: string[]}
  dport?: PortMatch
  /** An input interface match (`lo`, `eth0`, `veth*`). */
  iif?: {negate: boolean; names: string[]}
  /** A conntrack state match (new, established, related, invalid, untracked). */
  ctstate?: {negate: boolean; states: string[]}
  /** A match this reader cannot decide offline (the reason); the rule may or may not apply. */
  undecided?: string
  /** A match no new TCP connection can satisfy (an ICMP type, a destination that is never ours...). */
  never?: boolean
  action: Action
}

export interface Chain {
  name: string
  /** Base chains only (the ones a packet enters): accept or drop at the end. */
  policy?: 'accept' | 'drop'
  /** Base chains run in this order (nft priority); iptables' INPUT has one. */
  priority?: number
  /** A base chain that sees packets of one family only (nft ip/ip6 tables, rules.v4/v6). */
  family?: Family
  rules: Rule[]
  place?: Place
}

/** One engine's input-path rule set for one address family (or both, for nft `inet`). */
export interface RuleSet {
  engine: Engine
  /** The chains a packet for this host enters, in order (nft: by priority); all must accept. */
  base: Chain[]
  /** Every chain by name, for jumps (nft: qualified by table). */
  chains: Map<string, Chain>
  /** Where the rule set is read from. */
  files: string[]
}

/** A new TCP connection to this host. `iface` undefined: some interface other than loopback. */
export interface Packet {
  family: Family
  source: bigint
  port: number
  iface?: string
}

export type Verdict =
  | {verdict: 'accept' | 'drop'; rule?: Rule; chain?: Chain}
  | {verdict: 'undecided'; reason: string; rule?: Rule}

type Tri = boolean | 'unknown'

function matchAddress(m: AddressMatch, p: Packet): Tri {
  if ('undecided' in m) return 'unknown'
  const hit = m.prefixes.some((prefix) => contains(prefix, p.family, p.source))
  return hit !== m.negate
}

function globMatch(pattern: string, name: string): boolean {
  // iptables `eth+` and nft `eth*` match every name with that prefix.
  if (pattern.endsWith('+') || pattern.endsWith('*')) return name.startsWith(pattern.slice(0, -1))
  return pattern === name
}

function matchIface(m: NonNullable<Rule['iif']>, p: Packet): Tri {
  if (p.iface !== undefined) return m.names.some((n) => globMatch(n, p.iface as string)) !== m.negate
  // A remote client never comes in on loopback; any other name is this host's own, unknown offline.
  if (m.names.every((n) => n === 'lo')) return m.negate
  return 'unknown'
}

function matchRule(rule: Rule, p: Packet): Tri {
  if (rule.never) return false
  if (rule.family !== undefined && rule.family !== p.family) return false
  if (rule.protocol && rule.protocol.names.includes('tcp') === rule.protocol.negate) return false
  if (rule.dport) {
    const hit = rule.dport.ranges.some(([from, to]) => p.port >= from && p.port <= to)
    if (hit === rule.dport.negate) return false
  }
  if (rule.ctstate) {
    const hit = rule.ctstate.states.includes('new')
    if (hit === rule.ctstate.negate) return false
  }
  const parts: Tri[] = []
  if (rule.saddr) parts.push(matchAddress(rule.saddr, p))
  if (rule.iif) parts.push(matchIface(rule.iif, p))
  if (rule.undecided) parts.push('unknown')
  if (parts.includes(false)) return false
  return parts.includes('unknown') ? 'unknown' : true
}

const MAX_DEPTH = 64
const MAX_FORKS = 32

interface Walk {
  set: RuleSet
  forks: number
}

type ChainOutcome = {kind: 'final'; verdict: Verdict} | {kind: 'return'}

function runChain(walk: Walk, chain: Chain, p: Packet, from: number, depth: number): ChainOutcome {
  if (depth > MAX_DEPTH)
    return {kind: 'final', verdict: {verdict: 'undecided', reason: 'jumps nest too deep'}}
  for (let i = from; i < chain.rules.length; i++) {
    const rule = chain.rules[i] as Rule
    const match = matchRule(rule, p)
    if (match === false) continue
    if (match === 'unknown') {
      // Both ways: when the rule and its absence lead to the same verdict, it does not matter.
      if (++walk.forks > MAX_FORKS)
        return {kind: 'final', verdict: {verdict: 'undecided', reason: 'too many undecided rules', rule}}
      const taken = applyRule(walk, chain, i, rule, p, depth)
      const skipped = runChain(walk, chain, p, i + 1, depth)
      if (sameOutcome(taken, skipped)) return taken
      const reason =
        rule.undecided ?? (rule.saddr && 'undecided' in rule.saddr ? rule.saddr.undecided : undefined)
      return {
        kind: 'final',
        verdict: {
          verdict: 'undecided',
          reason: reason ?? `the rule matches on an interface whose addresses are not known offline`,
          rule,
        },
      }
    }
    return applyRule(walk, chain, i, rule, p, depth)
  }
  return {kind: 'return'}
}

function sameOutcome(a: ChainOutcome, b: ChainOutcome): boolean {
  if (a.kind !== b.kind) return false
  if (a.kind === 'return' || b.kind === 'return') return true
  return a.verdict.verdict === b.verdict.verdict && a.verdict.verdict !== 'undecided'
}

function applyRule(
  walk: Walk,
  chain: Chain,
  index: number,
  rule: Rule,
  p: Packet,
  depth: number,
): ChainOutcome {
  const action = rule.action
  switch (action.kind) {
    case 'accept':
      return {kind: 'final', verdict: {verdict: 'accept', rule, chain}}
    case 'drop':
    case 'reject':
      return {kind: 'final', verdict: {verdict: 'drop', rule, chain}}
    case 'return':
      return {kind: 'return'}
    case 'continue':
      return runChain(walk, chain, p, index + 1, depth)
    case 'jump':
    case 'goto': {
      const target = walk.set.chains.get(action.target)
      if (!target)
        return {
          kind: 'final',
          verdict: {verdict: 'undecided', reason: `the chain ${action.target} is not defined`, rule},
        }
      const inner = runChain(walk, target, p, 0, depth + 1)
      if (inner.kind === 'final' || action.kind === 'goto') return inner
      return runChain(walk, chain, p, index + 1, depth)
    }
  }
}

/** What a rule set does with a new TCP connection: the verdict and the rule (or policy) that gives it. */
export function evaluate(set: RuleSet, p: Packet): Verdict {
  let last: Verdict = {verdict: 'accept'}
  for (const chain of set.base) {
    if (chain.family !== undefined && chain.family !== p.family) continue
    const walk: Walk = {set, forks: 0}
    const outcome = runChain(walk, chain, p, 0, 0)
    const verdict: Verdict =
      outcome.kind === 'final' ? outcome.verdict : {verdict: chain.policy ?? 'accept', chain}
    // A drop in any base chain is final; an accept passes the packet on to the next one.
    if (verdict.verdict !== 'accept') return verdict
    last = verdict
  }
  return last
}

/** The networks (one family) whose new connections to a port the rule set accepts, drops, or cannot decide. */
export interface Reach {
  family: Family
  accepted: Prefix[]
  undecided: Prefix[]
  /** The rules (or policies) that decide, one per distinct verdict seen, accepted first. */
  deciding: Verdict[]
}

function rulePrefixes(set: RuleSet, family: Family): Prefix[] {
  const out: Prefix[] = []
  for (const chain of set.chains.values())
    for (const rule of chain.rules)
      if (rule.saddr && 'prefixes' in rule.saddr)
        out.push(...rule.saddr.prefixes.filter((prefix) => prefix.family === family))
  return out
}

/**
 * Who reaches a port from elsewhere: the address space is cut at every network a rule names, and
 * one address of each piece is judged (all addresses of a piece meet the same rules).
 */
export function reach(
  set: RuleSet | undefined,
  family: Family,
  port: number,
  options: {iface?: string; cuts?: Prefix[]; allowed?: (address: string) => boolean} = {},
): Reach {
  const top = (1n << BigInt(familyWidth(family))) - 1n
  const {iface, allowed} = options
  const cuts = new Set<bigint>([0n])
  // Loopback is never a remote client: its piece is cut out and not judged.
  const loopback = LOOPBACK[family]
  for (const prefix of [...(set ? rulePrefixes(set, family) : []), ...(options.cuts ?? []), loopback]) {
    if (prefix.family !== family) continue
    cuts.add(prefix.base)
    const after = lastOf(prefix) + 1n
    if (after <= top) cuts.add(after)
  }
  const starts = [...cuts].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))
  const accepted: Prefix[] = []
  const undecided: Prefix[] = []
  const deciding: Verdict[] = []
  const seen = new Set<Rule | Chain | string>()
  starts.forEach((start, index) => {
    const end = index + 1 < starts.length ? (starts[index + 1] as bigint) - 1n : top
    if (contains(loopback, family, start)) return
    const packet = {family, source: start, port, ...(iface === undefined ? {} : {iface})}
    const verdict: Verdict = set ? evaluate(set, packet) : {verdict: 'accept'}
    // Past the firewall, the service's own rules (pmcd's [access]) may refuse the client.
    if (verdict.verdict !== 'drop' && allowed && !allowed(formatAddress(family, start))) return
    const key = verdict.rule ?? ('chain' in verdict ? verdict.chain : undefined) ?? verdict.verdict
    if (key !== undefined && !seen.has(key)) {
      seen.add(key)
      deciding.push(verdict)
    }
    if (verdict.verdict === 'accept') accepted.push(...rangeToPrefixes(family, start, end))
    if (verdict.verdict === 'undecided') undecided.push(...rangeToPrefixes(family, start, end))
  })
  deciding.sort((a, b) => Number(b.verdict === 'accept') - Number(a.verdict === 'accept'))
  return {family, accepted: merge(accepted), undecided: merge(undecided), deciding}
}

function merge(prefixes: Prefix[]): Prefix[] {
  if (prefixes.length === 0) return []
  const family = (prefixes[0] as Prefix).family
  const ranges = prefixes.map((p) => [p.base, lastOf(p)] as [bigint, bigint])
  const out: Array<[bigint, bigint]> = []
  for (const [from, to] of ranges) {
    const tail = out.at(-1)
    if (tail && from <= tail[1] + 1n) tail[1] = to > tail[1] ? to : tail[1]
    else out.push([from, to])
  }
  return out.flatMap(([from, to]) => rangeToPrefixes(family, from, to))
}

export const everywhere = (family: Family): Prefix => EVERYWHERE[family]

/** Whether networks cover every address of their family except loopback (which is never remote). */
export function coversAllRemote(family: Family, prefixes: Prefix[]): boolean {
  const size = (p: Prefix) => 1n << BigInt(familyWidth(family) - p.bits)
  const total = prefixes.filter((p) => p.family === family).reduce((sum, p) => sum + size(p), 0n)
  return total + size(LOOPBACK[family]) === 1n << BigInt(familyWidth(family))
}
