import fc from 'fast-check'
import {describe, expect, it} from 'vitest'

import {evaluate} from '../../src/net/firewall.js'
import {parseAddress} from '../../src/net/ip.js'
import {iptablesRuleSet, parseIptablesSave} from '../../src/net/iptables-save.js'
import {nftRuleSet, parseNftables} from '../../src/net/nftables.js'
import {fuzzTexts} from '../parsers/mutate.js'
import {genCase, renderIptables, renderNft} from './generate.js'

const RUNS = {numRuns: 300}
const lineCount = (text: string) => text.split('\n').length
const SEEDS_NFT = [0, 1, 2, 3].map((seed) => renderNft(genCase(seed), 'eth0'))
const SEEDS_IPT = [0, 1, 2, 3].map((seed) => renderIptables(genCase(seed), 4, 'eth0'))
const packet = (source: string, port: number) => ({
  family: 4 as const,
  source: parseAddress(source)!.value,
  port,
})

describe('nftables.conf', () => {
  it('names the line of what it cannot follow', () => {
    const parsed = parseNftables(
      'table inet filter {\n  chain input {\n    type filter hook input priority 0; policy drop;\n    ip saddr 10.0.0.0/33 accept\n    tcp dport 44321 frobnicate\n  }\n}\n',
      '/etc/nftables.conf',
    )
    expect(parsed.problems.map((p) => [p.line, p.message])).toEqual([
      [4, 'ip saddr: not an IPv4 address, network, set or defined set'],
      [5, '"frobnicate": not a match or statement this reader follows'],
    ])
  })

  it('a set filled at run time is undecided, not guessed', () => {
    const parsed = parseNftables(
      'table inet f {\n set blocked { type ipv4_addr; flags dynamic; }\n chain input {\n  type filter hook input priority 0; policy accept;\n  ip saddr @blocked drop\n }\n}\n',
      '/etc/nftables.conf',
    )
    expect(parsed.problems).toEqual([])
    expect(evaluate(nftRuleSet(parsed), packet('10.1.2.3', 44321))).toMatchObject({verdict: 'undecided'})
  })

  it('includes are read in place, with their own file and line', () => {
    const parsed = parseNftables(
      'table inet f {\n chain input {\n  type filter hook input priority 0; policy drop;\n  include "pcp.nft"\n }\n}\n',
      '/etc/nftables.conf',
      new Map([
        ['pcp.nft', [{file: '/etc/pcp.nft', text: '\n  ip saddr 10.1.2.0/24 tcp dport 44321 accept\n'}]],
      ]),
    )
    const verdict = evaluate(nftRuleSet(parsed), packet('10.1.2.9', 44321))
    expect(verdict).toMatchObject({verdict: 'accept', rule: {file: '/etc/pcp.nft', line: 2}})
  })

  it('never throws, and every problem has a line in the file', () => {
    fc.assert(
      fc.property(
        fuzzTexts(SEEDS_NFT, 'table chain { } ; ip saddr tcp dport accept drop jump $ @ " # \n'),
        (text) => {
          const parsed = parseNftables(text, '/etc/nftables.conf')
          for (const p of parsed.problems) {
            expect(p.line).toBeGreaterThanOrEqual(1)
            expect(p.line).toBeLessThanOrEqual(lineCount(text))
          }
          evaluate(nftRuleSet(parsed), packet('10.1.2.3', 44321))
        },
      ),
      RUNS,
    )
  })
})

describe('iptables-save', () => {
  it('names the line of what iptables-restore would refuse', () => {
    const parsed = parseIptablesSave(
      '*filter\n:INPUT DROP [0:0]\n-A INPUT -s 10.0.0.0/8 -p tcp --dport 99999 -j ACCEPT\n-A NOPE -j DROP\n',
      '/etc/iptables/rules.v4',
      4,
    )
    expect(parsed.problems.map((p) => p.line)).toEqual([3, 4, 1])
    expect(parsed.problems.at(-1)?.message).toBe(
      '*filter has no COMMIT: iptables-restore applies nothing of it',
    )
  })

  it('an ipset is undecided, not guessed', () => {
    const parsed = parseIptablesSave(
      '*filter\n:INPUT ACCEPT [0:0]\n-A INPUT -m set --match-set blocked src -j DROP\nCOMMIT\n',
      '/etc/iptables/rules.v4',
      4,
    )
    expect(evaluate(iptablesRuleSet([parsed]), packet('10.1.2.3', 44321))).toMatchObject({
      verdict: 'undecided',
    })
  })

  it('never throws, and every problem has a line in the file', () => {
    fc.assert(
      fc.property(
        fuzzTexts(SEEDS_IPT, '*filter:INPUT -A -s -p tcp --dport -j ACCEPT DROP ! COMMIT "\n'),
        (text) => {
          const parsed = parseIptablesSave(text, '/etc/iptables/rules.v4', 4)
          for (const p of parsed.problems) {
            expect(p.line).toBeGreaterThanOrEqual(1)
            expect(p.line).toBeLessThanOrEqual(lineCount(text))
          }
          evaluate(iptablesRuleSet([parsed]), packet('10.1.2.3', 44321))
        },
      ),
      RUNS,
    )
  })
})

describe('nftables.conf syntax nft 1.0.6 refuses', () => {
  it('a rule right before "}" on its line (nft -f: "unexpected \'}\', expecting newline or semicolon")', () => {
    const parsed = parseNftables(
      'table inet t {\n chain input { type filter hook input priority 0; policy drop; tcp dport 44321 accept }\n}\n',
      '/etc/nftables.conf',
    )
    expect(parsed.problems.map((p) => [p.line, p.message])).toEqual([
      [2, 'a newline or ";" must end this line before "}"'],
    ])
  })
})
