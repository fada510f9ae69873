import {execFileSync} from 'node:child_process'

import {describe, expect, it} from 'vitest'

import {compareDebianVersionStrings, parseDebianVersion} from '../../src/vuln/debian-version.js'

/** dpkg's own answers for many pairs, from one shell: lt, eq or gt for each. */
function dpkgOrders(pairs: readonly [string, string][]): string[] {
  const script =
    'while read -r a b; do if dpkg --compare-versions "$a" lt "$b"; then echo lt; ' +
    'elif dpkg --compare-versions "$a" eq "$b"; then echo eq; else echo gt; fi; done'
  const input = pairs.map(([a, b]) => `${a} ${b}\n`).join('')
  return execFileSync('sh', ['-c', script], {input, encoding: 'utf8', timeout: 60_000}).trim().split('\n')
}

const sign = (n: number) => (n < 0 ? 'lt' : n > 0 ? 'gt' : 'eq')

const CASES: [string, string][] = [
  ['6.0.3-1.1', '6.2.0'],
  ['6.2.0-1', '6.2.0'],
  ['6.2.0~rc1-1', '6.2.0'],
  ['1:5.0-1', '6.3.1'],
  ['6.3.1-1', '6.3.1-1+deb12u1'],
  ['6.3.1-1+deb12u1', '6.3.1-1~bpo12+1'],
  ['6.0.3-1.1+deb12u1', '6.0.3-1.1'],
  ['1.0a', '1.0+'],
  ['1.0~~', '1.0~'],
  ['1.001', '1.1'],
  ['2.10', '2.9'],
  ['0:6.0.3', '6.0.3'],
  ['6.0.3-1', '6.0.3-1.0'],
  ['7.0.0', '6.99.99'],
  ['1.2.3.4', '1.2.3'],
]

describe('Debian version comparison', () => {
  it('orders each pair exactly as dpkg --compare-versions does', () => {
    const pool = [...new Set(CASES.flat())]
    // Each case both ways, and each version against its neighbours in the pool.
    const pairs: [string, string][] = [
      ...CASES,
      ...CASES.map(([a, b]): [string, string] => [b, a]),
      ...pool.flatMap((a, i) =>
        [pool[i + 1], pool[i + 2], a].flatMap((b) => (b ? [[a, b] as [string, string]] : [])),
      ),
    ]
    const expected = dpkgOrders(pairs)
    expect(expected).toHaveLength(pairs.length)
    const ours = pairs.map(([a, b]) => sign(compareDebianVersionStrings(a, b)))
    expect(pairs.map(([a, b], i) => `${a} ${ours[i]} ${b}`)).toEqual(
      pairs.map(([a, b], i) => `${a} ${expected[i]} ${b}`),
    )
  }, 60_000)

  it('parses epoch, upstream and revision, and rejects what dpkg rejects', () => {
    expect(parseDebianVersion('1:6.0.3-1.1')).toEqual({epoch: 1, upstream: '6.0.3', revision: '1.1'})
    expect(parseDebianVersion('6.0.3-1-2')).toEqual({epoch: 0, upstream: '6.0.3-1', revision: '2'})
    expect(parseDebianVersion('a1.0')).toBeUndefined()
    expect(parseDebianVersion('x:1.0')).toBeUndefined()
    expect(parseDebianVersion('1.0 2')).toBeUndefined()
  })
})
