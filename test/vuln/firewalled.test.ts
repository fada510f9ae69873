import {describe, expect, it} from 'vitest'

import {VULN_CHECKS} from '../../src/checks/vuln/catalogue.js'
import {WEB_CHECKS} from '../../src/checks/web/catalogue.js'
import {Host} from '../../src/host/host.js'
import {MemoryBackend, type TreeEntry} from '../../src/host/tree.js'
import {seedAccess, seedTreeWith} from '../checks/seed-tree.js'
import {RELAY_ON} from './breaks.js'

type Change = Partial<TreeEntry> & {path: string}

/** pmproxy enabled on every interface, relaying to a local key server; pmcd lets local clients store. */
const PMPROXY_ON_NETWORK: Change[] = [
  {
    path: '/var/lib/dpkg/status',
    content: 'Package: pcp\nStatus: install ok installed\nArchitecture: amd64\nVersion: 6.0.3-1.1\n',
  },
  {path: '/etc/default/pmproxy', content: '# PMPROXY_LOCAL=1\n'},
  {path: '/lib/systemd/system/pmproxy.service', content: '[Service]\nExecStart=/etc/pcp/pmproxy/rc start\n'},
  {
    path: '/etc/systemd/system/multi-user.target.wants/pmproxy.service',
    type: 'symlink',
    target: '/lib/systemd/system/pmproxy.service',
  },
  {path: '/usr/bin/redis-server', mode: 0o755, content: 'elf\n'},
  RELAY_ON,
  {
    path: '/etc/pcp/pmcd/pmcd.conf',
    content: seedAccess('disallow ".*" : store;\ndisallow ":*" : store;\nallow "local:*" : all;'),
  },
]

/** A Proxmox VE node whose firewall lets only the monitoring network reach pmproxy, or nobody. */
const pve = (rules: string): Change[] => [
  {path: '/etc/systemd/system/multi-user.target.wants/pve-firewall.service', content: ''},
  {path: '/etc/hostname', content: 'pve1\n'},
  {path: '/etc/pve/firewall/cluster.fw', content: `[OPTIONS]\nenable: 1\n\n[RULES]\n${rules}`},
]

async function results(checks: typeof VULN_CHECKS, changes: Change[]) {
  const host = new Host(new MemoryBackend(seedTreeWith(...changes), 'firewalled'))
  const loaded = await Promise.all(checks.map((e) => e.load()))
  return (
    await Promise.all(loaded.map(async (c) => (await c.run(host)).map((r) => ({...r, check: c.id}))))
  ).flat()
}

describe('PCP-VULN asks the exposure model whether pmproxy is reachable', () => {
  it('a firewall that shuts pmproxy out makes CVE-2024-3019 and -45769 low, saying which firewall', async () => {
    const found = await results(VULN_CHECKS, [...PMPROXY_ON_NETWORK, ...pve('IN SSH(ACCEPT)\n')])
    expect(found.find((r) => r.check === 'PCP-VULN-001')?.status).toBe('pass')
    const resp = found.find((r) => r.check === 'PCP-VULN-002' && r.message.includes('CVE-2024-3019'))
    expect(resp?.message).toMatch(
      /Not open to the network here: pmproxy listens on every interface.*, but the pve-firewall firewall lets no remote host reach port 44322 \(nor port 44323\)/,
    )
  })

  it('a firewall that lets a network in keeps them critical, naming the network', async () => {
    const found = await results(VULN_CHECKS, [
      ...PMPROXY_ON_NETWORK,
      ...pve('IN ACCEPT -source 10.1.2.0/24 -p tcp -dport 44322:44323\n'),
    ])
    const critical = found.filter((r) => r.check === 'PCP-VULN-001' && r.status === 'fail')
    expect(critical.map((r) => r.message.match(/CVE-\d{4}-\d+/)?.[0])).toEqual([
      'CVE-2024-3019',
      'CVE-2024-45769',
    ])
    expect(critical[0]?.message).toMatch(
      /the pve-firewall firewall lets only 10\.1\.2\.0\/24 reach port 44322/,
    )
  })
})

describe('PCP-WEB-001 asks the exposure model whether clients can go around nginx', () => {
  const nginxFront = PMPROXY_ON_NETWORK.slice(1, 4)

  it('fails when nothing stops clients reaching pmproxy directly', async () => {
    const found = await results(WEB_CHECKS, nginxFront)
    expect(found.find((r) => r.check === 'PCP-WEB-001')).toMatchObject({
      status: 'fail',
      message: expect.stringMatching(/clients can go around nginx's authentication/),
    })
  })

  it('passes when the firewall lets no remote host reach pmproxy', async () => {
    const found = await results(WEB_CHECKS, [...nginxFront, ...pve('IN HTTPS(ACCEPT)\n')])
    expect(found.find((r) => r.check === 'PCP-WEB-001')?.status).toBe('pass')
  })
})
