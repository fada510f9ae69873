import {describe, expect, it} from 'vitest'

import type {CheckResult} from '../../src/checks/types.js'
import {Host} from '../../src/host/host.js'
import {MemoryBackend, type TreeEntry} from '../../src/host/tree.js'
import {analyzeExposure} from '../../src/net/exposure.js'
import {HTTPS_BREAKS, HTTPS_INSTALLED, httpsConfig} from './proxy-https-trees.js'
import {seedTreeWith} from './seed-tree.js'

type Change = Partial<TreeEntry> & {path: string}

async function run(id: string, changes: Change[]): Promise<CheckResult[]> {
  const host = new Host(new MemoryBackend(seedTreeWith(...changes), 'https'))
  const {CATALOGUE} = await import('../../src/checks/index.js')
  const entry = CATALOGUE.find((e) => e.id === id)
  if (!entry) throw new Error(id)
  return (await entry.load()).run(host)
}

/** The Proxmox VE firewall of node pve1 letting only the Pulse server (192.168.0.50) reach 8443. */
const PULSE_ONLY: Change[] = [
  {path: '/etc/systemd/system/multi-user.target.wants/pve-firewall.service', content: ''},
  {path: '/etc/hostname', content: 'pve1\n'},
  {
    path: '/etc/pve/firewall/cluster.fw',
    content: '[OPTIONS]\nenable: 1\n\n[RULES]\nIN ACCEPT -source 192.168.0.50 -p tcp -dport 8443\n',
  },
]

describe("the proxy's HTTPS mode (PSP-CONF-009, PSP-CONF-010)", () => {
  it('as the installer sets it up, with no firewall: port 8443 open to every host is a low finding, nothing more', async () => {
    const [reach] = await run('PSP-CONF-009', HTTPS_INSTALLED)
    expect(reach).toMatchObject({status: 'fail', path: '/etc/pulse-sensor-proxy/config.yaml', line: 8})
    expect(reach?.severity ?? 'low').toBe('low')
    expect(reach?.message).toMatch(/^the HTTPS mode listens on 0\.0\.0\.0:8443 \(every interface\)/)
    expect(reach?.message).toContain('403')
    expect((await run('PSP-CONF-010', HTTPS_INSTALLED)).map((r) => r.status)).toEqual(['pass'])
  })

  it('passes when the firewall lets only the Pulse server reach 8443', async () => {
    const results = await run('PSP-CONF-009', [...HTTPS_INSTALLED, ...PULSE_ONLY])
    expect(results.map((r) => [r.status, r.severity])).toEqual([['pass', undefined]])
    expect(results[0]?.message).toContain('the pve-firewall firewall lets only 192.168.0.50 reach port 8443')
    const exposure = await analyzeExposure(
      new Host(new MemoryBackend(seedTreeWith(...HTTPS_INSTALLED, ...PULSE_ONLY), 'x')),
    )
    expect(exposure.services.find((s) => s.service === 'pulse-sensor-proxy https')?.reachable).toMatchObject({
      scope: 'these networks',
      networks: ['192.168.0.50'],
    })
  })

  it('stays, low, when the firewall lets in hosts allowed_source_subnets does not name', async () => {
    const wider: Change[] = [
      ...PULSE_ONLY.slice(0, 2),
      {
        path: '/etc/pve/firewall/cluster.fw',
        content: '[OPTIONS]\nenable: 1\n\n[RULES]\nIN ACCEPT -source 203.0.113.0/24 -p tcp -dport 8443\n',
      },
    ]
    const results = await run('PSP-CONF-009', [...HTTPS_INSTALLED, ...wider])
    expect(results.map((r) => [r.status, r.severity])).toEqual([['fail', 'low']])
    expect(results[0]?.message).toContain('lets only 203.0.113.0/24 reach port 8443')
  })

  it('passes when the firewall closes 8443', async () => {
    const closed: Change[] = [
      ...PULSE_ONLY.slice(0, 2),
      {path: '/etc/pve/firewall/cluster.fw', content: '[OPTIONS]\nenable: 1\n\n[RULES]\nIN SSH(ACCEPT)\n'},
    ]
    const results = await run('PSP-CONF-009', [...HTTPS_INSTALLED, ...closed])
    expect(results.map((r) => r.status)).toEqual(['pass'])
    expect(results[0]?.message).toContain('lets no remote host reach port 8443')
  })

  it('passes on loopback and when the mode is off', async () => {
    const loopback = [...HTTPS_INSTALLED.slice(1), httpsConfig('"127.0.0.1:8443"')]
    expect((await run('PSP-CONF-009', loopback)).map((r) => r.status)).toEqual(['pass'])
    expect((await run('PSP-CONF-009', [])).map((r) => [r.status, r.message])).toEqual([
      ['pass', 'the HTTPS mode is off (http_enabled is not true)'],
    ])
  })

  it.each(HTTPS_BREAKS)('%s', async (_name, changes, ids, message) => {
    for (const id of ids) {
      const failures = (await run(id, changes)).filter((r) => r.status === 'fail')
      expect(failures.length, id).toBeGreaterThan(0)
      expect(failures.map((f) => f.message).join('\n')).toMatch(message)
    }
  })
})
