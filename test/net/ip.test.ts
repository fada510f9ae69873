import net from 'node:net'

import fc from 'fast-check'
import {describe, expect, it} from 'vitest'

import {type Family, ipFamily, isIPv4, isIPv6, lastOf, rangeToPrefixes} from '../../src/net/ip.js'

const WIDTH = {4: 32, 6: 128} as const

/** The reference: grow each block one bit at a time while it stays aligned and inside the range. */
function reference(family: Family, from: bigint, to: bigint): Array<[bigint, number]> {
  const width = WIDTH[family]
  const out: Array<[bigint, number]> = []
  for (let start = from; start <= to;) {
    let bits = width
    while (bits > 0) {
      const size = 1n << BigInt(width - bits + 1)
      if (start % size !== 0n || start + size - 1n > to) break
      bits--
    }
    out.push([start, bits])
    start += 1n << BigInt(width - bits)
  }
  return out
}

const range = (family: Family) =>
  fc
    .tuple(
      fc.bigInt(0n, (1n << BigInt(WIDTH[family])) - 1n),
      fc.bigInt(0n, (1n << BigInt(WIDTH[family])) - 1n),
    )
    .map(([a, b]) => (a <= b ? [a, b] : [b, a]) as [bigint, bigint])

describe('rangeToPrefixes', () => {
  for (const family of [4, 6] as const)
    it(`covers exactly from..to with the fewest IPv${family} networks`, () => {
      fc.assert(
        fc.property(range(family), ([from, to]) => {
          const prefixes = rangeToPrefixes(family, from, to)
          expect(prefixes.map((p) => [p.base, p.bits])).toEqual(reference(family, from, to))
          expect(prefixes[0]?.base).toBe(from)
          expect(lastOf(prefixes.at(-1)!)).toBe(to)
        }),
        {numRuns: 500},
      )
    })

  it('gives the whole space as one network and a single address as a host network', () => {
    expect(rangeToPrefixes(6, 0n, (1n << 128n) - 1n)).toEqual([{family: 6, base: 0n, bits: 0}])
    expect(rangeToPrefixes(4, 0x0a000001n, 0x0a000001n)).toEqual([{family: 4, base: 0x0a000001n, bits: 32}])
    expect(rangeToPrefixes(4, 0x0a000000n, 0x0affffffn)).toEqual([{family: 4, base: 0x0a000000n, bits: 8}])
  })
})

describe('isIPv4, isIPv6 and ipFamily decide as node:net does', () => {
  const alphabet = fc.constantFrom(
    ...'0123456789abcdefABCDEFgG:.%-_ '.split(''),
    '::',
    '255',
    '256',
    '01',
    'ffff',
    '1.2.3.4',
  )
  const texts = fc.oneof(
    fc.array(alphabet, {maxLength: 24}).map((parts) => parts.join('')),
    fc.ipV4(),
    fc.ipV4Extended(),
    fc.ipV6(),
    fc.tuple(fc.ipV6(), fc.stringMatching(/^%[0-9a-zA-Z.:%-]{0,6}$/)).map(([a, zone]) => a + zone),
    fc.string({maxLength: 20}),
    // Groups around an optional `::`, with an optional dotted-quad tail: near misses of every count.
    fc
      .tuple(
        fc.array(fc.stringMatching(/^[0-9a-fA-F]{1,5}$/), {maxLength: 9}),
        fc.nat(9),
        fc.boolean(),
        fc.option(fc.ipV4(), {nil: undefined}),
      )
      .map(([groups, at, gap, quad]) => {
        const tail = quad === undefined ? groups : [...groups, quad]
        const cut = Math.min(at, tail.length)
        return gap ? `${tail.slice(0, cut).join(':')}::${tail.slice(cut).join(':')}` : tail.join(':')
      }),
  )

  it('on generated texts', () => {
    fc.assert(
      fc.property(texts, (text) => {
        expect(isIPv4(text)).toBe(net.isIPv4(text))
        expect(isIPv6(text)).toBe(net.isIPv6(text))
        expect(ipFamily(text)).toBe(net.isIP(text))
      }),
      {numRuns: 20_000},
    )
  })

  it('on the edges of the grammar', () => {
    const edges = [
      '::',
      '::1',
      '1::',
      ':::',
      '1:2:3:4:5:6:7:8',
      '1:2:3:4:5:6:7::',
      '::2:3:4:5:6:7:8',
      '1:2:3:4:5:6:7:8::',
      '1::2:3:4:5:6:7:8',
      '1:2:3:4:5:6:1.2.3.4',
      '1:2:3:4:5::1.2.3.4',
      '1:2:3:4:5:6::1.2.3.4',
      '::1.2.3.4',
      '::ffff:10.0.0.1',
      '1.2.3.4::',
      '::1.2.3.4:1',
      '1::2::3',
      ':1::2',
      '1::2:',
      'fe80::1%eth0',
      'fe80::1%',
      'fe80::1%a%b',
      '::%1',
      '12345::',
      'g::',
      '1.2.3.4',
      '01.2.3.4',
      '256.1.1.1',
      '1.2.3',
      '1.2.3.4.5',
      '',
      '1:2:3:4:5:6:7:8%z',
      '::ffff:1.2.3.04',
      'FFFF::',
      '1:2:3:4:5:6:7:1.2.3.4',
    ]
    for (const text of edges) {
      expect(isIPv4(text), text).toBe(net.isIPv4(text))
      expect(isIPv6(text), text).toBe(net.isIPv6(text))
    }
  })
})
