/** An address family: IPv4 or IPv6. */
export type Family = 4 | 6

/** A network: the first address and the prefix length (an address is a /32 or /128). */
export interface Prefix {
  family: Family
  base: bigint
  bits: number
}

const WIDTH: Record<Family, number> = {4: 32, 6: 128}

export const familyWidth = (family: Family): number => WIDTH[family]

/** One dotted-quad part as node:net takes it: 0-255, no leading zero. */
function isQuadPart(part: string): boolean {
  if (part.length === 0 || part.length > 3 || (part.length > 1 && part[0] === '0')) return false
  for (const c of part) if (c < '0' || c > '9') return false
  return Number(part) <= 255
}

/**
 * Whether `text` is a dotted-quad IPv4 address, exactly as node:net's isIPv4 decides, without its
 * regular expressions (Node's IPv6 pattern costs over 10 ms to compile on its first use, at start-up).
 */
export function isIPv4(text: string): boolean {
  const parts = text.split('.')
  return parts.length === 4 && parts.every(isQuadPart)
}

const isHexGroup = (group: string): boolean =>
  group.length >= 1 && group.length <= 4 && /^[0-9a-fA-F]+$/.test(group)

const ZONE_CHAR = /^[0-9a-zA-Z.:-]+$/

/**
 * Whether `text` is an IPv6 address (with an optional %zone), exactly as node:net's isIPv6 decides:
 * eight groups, or fewer around one `::` (which stands for at least one), a dotted-quad tail
 * counting as two groups.
 */
export function isIPv6(text: string): boolean {
  const percent = text.indexOf('%')
  if (percent >= 0 && !ZONE_CHAR.test(text.slice(percent + 1))) return false
  const address = percent >= 0 ? text.slice(0, percent) : text
  const gap = address.indexOf('::')
  if (gap >= 0 && address.indexOf('::', gap + 1) >= 0) return false
  const split = (part: string) => (part === '' ? [] : part.split(':'))
  const groups =
    gap < 0 ? split(address) : [...split(address.slice(0, gap)), ...split(address.slice(gap + 2))]
  const last = groups.at(-1)
  // A dotted quad ends the address, never before a trailing `::`.
  const quadTail = last !== undefined && last.includes('.') && (gap < 0 || gap + 2 < address.length)
  if (quadTail && !isIPv4(last)) return false
  const hex = quadTail ? groups.slice(0, -1) : groups
  if (!hex.every(isHexGroup)) return false
  const count = hex.length + (quadTail ? 2 : 0)
  return gap < 0 ? count === 8 : count <= 7
}

/** 4 or 6 for an IPv4 or IPv6 address, 0 for anything else: node:net's isIP. */
export function ipFamily(text: string): 0 | 4 | 6 {
  return isIPv4(text) ? 4 : isIPv6(text) ? 6 : 0
}

function v4ToBigint(text: string): bigint {
  return text.split('.').reduce((acc, part) => (acc << 8n) | BigInt(Number(part)), 0n)
}

function v6ToBigint(text: string): bigint {
  // A dotted IPv4 tail (::ffff:10.1.2.3) is two groups.
  const body = text.replace(/(\d+)\.(\d+)\.(\d+)\.(\d+)$/, (_m, a, b, c, d) =>
    [(Number(a) << 8) | Number(b), (Number(c) << 8) | Number(d)].map((g) => g.toString(16)).join(':'),
  )
  const [head = '', rest] = body.split('::')
  const parse = (s: string) => (s === '' ? [] : s.split(':').map((g) => BigInt(Number.parseInt(g, 16))))
  const left = parse(head)
  const right = rest === undefined ? [] : parse(rest)
  const groups =
    rest === undefined
      ? left
      : [...left, ...Array.from({length: 8 - left.length - right.length}, () => 0n), ...right]
  return groups.reduce((acc, g) => (acc << 16n) | g, 0n)
}

/** An address as a number, or undefined when the text is not a numeric IPv4 or IPv6 address. */
export function parseAddress(text: string): {family: Family; value: bigint} | undefined {
  if (isIPv4(text)) return {family: 4, value: v4ToBigint(text)}
  if (isIPv6(text)) return {family: 6, value: v6ToBigint(text)}
  return undefined
}

/**
 * `10.0.0.0/8`, `10.1.2.3`, `fd00::/8`: a network, or undefined when not numeric. Host bits are
 * cleared as the kernel's matchers do (`10.1.2.3/8` matches 10.0.0.0/8).
 */
export function parsePrefix(text: string): Prefix | undefined {
  const slash = text.indexOf('/')
  const address = parseAddress(slash < 0 ? text : text.slice(0, slash))
  if (!address) return undefined
  const width = WIDTH[address.family]
  let bits = width
  if (slash >= 0) {
    const mask = text.slice(slash + 1)
    if (/^\d{1,3}$/.test(mask)) bits = Number(mask)
    else {
      // iptables-save writes a non-contiguous mask as an address (10.0.0.0/255.0.0.0).
      const dotted = parseAddress(mask)
      if (!dotted || dotted.family !== address.family) return undefined
      bits = contiguousBits(dotted.value, width)
      if (bits < 0) return undefined
    }
    if (bits > width) return undefined
  }
  return {family: address.family, base: address.value & maskOf(bits, width), bits}
}

function contiguousBits(mask: bigint, width: number): number {
  for (let bits = 0; bits <= width; bits++) if (maskOf(bits, width) === mask) return bits
  return -1
}

function maskOf(bits: number, width: number): bigint {
  const all = (1n << BigInt(width)) - 1n
  return bits === 0 ? 0n : all ^ ((1n << BigInt(width - bits)) - 1n)
}

/** The last address of a network. */
export function lastOf(prefix: Prefix): bigint {
  return prefix.base | ((1n << BigInt(WIDTH[prefix.family] - prefix.bits)) - 1n)
}

export function contains(prefix: Prefix, family: Family, address: bigint): boolean {
  return prefix.family === family && address >= prefix.base && address <= lastOf(prefix)
}

export function formatAddress(family: Family, value: bigint): string {
  if (family === 4) return [24n, 16n, 8n, 0n].map((s) => String((value >> s) & 255n)).join('.')
  const groups = Array.from({length: 8}, (_, i) => Number((value >> BigInt(112 - 16 * i)) & 0xffffn))
  // The longest run of zero groups (two or more) becomes `::`, as RFC 5952 writes it.
  let best = -1
  let bestLength = 1
  for (let i = 0; i < 8;) {
    if (groups[i] !== 0) {
      i++
      continue
    }
    let j = i
    while (j < 8 && groups[j] === 0) j++
    if (j - i > bestLength) {
      best = i
      bestLength = j - i
    }
    i = j
  }
  const hex = (from: number, to: number) =>
    groups
      .slice(from, to)
      .map((g) => g.toString(16))
      .join(':')
  return best < 0 ? hex(0, 8) : `${hex(0, best)}::${hex(best + bestLength, 8)}`
}

export function formatPrefix(prefix: Prefix): string {
  const address = formatAddress(prefix.family, prefix.base)
  return prefix.bits === WIDTH[prefix.family] ? address : `${address}/${prefix.bits}`
}

/** The number of bits of a positive number (bitLength(1n) is 1). */
const bitLength = (n: bigint): number => n.toString(2).length

/**
 * The fewest networks that cover exactly the addresses from..to (inclusive): at each start, the
 * largest block that is aligned there (its trailing zero bits) and still ends within the range.
 */
export function rangeToPrefixes(family: Family, from: bigint, to: bigint): Prefix[] {
  const width = WIDTH[family]
  const out: Prefix[] = []
  let start = from
  while (start <= to) {
    const aligned = start === 0n ? width : bitLength(start & -start) - 1
    const fits = bitLength(to - start + 1n) - 1
    const hostBits = Math.min(aligned, fits)
    out.push({family, base: start, bits: width - hostBits})
    start += 1n << BigInt(hostBits)
  }
  return out
}

/** The fewest networks that cover every address of a family that none of `prefixes` covers. */
export function complement(family: Family, prefixes: readonly Prefix[]): Prefix[] {
  const top = (1n << BigInt(WIDTH[family])) - 1n
  const ranges = prefixes
    .filter((p) => p.family === family)
    .map((p) => [p.base, lastOf(p)] as const)
    .sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))
  const out: Prefix[] = []
  let next = 0n
  for (const [from, to] of ranges) {
    if (from > next) out.push(...rangeToPrefixes(family, next, from - 1n))
    if (to + 1n > next) next = to + 1n
  }
  if (next <= top) out.push(...rangeToPrefixes(family, next, top))
  return out
}

export const LOOPBACK: Record<Family, Prefix> = {
  4: {family: 4, base: 0x7f000000n, bits: 8},
  6: {family: 6, base: 1n, bits: 128},
}

export const EVERYWHERE: Record<Family, Prefix> = {
  4: {family: 4, base: 0n, bits: 0},
  6: {family: 6, base: 0n, bits: 0},
}
