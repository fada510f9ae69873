import {describe, expect, it} from 'vitest'

import type {CheckResult} from '../../src/checks/types.js'
import {Host} from '../../src/host/host.js'
import {MemoryBackend, type TreeSpec} from '../../src/host/tree.js'
import {analyzeExposure} from '../../src/net/exposure.js'
import {seedTreeWith} from '../checks/seed-tree.js'

const OPTIONS = '/etc/pcp/pmcd/pmcd.options'
const NFT_UNIT = '/etc/systemd/system/sysinit.target.wants/nftables.service'

/** A collector whose pmcd listens on every interface (no -i), with these files added. */
function collector(
  ...extra: Array<{path: string; content?: string; type?: 'symlink'; target?: string}>
): TreeSpec {
  return seedTreeWith({path: OPTIONS, content: '-A\n-Q\n'}, ...extra)
}

async function run(spec: TreeSpec, id: string): Promise<CheckResult[]> {
  const host = new Host(new MemoryBackend(spec, 'exposure'))
  const {CATALOGUE} = await import('../../src/checks/index.js')
  const entry = CATALOGUE.find((e) => e.id === id)
  if (!entry) throw new Error(id)
  return (await entry.load()).run(host)
}

const NFT_CLOSED = `#!/usr/sbin/nft -f
flush ruleset
define monitoring = { 10.1.2.0/24, 192.168.7.0/24 }
table inet filter {
\tchain input {
\t\ttype filter hook input priority filter; policy drop;
\t\tiif "lo" accept
\t\tct state established,related accept
\t\tip saddr $monitoring tcp dport 44321 accept comment "pmcd from the monitoring hosts"
\t\ttcp dport 22 accept
\t}
}
`

const NFT_OPEN = `table inet filter {
\tchain input {
\t\ttype filter hook input priority 0; policy drop;
\t\ttcp dport { 22, 44321 } accept
\t}
}
`

describe('the exposure model: bind, then firewall, then access rules', () => {
  it('nftables that lets only the monitoring networks in: PCP-PMCD-003 passes and names the rule', async () => {
    const spec = collector(
      {path: '/etc/nftables.conf', content: NFT_CLOSED},
      {path: NFT_UNIT, type: 'symlink', target: '/lib/systemd/system/nftables.service'},
    )
    const exposure = await analyzeExposure(new Host(new MemoryBackend(spec, 'exposure')))
    const pmcd = exposure.services.find((s) => s.service === 'pmcd')
    expect(pmcd).toMatchObject({port: 44321, bind: 'every interface', firewall: 'nftables'})
    expect(pmcd?.operations.find((o) => o.op === 'fetch')).toEqual({
      op: 'fetch',
      scope: 'these networks',
      // The firewall lets both networks in; pmcd's [access] lets only 10.1.2.* fetch.
      networks: ['10.1.2.0/24'],
      undecided: [],
    })
    expect(pmcd?.rules[0]).toBe(
      '/etc/nftables.conf:9 ip saddr $monitoring tcp dport 44321 accept comment "pmcd from the monitoring hosts"'.replace(
        '$monitoring',
        '{ 10.1.2.0/24, 192.168.7.0/24 }',
      ),
    )
    const [result] = await run(spec, 'PCP-PMCD-003')
    expect(result).toMatchObject({status: 'pass'})
    expect(result?.message).toBe(
      'pmcd listens on every interface, but the nftables firewall lets only 10.1.2.0/24, 192.168.7.0/24 reach port 44321',
    )
    expect(pmcd?.reachable.networks).toEqual(['10.1.2.0/24', '192.168.7.0/24'])
  })

  it('nftables that lets anyone reach 44321 confirms the finding, naming the rule', async () => {
    const spec = collector(
      {path: '/etc/nftables.conf', content: NFT_OPEN},
      {path: NFT_UNIT, type: 'symlink', target: '/lib/systemd/system/nftables.service'},
    )
    const [result] = await run(spec, 'PCP-PMCD-003')
    expect(result).toMatchObject({status: 'fail'})
    expect(result?.message).toMatch(/; the nftables firewall lets any host reach port 44321$/)
    expect(result?.evidence).toContain('/etc/nftables.conf:4 tcp dport { 22, 44321 } accept')
  })

  it('an nftables.conf that nftables.service does not load changes nothing', async () => {
    const spec = collector({path: '/etc/nftables.conf', content: NFT_CLOSED})
    const exposure = await analyzeExposure(new Host(new MemoryBackend(spec, 'exposure')))
    expect(exposure.firewall.engines).toEqual([])
    const [result] = await run(spec, 'PCP-PMCD-003')
    expect(result).toMatchObject({status: 'fail'})
  })
})
