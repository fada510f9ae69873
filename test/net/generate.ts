/** Seeded generators of firewall rule sets for the differential tests (the same seed, the same rules). */

export function prng(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296
  }
}

export type Rand = ReturnType<typeof prng>
export const pick = <T>(r: Rand, items: readonly T[]): T => items[Math.floor(r() * items.length)] as T
const chance = (r: Rand, p: number) => r() < p

const V4_NETS = [
  '10.0.0.0/8',
  '10.1.0.0/16',
  '10.1.2.0/24',
  '10.1.2.3',
  '192.168.1.0/24',
  '192.168.0.0/16',
  '172.16.0.0/12',
  '203.0.113.7',
  '0.0.0.0/0',
  '10.200.0.0/15',
  '100.64.0.0/10',
  '192.168.2.16/28',
]
const V6_NETS = [
  'fd00::/8',
  'fd00::/64',
  'fd00:1::/32',
  '2001:db8::/32',
  '2001:db8::9',
  '::/0',
  '2001:db8:1::/48',
]
const PORTS: Array<[number, number]> = [
  [44321, 44321],
  [44322, 44323],
  [9127, 9127],
  [8443, 8443],
  [9191, 9191],
  [9000, 9200],
  [44000, 45000],
  [22, 22],
]

export interface GenRule {
  family?: 4 | 6
  saddr?: {negate: boolean; nets: string[]}
  dport?: {negate: boolean; ranges: Array<[number, number]>}
  ct?: {negate: boolean; states: string[]}
  iif?: {negate: boolean; name: 'lo' | 'SERVER'}
  proto?: 'tcp' | 'udp'
  counter: boolean
  comment?: string
  action: 'accept' | 'drop' | 'reject' | 'return' | {jump: string} | {goto: string} | 'log'
}

export interface GenCase {
  seed: number
  policy: 'accept' | 'drop'
  input: GenRule[]
  /** User chains, each may jump only to chains after it (no loops). */
  chains: Array<{name: string; rules: GenRule[]}>
}

function genRule(r: Rand, chainIndex: number, chainNames: string[], userChain: boolean): GenRule {
  const rule: GenRule = {counter: chance(r, 0.2), action: 'accept'}
  if (chance(r, 0.15)) rule.comment = pick(r, ['allow monitoring', 'pcp', 'block'])
  if (chance(r, 0.6)) {
    const family = chance(r, 0.7) ? 4 : 6
    rule.family = family
    const nets = family === 4 ? V4_NETS : V6_NETS
    const count = chance(r, 0.7) ? 1 : 2 + Math.floor(r() * 2)
    const chosen = [...new Set(Array.from({length: count}, () => pick(r, nets)))]
    // iptables-nft refuses a negated /0 ("! -s 0.0.0.0/0": Invalid argument).
    rule.saddr = {negate: chosen.length === 1 && !chosen[0]?.endsWith('/0') && chance(r, 0.2), nets: chosen}
  }
  if (chance(r, 0.75)) {
    const count = chance(r, 0.7) ? 1 : 2 + Math.floor(r() * 2)
    const ranges = [...new Set(Array.from({length: count}, () => pick(r, PORTS)))]
    rule.dport = {negate: ranges.length === 1 && chance(r, 0.15), ranges}
    rule.proto = chance(r, 0.9) ? 'tcp' : 'udp'
  }
  if (chance(r, 0.15))
    rule.ct = {negate: chance(r, 0.2), states: chance(r, 0.5) ? ['established', 'related'] : ['new']}
  if (chance(r, 0.12)) rule.iif = {negate: chance(r, 0.3), name: chance(r, 0.5) ? 'lo' : 'SERVER'}
  const later = chainNames.slice(chainIndex + 1)
  const roll = r()
  if (roll < 0.12 && later.length > 0)
    rule.action = chance(r, 0.8) ? {jump: pick(r, later)} : {goto: pick(r, later)}
  else if (roll < 0.2 && userChain) rule.action = 'return'
  else if (roll < 0.26) rule.action = 'log'
  else rule.action = pick(r, ['accept', 'accept', 'drop', 'reject'] as const)
  return rule
}

export function genCase(seed: number): GenCase {
  const r = prng(seed)
  const names = Array.from({length: Math.floor(r() * 3)}, (_, i) => `pcp_${i}`)
  const chainNames = ['input', ...names]
  const chains = names.map((name, index) => ({
    name,
    rules: Array.from({length: 1 + Math.floor(r() * 4)}, () => genRule(r, index + 1, chainNames, true)),
  }))
  const input = Array.from({length: 1 + Math.floor(r() * 7)}, () => genRule(r, 0, chainNames, false))
  return {seed, policy: chance(r, 0.6) ? 'drop' : 'accept', input, chains}
}

const portText = (range: [number, number], sep: string) =>
  range[0] === range[1] ? String(range[0]) : `${range[0]}${sep}${range[1]}`

function nftRule(rule: GenRule, serverIface: string): string {
  const parts: string[] = []
  if (rule.iif)
    parts.push(`iifname ${rule.iif.negate ? '!= ' : ''}"${rule.iif.name === 'lo' ? 'lo' : serverIface}"`)
  if (rule.saddr) {
    const key = rule.family === 6 ? 'ip6 saddr' : 'ip saddr'
    const value =
      rule.saddr.nets.length === 1 ? (rule.saddr.nets[0] as string) : `{ ${rule.saddr.nets.join(', ')} }`
    parts.push(`${key} ${rule.saddr.negate ? '!= ' : ''}${value}`)
  }
  if (rule.dport) {
    const ranges = rule.dport.ranges.map((p) => portText(p, '-'))
    const value = ranges.length === 1 ? (ranges[0] as string) : `{ ${ranges.join(', ')} }`
    parts.push(`${rule.proto ?? 'tcp'} dport ${rule.dport.negate ? '!= ' : ''}${value}`)
  }
  if (rule.ct)
    parts.push(
      `ct state ${rule.ct.negate ? '!= ' : ''}${rule.ct.states.length > 1 ? `{ ${rule.ct.states.join(', ')} }` : rule.ct.states[0]}`,
    )
  if (rule.counter) parts.push('counter')
  const a = rule.action
  parts.push(
    typeof a === 'string'
      ? a === 'log'
        ? 'log prefix "pcp: "'
        : a
      : 'jump' in a
        ? `jump ${a.jump}`
        : `goto ${a.goto}`,
  )
  if (rule.comment) parts.push(`comment "${rule.comment}"`)
  return parts.join(' ')
}

/** The case as /etc/nftables.conf: one inet table (the shape Debian's template uses). */
export function renderNft(c: GenCase, serverIface: string): string {
  const chain = (name: string, rules: GenRule[], head?: string) =>
    [
      `\tchain ${name} {`,
      ...(head ? [`\t\t${head}`] : []),
      ...rules.map((rule) => `\t\t${nftRule(rule, serverIface)}`),
      '\t}',
    ].join('\n')
  return [
    '#!/usr/sbin/nft -f',
    'flush ruleset',
    '',
    'table inet filter {',
    ...c.chains.map((ch) => chain(ch.name, ch.rules)),
    chain('input', c.input, `type filter hook input priority filter; policy ${c.policy};`),
    '}',
    '',
  ].join('\n')
}

function iptRules(chain: string, rule: GenRule, family: 4 | 6, serverIface: string): string[] {
  if (rule.family !== undefined && rule.family !== family) return []
  const words = ['-A', chain]
  if (rule.saddr) words.push(...(rule.saddr.negate ? ['!'] : []), '-s', rule.saddr.nets.join(','))
  if (rule.iif)
    words.push(...(rule.iif.negate ? ['!'] : []), '-i', rule.iif.name === 'lo' ? 'lo' : serverIface)
  if (rule.dport) {
    const proto = rule.proto ?? 'tcp'
    if (rule.dport.ranges.length === 1)
      words.push(
        '-p',
        proto,
        '-m',
        proto,
        ...(rule.dport.negate ? ['!'] : []),
        '--dport',
        portText(rule.dport.ranges[0] as [number, number], ':'),
      )
    else
      words.push(
        '-p',
        proto,
        '-m',
        'multiport',
        '--dports',
        rule.dport.ranges.map((p) => portText(p, ':')).join(','),
      )
  }
  if (rule.ct)
    words.push(
      '-m',
      'conntrack',
      ...(rule.ct.negate ? ['!'] : []),
      '--ctstate',
      rule.ct.states.map((s) => s.toUpperCase()).join(','),
    )
  if (rule.comment) words.push('-m', 'comment', '--comment', `"${rule.comment}"`)
  const a = rule.action
  if (typeof a === 'string') words.push('-j', a === 'log' ? 'LOG' : a.toUpperCase())
  else if ('jump' in a) words.push('-j', a.jump)
  else words.push('-g', a.goto)
  return [words.join(' ')]
}

/** The case as an iptables-save file for one family (rules.v4 or rules.v6). */
export function renderIptables(c: GenCase, family: 4 | 6, serverIface: string): string {
  return [
    '# Generated by a pcp-harden test',
    '*filter',
    `:INPUT ${c.policy.toUpperCase()} [0:0]`,
    ':FORWARD ACCEPT [0:0]',
    ':OUTPUT ACCEPT [0:0]',
    ...c.chains.map((ch) => `:${ch.name} - [0:0]`),
    ...c.input.flatMap((rule) => iptRules('INPUT', rule, family, serverIface)),
    ...c.chains.flatMap((ch) => ch.rules.flatMap((rule) => iptRules(ch.name, rule, family, serverIface))),
    'COMMIT',
    '',
  ].join('\n')
}
