import {describe, expect, it} from 'vitest'

import {evaluate, type RuleSet} from '../../src/net/firewall.js'
import {parseAddress} from '../../src/net/ip.js'
import {iptablesRuleSet, parseIptablesSave} from '../../src/net/iptables-save.js'
import {nftRuleSet, parseNftables} from '../../src/net/nftables.js'
import {LAB_PORTS, LAB_SOURCES, type Lab, useLabs} from '../helpers/fw-lab.js'
import {genCase, renderIptables, renderNft} from './generate.js'

/** Cases per engine, spread over this many labs (each lab two namespaces of its own). */
const CASES = 200
const LABS = 6

/** Our verdict for every (source, port) the lab probes: true when we say the connection is accepted. */
function predict(set: RuleSet, family: 4 | 6, iface: string): Map<string, boolean | 'undecided'> {
  const out = new Map<string, boolean | 'undecided'>()
  for (const source of LAB_SOURCES[family]) {
    const address = parseAddress(source)
    if (!address) throw new Error(source)
    for (const port of LAB_PORTS) {
      const v = evaluate(set, {family, source: address.value, port, iface})
      out.set(`${source} ${port}`, v.verdict === 'undecided' ? 'undecided' : v.verdict === 'accept')
    }
  }
  return out
}

async function runCases(
  labs: Lab[],
  load: (lab: Lab, seed: number) => Promise<{sets: Record<4 | 6, RuleSet>; text: string}>,
): Promise<{mismatches: string[]; compared: number}> {
  const mismatches: string[] = []
  let compared = 0
  let next = 0
  await Promise.all(
    labs.map(async (lab) => {
      for (let seed = next++; seed < CASES; seed = next++) {
        const {sets, text} = await load(lab, seed)
        const real = await lab.probe()
        for (const family of [4, 6] as const) {
          const ours = predict(sets[family], family, lab.serverIface)
          for (const [key, predicted] of ours) {
            compared++
            if (predicted !== real.get(key))
              mismatches.push(
                `seed ${seed} IPv${family} ${key}: real ${String(real.get(key))}, ours ${String(predicted)}\n${text}`,
              )
          }
        }
      }
    }),
  )
  return {mismatches, compared}
}

describe('our firewall verdicts match the kernel (generated rule sets in network namespaces)', () => {
  const labs = useLabs(LABS)

  it(`nftables: ${CASES} rule sets`, async () => {
    const {mismatches, compared} = await runCases(labs, async (lab, seed) => {
      const text = renderNft(genCase(seed), lab.serverIface)
      await lab.inServer(['nft', '-f', '-'], `${text}\n${lab.observer}`)
      const parsed = parseNftables(text, '/etc/nftables.conf')
      expect(parsed.problems).toEqual([])
      const set = nftRuleSet(parsed)
      return {sets: {4: set, 6: set}, text}
    })
    expect(mismatches.slice(0, 3)).toEqual([])
    expect(compared).toBe(CASES * LAB_PORTS.length * (LAB_SOURCES[4].length + LAB_SOURCES[6].length))
  }, 240_000)

  it(`iptables-save: ${CASES} rule sets (rules.v4 and rules.v6)`, async () => {
    const {mismatches, compared} = await runCases(labs, async (lab, seed) => {
      const c = genCase(seed)
      const v4 = renderIptables(c, 4, lab.serverIface)
      const v6 = renderIptables(c, 6, lab.serverIface)
      // The nftables test's last rule set goes; the observer comes first and stays.
      await lab.inServer(['nft', '-f', '-'], `flush ruleset\n${lab.observer}`)
      await lab.inServer(['iptables-restore'], v4)
      await lab.inServer(['ip6tables-restore'], v6)
      const p4 = parseIptablesSave(v4, '/etc/iptables/rules.v4', 4)
      const p6 = parseIptablesSave(v6, '/etc/iptables/rules.v6', 6)
      expect([...p4.problems, ...p6.problems]).toEqual([])
      return {sets: {4: iptablesRuleSet([p4]), 6: iptablesRuleSet([p6])}, text: `${v4}\n${v6}`}
    })
    expect(mismatches.slice(0, 3)).toEqual([])
    expect(compared).toBe(CASES * LAB_PORTS.length * (LAB_SOURCES[4].length + LAB_SOURCES[6].length))
  }, 240_000)
})
