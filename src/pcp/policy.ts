import type {AccessPolicy, AccessRule} from './access.js'

export type Operation = 'fetch' | 'store'

/** A kind of client pmcd tells apart, with one address that stands for it. */
export interface ClientClass {
  label: string
  /** `unix`, or an address. */
  address: string
  /** pmcd treats unix-socket and loopback clients as local. */
  local: boolean
}

export interface Decision {
  allowed: boolean
  /** The rule that decided, when one did (else: no rule speaks of it, so it is allowed). */
  rule?: AccessRule
  maxConnections?: number
}

/**
 * A valid address (a rule key's network or a client class, both made by this code) as a number.
 * Its family is told by a colon: the address is known to be valid.
 */
function toBigInt(address: string): {family: 4 | 6; value: bigint} {
  if (!address.includes(':')) {
    return {family: 4, value: address.split('.').reduce((acc, o) => (acc << 8n) | BigInt(Number(o)), 0n)}
  }
  const [head = '', tail = ''] = address.split('::')
  const left = head ? head.split(':') : []
  const right = tail ? tail.split(':') : []
  const groups = address.includes('::')
    ? [...left, ...Array(8 - left.length - right.length).fill('0'), ...right]
    : left
  return {
    family: 6,
    value: groups.reduce((acc, g) => (acc << 16n) | BigInt(Number.parseInt(g || '0', 16)), 0n),
  }
}

function fromBigInt(family: 4 | 6, value: bigint): string {
  if (family === 4) return [24n, 16n, 8n, 0n].map((shift) => String((value >> shift) & 255n)).join('.')
  const groups = Array.from({length: 8}, (_, i) => ((value >> BigInt(112 - 16 * i)) & 0xffffn).toString(16))
  return groups.join(':')
}

/**
 * An address in a host rule's range that no more specific rule covers, so that what the rule
 * decides can be seen there; undefined when the candidates tried are all covered.
 */
export function uncoveredAddress(rule: AccessRule, rules: readonly AccessRule[]): string | undefined {
  if (rule.key === 'unix') return 'unix'
  const match = /^(ipv4|ipv6):(.+)\/(\d+)$/.exec(rule.key)
  if (!match) return undefined
  const [, family, net = '', bits = '0'] = match
  const base = toBigInt(net)
  const width = family === 'ipv4' ? 32n : 128n
  const size = 1n << (width - BigInt(Number(bits)))
  const network = (base.value >> (width - BigInt(Number(bits)))) << (width - BigInt(Number(bits)))
  const narrower = rules.filter((r) => r !== rule && r.kind === 'host' && r.prefix > rule.prefix)
  for (let k = 0n; k < 16n; k++) {
    const candidate = fromBigInt(base.family, network + (((size * k) / 16n + (k % 2n)) % size))
    if (!narrower.some((r) => covers(r, candidate))) return candidate
  }
  return undefined
}

/** Whether a rule's key covers a client address. */
export function covers(rule: AccessRule, address: string): boolean {
  if (address === 'unix') return rule.key === 'unix'
  const match = /^(ipv4|ipv6):(.+)\/(\d+)$/.exec(rule.key)
  if (!match) return false
  const [, family, net = '', bits = '0'] = match
  const client = toBigInt(address)
  if ((family === 'ipv4') !== (client.family === 4)) return false
  const width = client.family === 4 ? 32n : 128n
  const prefix = BigInt(Number(bits))
  if (prefix === 0n) return true
  const shift = width - prefix
  return client.value >> shift === toBigInt(net).value >> shift
}

/** What pmcd decides for one client and one operation: the most specific rule that speaks of it wins. */
export function decide(policy: AccessPolicy, address: string, op: Operation): Decision {
  const matching = policy.rules
    .filter((r) => r.kind === 'host' && covers(r, address))
    .sort((a, b) => b.prefix - a.prefix)
  const rule = matching.find((r) => r.ops[op])
  const limit = matching.find((r) => r.maxConnections !== undefined)?.maxConnections
  return {
    allowed: rule ? !rule.deny[op] : true,
    rule,
    ...(limit === undefined ? {} : {maxConnections: limit}),
  }
}

const LOCAL_CLASSES: ClientClass[] = [
  {label: 'local clients (unix socket)', address: 'unix', local: true},
  {label: 'loopback (127.0.0.1)', address: '127.0.0.1', local: true},
]

/** TEST-NET addresses stand for "any other host": no real rule names them. */
export const ANY_IPV4: ClientClass = {label: 'any other IPv4 host', address: '192.0.2.1', local: false}
export const ANY_IPV6: ClientClass = {label: 'any other IPv6 host', address: '2001:db8::1', local: false}

/** The client classes worth a row: local ones, each network a host rule names, and everyone else. */
export function clientClasses(policy: AccessPolicy): ClientClass[] {
  const named: ClientClass[] = []
  for (const rule of policy.rules) {
    const match = /^(ipv4|ipv6):(.+)\/(\d+)$/.exec(rule.key)
    if (!match || rule.prefix === 0) continue
    const [, , net = ''] = match
    if (net === '127.0.0.1' || net === '::1') continue
    const names = [...new Set(rule.sources.map((s) => s.name))].join(', ')
    named.push({label: `${names} (${match[2]}/${match[3]})`, address: net, local: false})
  }
  return [...LOCAL_CLASSES, ...named, ANY_IPV4, ANY_IPV6]
}
