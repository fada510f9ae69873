import {describe, expect, it} from 'vitest'

import {Host} from '../../src/host/host.js'
import {MemoryBackend, treeSpecFromData} from '../../src/host/tree.js'
import {readFirewall} from '../../src/net/read-firewall.js'
import {labVerdicts, type Lab, useLabs} from '../helpers/fw-lab.js'
import {genCase, pick, prng, renderIptables, renderNft} from './generate.js'

/**
 * Generated rule sets with one line the engine refuses, tried on the real nft and iptables-restore
 * in a network namespace that starts empty, as at boot: our reader must say the line is refused
 * and model exactly what the kernel then holds (nft: nothing of the file; iptables-restore: the
 * table blocks committed before the line), and the SYNs the lab sends must agree with our verdicts.
 */
const CASES = 40
const LABS = 2

/** Ways to break an nft file that nft refuses whole: each returns the broken text. */
const NFT_BREAKS: Array<(text: string) => string> = [
  // A variable nobody defined.
  (t) => t.replace(/(policy \w+;)\n/, '$1\n\t\tip saddr $monitoring tcp dport 44321 accept\n'),
  // A policy nft does not know.
  (t) => t.replace(/policy (accept|drop);/, 'policy dorp;'),
  // A misspelt top-level word.
  (t) => t.replace('table inet filter {', 'tabel inet other {\n}\ntable inet filter {'),
  // The table's closing brace lost.
  (t) => t.replace(/\}\n*$/, '\n'),
  // A rule for a chain that does not exist.
  (t) => `${t}add rule inet filter nosuch tcp dport 22 accept\n`,
  // An unterminated string.
  (t) => t.replace(/(policy \w+;)\n/, '$1\n\t\ttcp dport 22 accept comment "ssh\n'),
]

/** Ways to break a rules file that iptables-restore refuses at a line. */
const IPT_BREAKS: Array<(text: string) => string> = [
  // A rule for a chain the file does not declare.
  (t) => t.replace(/\nCOMMIT\n/, '\n-A NOSUCH -p tcp --dport 22 -j ACCEPT\nCOMMIT\n'),
  // An option without its value.
  (t) => t.replace(/\nCOMMIT\n/, '\n-A INPUT -p tcp -s\nCOMMIT\n'),
  // A policy iptables does not know.
  (t) => t.replace(/:INPUT (ACCEPT|DROP)/, ':INPUT DENY'),
  // No COMMIT.
  (t) => t.replace(/\nCOMMIT\n/, '\n'),
  // A second table block refused after *filter was committed: *filter stays in force.
  (t) => `${t}*mangle\n:PREROUTING ACCEPT [0:0]\n-A PREROUTING -p tcp --dport 22 -s\nCOMMIT\n`,
]

const wants = (unit: string) => ({path: `/etc/systemd/system/multi-user.target.wants/${unit}`, content: ''})

async function ours(
  files: Array<{path: string; content: string}>,
  iface: string,
): Promise<{verdicts: Map<string, boolean | 'undecided'>; refused: string[]}> {
  const host = new Host(new MemoryBackend(treeSpecFromData({entries: files}, 'refused'), 'refused'))
  const fw = await readFirewall(host)
  const verdicts = labVerdicts(fw, iface)
  return {verdicts, refused: fw.problems.filter((p) => p.refused).map((p) => `${p.file}:${p.line}`)}
}

/** Run a program in the server's namespace that may fail: its exit status and what it said. */
async function attempt(lab: Lab, command: string, input: string): Promise<{code: number; said: string}> {
  const out = await lab.inServer(['sh', '-c', `${command} 2>&1; echo "exit=$?"`], input)
  const code = Number(/exit=(\d+)\s*$/.exec(out)?.[1] ?? -1)
  return {code, said: out.replace(/exit=\d+\s*$/, '')}
}

async function runCases(
  labs: Lab[],
  one: (lab: Lab, seed: number) => Promise<string[]>,
): Promise<{mismatches: string[]; cases: number}> {
  const mismatches: string[] = []
  let cases = 0
  let next = 0
  await Promise.all(
    labs.map(async (lab) => {
      for (let seed = next++; seed < CASES; seed = next++) {
        mismatches.push(...(await one(lab, seed)))
        cases++
      }
    }),
  )
  return {mismatches, cases}
}

function compare(
  real: Map<string, boolean>,
  predicted: Map<string, boolean | 'undecided'>,
  context: string,
): string[] {
  return [...predicted]
    .filter(([key, v]) => v !== real.get(key))
    .map(([key, v]) => `${key}: real ${String(real.get(key))}, ours ${String(v)}\n${context}`)
}

describe('a line the engine refuses: our model equals what the kernel holds after the load was tried', () => {
  const labs = useLabs(LABS)

  it(`nft -f: ${CASES} rule sets with one refused line load nothing`, async () => {
    const {mismatches, cases} = await runCases(labs, async (lab, seed) => {
      const broken = pick(prng(seed + 7), NFT_BREAKS)(renderNft(genCase(seed), lab.serverIface))
      await lab.inServer(['nft', '-f', '-'], `flush ruleset\n${lab.observer}`)
      const check = await attempt(lab, 'nft -c -f -', broken)
      const load = await attempt(lab, 'nft -f -', broken)
      const tables = await lab.inServer(['nft', 'list', 'tables'])
      const real = await lab.probe()
      const predicted = await ours(
        [wants('nftables.service'), {path: '/etc/nftables.conf', content: broken}],
        lab.serverIface,
      )
      const context = `seed ${seed}, nft said: ${load.said}\n${broken}`
      const out: string[] = []
      if (check.code === 0 || load.code === 0) out.push(`nft took the file\n${context}`)
      if (tables.trim() !== 'table inet pcph_lab') out.push(`the kernel holds ${tables}\n${context}`)
      if (predicted.refused.length === 0) out.push(`our reader refuses nothing\n${context}`)
      return [...out, ...compare(real, predicted.verdicts, context)]
    })
    expect(mismatches.slice(0, 1)).toEqual([])
    expect(cases).toBe(CASES)
  }, 600_000)

  it(`iptables-restore: ${CASES} rules.v4 files with one refused line`, async () => {
    const {mismatches, cases} = await runCases(labs, async (lab, seed) => {
      const c = genCase(seed)
      const v4 = pick(prng(seed + 11), IPT_BREAKS)(renderIptables(c, 4, lab.serverIface))
      const v6 = renderIptables(c, 6, lab.serverIface)
      await lab.inServer(['nft', '-f', '-'], `flush ruleset\n${lab.observer}`)
      const load = await attempt(lab, 'iptables-restore', v4)
      await lab.inServer(['ip6tables-restore'], v6)
      const real = await lab.probe()
      const predicted = await ours(
        [
          wants('netfilter-persistent.service'),
          {path: '/etc/iptables/rules.v4', content: v4},
          {path: '/etc/iptables/rules.v6', content: v6},
        ],
        lab.serverIface,
      )
      const context = `seed ${seed}, iptables-restore said: ${load.said}\n${v4}`
      const out: string[] = []
      if (load.code === 0) out.push(`iptables-restore took the file\n${context}`)
      const line = Number(/(?:Error occurred at line: |line )(\d+)/.exec(load.said)?.[1] ?? 0)
      // Past the end of the file (no COMMIT), we name the *table line that has none.
      const expected = load.said.includes('COMMIT expected') ? v4.split('\n').indexOf('*filter') + 1 : line
      if (!predicted.refused.includes(`/etc/iptables/rules.v4:${expected}`))
        out.push(
          `we refuse ${predicted.refused.join(', ') || 'nothing'}, iptables-restore line ${line}\n${context}`,
        )
      return [...out, ...compare(real, predicted.verdicts, context)]
    })
    expect(mismatches.slice(0, 1)).toEqual([])
    expect(cases).toBe(CASES)
  }, 600_000)
})
