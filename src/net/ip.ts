import {isIPv4, isIPv6} from 'node:net'

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

/** The fewest networks that cover exactly the addresses from..to (inclusive). */
export function rangeToPrefixes(family: Family, from: bigint, to: bigint): Prefix[] {
  const width = WIDTH[family]
  const out: Prefix[] = []
  let start = from
  while (start <= to) {
    let bits = width
    while (bits > 0) {
      const size = 1n << BigInt(width - bits + 1)
      if (start % size !== 0n || start + size - 1n > to) break
      bits--
    }
    out.push({family, base: start, bits})
    start += 1n << BigInt(width - bits)
  }
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
