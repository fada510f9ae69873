import {describe, expect, it} from 'vitest'

import type {CheckResult} from '../../src/checks/types.js'
import {Host} from '../../src/host/host.js'
import {MemoryBackend, type TreeEntry} from '../../src/host/tree.js'
import {SEED_CONFIG} from './pulse/proxy.js'
import {seedTreeWith} from './seed-tree.js'

type Change = Partial<TreeEntry> & {path: string}

const PVE_UNIT = {path: '/etc/systemd/system/multi-user.target.wants/pve-firewall.service', content: ''}
const HOSTNAME = {path: '/etc/hostname', content: 'pve1\n'}
const PORTS = '44321,9127,9191'

/** The Proxmox VE firewall of node pve1, as cluster.fw says. */
const FIREWALLS: Record<'closed' | 'partly open' | 'open', Change[]> = {
  closed: [
    PVE_UNIT,
    HOSTNAME,
    {path: '/etc/pve/firewall/cluster.fw', content: '[OPTIONS]\nenable: 1\n\n[RULES]\nIN SSH(ACCEPT)\n'},
  ],
  'partly open': [
    PVE_UNIT,
    HOSTNAME,
    {
      path: '/etc/pve/firewall/cluster.fw',
      content: `[OPTIONS]\nenable: 1\n\n[ALIASES]\nmonitoring 10.1.2.0/24\n\n[RULES]\nIN ACCEPT -source monitoring -p tcp -dport ${PORTS}\n`,
    },
  ],
  open: [
    PVE_UNIT,
    HOSTNAME,
    {path: '/etc/pve/firewall/cluster.fw', content: '[OPTIONS]\nenable: 1\npolicy_in: ACCEPT\n'},
  ],
}

const options = (text: string): Change => ({path: '/etc/pcp/pmcd/pmcd.options', content: text})

/** A host that fails the check with no firewall, and the port the check speaks of. */
const CASES: Array<{id: string; port: number; failing: Change[]; message: RegExp}> = [
  {
    id: 'PCP-PMCD-005',
    port: 44321,
    failing: [options('-A\n')],
    message: /without authenticating/,
  },
  {
    id: 'PCP-PMCD-006',
    port: 44321,
    failing: [options('-A\n')],
    message: /^TLS is set up but not enforced/,
  },
  {
    id: 'PCP-PMCD-007',
    port: 44321,
    failing: [
      options('-A\n-S\n'),
      {
        path: '/etc/sasl2/pmcd.conf',
        content: 'mech_list: plain scram-sha-256\nsasldb_path: /etc/pcp/passwd.db\n',
      },
    ],
    message: /^mech_list offers plain/,
  },
  {
    id: 'PCP-ACCESS-006',
    port: 44321,
    failing: [
      options('-A\n'),
      {
        path: '/etc/pcp/pmcd/pmcd.conf',
        content:
          'pmcd 2 dso pmcd_init /var/lib/pcp/pmdas/pmcd/pmda_pmcd.so\n[access]\ndisallow ".*" : all;\ndisallow ":*" : all;\nallow 10.1.2.* : fetch;\nallow "local:*" : all;\n',
      },
    ],
    message: /may connect without a connection limit/,
  },
  {
    id: 'PSP-CONF-001',
    port: 9127,
    failing: [
      {
        path: '/etc/pulse-sensor-proxy/config.yaml',
        content: SEED_CONFIG.replace('"127.0.0.1:9127"', '":9127"'),
      },
    ],
    message: /puts the unauthenticated \/metrics endpoint on every interface/,
  },
  {
    id: 'PULSE-AGENT-008',
    port: 9191,
    failing: [
      {
        path: '/etc/systemd/system/pulse-agent.service',
        content:
          '[Unit]\nDescription=Pulse Unified Agent\n[Service]\nExecStart=/usr/local/bin/pulse-agent --url https://pulse.example:7655 --token-file /var/lib/pulse-agent/token --health-addr :9191\n[Install]\nWantedBy=multi-user.target\n',
      },
    ],
    message: /on :9191, not loopback/,
  },
]

async function run(id: string, changes: Change[]): Promise<CheckResult[]> {
  const host = new Host(new MemoryBackend(seedTreeWith(...changes), 'firewalled'))
  const {CATALOGUE} = await import('../../src/checks/index.js')
  const entry = CATALOGUE.find((e) => e.id === id)
  if (!entry) throw new Error(id)
  return (await entry.load()).run(host)
}

describe('checks that speak of remote clients ask the firewall', () => {
  for (const c of CASES) {
    describe(c.id, () => {
      it('fails without a firewall, as before', async () => {
        const results = await run(c.id, c.failing)
        const failures = results.filter((r) => r.status === 'fail')
        expect(failures.length).toBeGreaterThan(0)
        for (const r of failures) {
          expect(r.message).toMatch(c.message)
          expect(r.message).not.toMatch(/firewall/)
        }
      })

      it('passes, saying why, when the firewall lets no remote host reach the port', async () => {
        const results = await run(c.id, [...c.failing, ...FIREWALLS.closed])
        expect(results.map((r) => r.status)).not.toContain('fail')
        const passed = results.find((r) => c.message.test(r.message))
        expect(passed?.status).toBe('pass')
        expect(passed?.message).toContain(
          `but the pve-firewall firewall lets no remote host reach port ${c.port}`,
        )
      })

      it('stays, at low severity, when only some networks reach the port', async () => {
        const results = await run(c.id, [...c.failing, ...FIREWALLS['partly open']])
        const failures = results.filter((r) => r.status === 'fail')
        expect(failures.length).toBeGreaterThan(0)
        for (const r of failures) {
          expect(r.severity).toBe('low')
          expect(r.message).toContain(
            `but the pve-firewall firewall lets only 10.1.2.0/24 reach port ${c.port}`,
          )
          expect(r.evidence).toContain(
            `/etc/pve/firewall/cluster.fw:8 IN ACCEPT -source monitoring -p tcp -dport ${PORTS}`,
          )
        }
      })

      it('is confirmed, with the rule that lets traffic in, when the firewall is open', async () => {
        const results = await run(c.id, [...c.failing, ...FIREWALLS.open])
        const failures = results.filter((r) => r.status === 'fail')
        expect(failures.length).toBeGreaterThan(0)
        for (const r of failures) {
          expect(r.message).toMatch(c.message)
          expect(r.message).toContain(`; the pve-firewall firewall lets any host reach port ${c.port}`)
          expect(r.evidence).toContain('/etc/pve/firewall/cluster.fw:3 policy_in: ACCEPT')
        }
      })
    })
  }
})

describe('PCP-ACCESS-006 judges each rule with the networks the firewall lets in', () => {
  it('a rule for hosts the firewall keeps out passes; one for hosts it lets in stays, at low severity', async () => {
    const results = await run('PCP-ACCESS-006', [
      options('-A\n'),
      {
        path: '/etc/pcp/pmcd/pmcd.conf',
        content:
          'pmcd 2 dso pmcd_init /var/lib/pcp/pmdas/pmcd/pmda_pmcd.so\n[access]\ndisallow ".*" : all;\ndisallow ":*" : all;\nallow 10.1.2.* : fetch;\nallow 192.168.5.* : fetch;\nallow "local:*" : all;\n',
      },
      ...FIREWALLS['partly open'],
    ])
    const byLine = new Map(results.map((r) => [r.line, r]))
    expect(byLine.get(5)).toMatchObject({status: 'fail', severity: 'low'})
    expect(byLine.get(6)).toMatchObject({status: 'pass'})
    expect(byLine.get(6)?.message).toMatch(
      /but the pve-firewall firewall lets only 10\.1\.2\.0\/24 reach port 44321, none of 192\.168\.5\.0\/24$/,
    )
  })
})
