import fc from 'fast-check'
import {describe, expect, it} from 'vitest'

import type {CheckResult} from '../../src/checks/types.js'
import {Host} from '../../src/host/host.js'
import {MemoryBackend, type TreeEntry} from '../../src/host/tree.js'
import {analyzeExposure} from '../../src/net/exposure.js'
import {appliedPart, readFirewall} from '../../src/net/read-firewall.js'
import {parseIptablesSave} from '../../src/net/iptables-save.js'
import {seedTreeWith} from '../checks/seed-tree.js'
import {fuzzTexts} from '../parsers/mutate.js'
import {IPTABLES, NET_BREAKS, NFT, nftConf, PVE, rulesV4} from './breaks.js'
import {genCase, renderIptables, renderNft} from './generate.js'

type Change = Partial<TreeEntry> & {path: string}

const host = (changes: Change[]) => new Host(new MemoryBackend(seedTreeWith(...changes), 'net'))

/** pmcd on every interface (Debian's default: no PMCD_LOCAL). */
const PMCD_OPEN: Change[] = [{path: '/etc/pcp/pmcd/pmcd.options', content: '-A\n'}]

async function run(changes: Change[]): Promise<CheckResult[]> {
  const {check} = await import('../../src/checks/net/pcp-net-001.js')
  return check.run(host(changes))
}

describe('PCP-NET-001: a firewall line the engine refuses', () => {
  it('nftables: one refused line and none of the file loads; exposure counts no nft rule', async () => {
    const changes = [...PMCD_OPEN, ...NFT(nftConf('tcp dport 44321 ip saddr $monitors accept'))]
    const [result, ...rest] = await run(changes)
    expect(rest).toEqual([])
    expect(result).toMatchObject({
      status: 'fail',
      path: '/etc/nftables.conf',
      line: 12,
      severity: 'high',
      evidence: 'tcp dport 44321 ip saddr $monitors accept',
      fix: 'nft -c -f /etc/nftables.conf',
    })
    expect(result?.message).toMatch(/^\$monitors is not defined: nft refuses the whole rule set/)
    expect(result?.message).toContain('with no firewall loaded at boot, any host can reach port 44321 (pmcd)')
    const {firewall, services} = await analyzeExposure(host(changes))
    expect(firewall.sets[4]).toBeUndefined()
    expect(services.find((s) => s.service === 'pmcd')?.reachable.scope).toBe('anywhere')
  })

  it('nftables: the same file with the variable defined passes, and its rules count', async () => {
    const changes = [...PMCD_OPEN, ...NFT(nftConf('tcp dport 44321 ip saddr $monitoring accept'))]
    expect((await run(changes)).map((r) => r.status)).toEqual(['pass'])
    const pmcd = (await analyzeExposure(host(changes))).services.find((s) => s.service === 'pmcd')
    expect(pmcd?.reachable).toMatchObject({scope: 'these networks', networks: ['10.1.2.0/24']})
  })

  it('nftables: an include of a file that does not exist is refused (nft: "File not found"); a glob that matches nothing is not', async () => {
    const missing = await run([
      ...PMCD_OPEN,
      ...NFT(`include "/etc/nftables.d/pcp.nft"\n${nftConf('tcp dport 22 accept')}`),
    ])
    expect(missing.map((r) => [r.status, r.line, r.severity])).toEqual([['fail', 1, 'high']])
    expect(missing[0]?.message).toContain('include "/etc/nftables.d/pcp.nft"')
    const glob = await run([
      ...PMCD_OPEN,
      ...NFT(`include "/etc/nftables.d/*.nft"\n${nftConf('tcp dport 22 accept')}`),
    ])
    expect(glob.map((r) => r.status)).toEqual(['pass'])
  })

  it('nftables: lower when pmcd listens on loopback only anyway', async () => {
    const changes = [
      {path: '/etc/pcp/pmcd/pmcd.options', content: '-A\n-i 127.0.0.1\n'},
      ...NFT(nftConf('tcp dport 44321 ip saddr $monitors accept')),
    ]
    const results = await run(changes)
    expect(results.map((r) => [r.status, r.severity])).toEqual([['fail', 'low']])
  })

  it('nftables: a construct this reader does not follow is undecided, not a finding', async () => {
    const results = await run([
      ...PMCD_OPEN,
      ...NFT(nftConf('ip saddr monitor.example.com tcp dport 44321 accept')),
    ])
    expect(results).toHaveLength(1)
    expect(results[0]?.status).toBe('error')
    expect(results[0]?.message).toContain('run nft -c -f /etc/nftables.conf')
  })

  it('iptables-restore: the table blocks committed before the refused line load, the rest does not', () => {
    const text = rulesV4(
      '-A INPUT -p tcp --dport 44321 -j ACCEPT',
      '*mangle\n:PREROUTING ACCEPT [0:0]\n-A PREROUTING -p tcp -s\nCOMMIT\n',
    )
    const parsed = parseIptablesSave(text, '/etc/iptables/rules.v4', 4)
    expect(parsed.problems.map((p) => [p.line, p.refused])).toEqual([[11, 'block']])
    expect(appliedPart(text, parsed.problems).split('\n')).toHaveLength(8)
    expect(appliedPart(text, parsed.problems).trimEnd().endsWith('COMMIT')).toBe(true)
  })

  it('iptables-restore: a refused line in *filter and nothing of it loads', async () => {
    const changes = [...PMCD_OPEN, ...IPTABLES(rulesV4('-A PCP -p tcp --dport 44321 -j ACCEPT'))]
    const results = await run(changes)
    expect(results).toHaveLength(1)
    expect(results[0]).toMatchObject({
      status: 'fail',
      path: '/etc/iptables/rules.v4',
      line: 7,
      severity: 'high',
      fix: 'iptables-restore --test < /etc/iptables/rules.v4',
    })
    expect(results[0]?.message).toContain('only the blocks committed before this line load')
    const fw = await readFirewall(host(changes))
    expect(fw.sets[4]?.base).toEqual([])
    const pmcd = (await analyzeExposure(host(changes))).services.find((s) => s.service === 'pmcd')
    expect(pmcd?.reachable.scope).toBe('anywhere')
  })

  it('iptables-restore: a file it takes whole passes and filters', async () => {
    const changes = [
      ...PMCD_OPEN,
      ...IPTABLES(rulesV4('-A INPUT -s 10.1.2.0/24 -p tcp -m tcp --dport 44321 -j ACCEPT')),
    ]
    expect((await run(changes)).map((r) => r.status)).toEqual(['pass'])
  })

  it("pve-firewall: a skipped DROP rule on pmcd's port is medium while pmcd stays reachable", async () => {
    const results = await run([...PMCD_OPEN, ...(NET_BREAKS[2]?.[1] ?? [])])
    expect(results.map((r) => [r.status, r.severity, r.line, r.fix])).toEqual([
      ['fail', 'medium', 6, 'pve-firewall compile'],
    ])
    expect(results[0]?.message).toContain('pve-firewall logs a warning and skips this line')
    expect(results[0]?.message).toContain('it was to keep hosts from pmcd 44321')
  })

  it('pve-firewall: a skipped ACCEPT rule lets no one in: low', async () => {
    const results = await run([
      ...PMCD_OPEN,
      ...PVE('[OPTIONS]\nenable: 1\n\n[RULES]\nIN ACCEPT -p tcp -dport 44321 -source 10.0.0.0/33\n'),
    ])
    expect(results.map((r) => [r.status, r.severity])).toEqual([['fail', 'low']])
  })

  it.each(NET_BREAKS)(
    "%s: fails PCP-NET-001 with a command to see the engine's error",
    async (_n, changes) => {
      const results = await run(changes)
      expect(results.length).toBeGreaterThan(0)
      for (const r of results) {
        expect(r.status).toBe('fail')
        expect(r.fix).toMatch(/^(nft -c -f|iptables-restore --test|pve-firewall compile)/)
      }
    },
  )

  it('passes on the seed tree, which loads no firewall', async () => {
    const results = await run([])
    expect(results.map((r) => r.status)).toEqual(['pass'])
    expect(results[0]?.message).toContain('no firewall loads at boot')
  })
})

describe('PCP-NET-001 over fuzzed firewall files', () => {
  const engines: Array<[string, string[], string, (text: string) => Change[]]> = [
    ['nftables', [0, 1, 2].map((seed) => renderNft(genCase(seed), 'eth0')), '/etc/nftables.conf', NFT],
    [
      'iptables',
      [0, 1, 2].map((seed) => renderIptables(genCase(seed), 4, 'eth0')),
      '/etc/iptables/rules.v4',
      IPTABLES,
    ],
    [
      'pve-firewall',
      [
        '[OPTIONS]\nenable: 1\n\n[RULES]\nIN ACCEPT -source 10.1.2.0/24 -p tcp -dport 44321\nIN DROP -p tcp -dport 9127\n',
      ],
      '/etc/pve/firewall/cluster.fw',
      PVE,
    ],
  ]
  it.each(engines)(
    '%s: never throws; every result names a line of the file',
    async (_e, seeds, file, tree) => {
      await fc.assert(
        fc.asyncProperty(fuzzTexts(seeds, '{ } ; $ " * : -A -s COMMIT IN DROP -dport #\n'), async (text) => {
          const results = await run([...PMCD_OPEN, ...tree(text)])
          for (const r of results) {
            expect(['pass', 'fail', 'error']).toContain(r.status)
            if (r.status === 'pass') continue
            expect(r.path).toBe(file)
            expect(r.line).toBeGreaterThanOrEqual(1)
            expect(r.line).toBeLessThanOrEqual(text.split('\n').length)
            if (r.status === 'fail') expect(r.fix).toBeDefined()
          }
        }),
        {numRuns: 60},
      )
    },
    120_000,
  )
})
