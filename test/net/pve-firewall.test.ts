import fc from 'fast-check'
import {describe, expect, it} from 'vitest'

import {Host} from '../../src/host/host.js'
import {MemoryBackend} from '../../src/host/tree.js'
import {evaluate} from '../../src/net/firewall.js'
import {analyzeExposure} from '../../src/net/exposure.js'
import {parseAddress} from '../../src/net/ip.js'
import {parsePveFirewall, pveEnabled, pveRuleSet} from '../../src/net/pve-firewall.js'
import {fuzzTexts} from '../parsers/mutate.js'
import {seedTreeWith} from '../checks/seed-tree.js'

const CLUSTER = '/etc/pve/firewall/cluster.fw'
const HOST = '/etc/pve/nodes/pve1/host.fw'

/** A cluster.fw as the GUI writes it: sections, aliases, IP sets with an exclusion, a group. */
const CLUSTER_FW = `[OPTIONS]

enable: 1
policy_in: DROP

[ALIASES]

monitoring 10.1.2.0/24
grafana 192.168.7.10

[IPSET pcp-clients] # who may fetch metrics

10.20.0.0/16
! 10.20.99.0/24
dc/grafana

[RULES]

GROUP pcp -i vmbr0
IN SSH(ACCEPT) -source monitoring
|IN ACCEPT -p tcp -dport 44321
IN ACCEPT -source +pcp-clients -p tcp -dport 44322:44323

[group pcp] # the PCP collectors

IN ACCEPT -source monitoring -p tcp -dport 44321 -log nolog
IN DROP -p tcp -dport 44321
`

const packet = (source: string, port: number, family: 4 | 6 = 4) => ({
  family,
  source: parseAddress(source)!.value,
  port,
})

describe('Proxmox VE firewall files', () => {
  it('reads options, aliases, IP sets, groups and rules with their lines', () => {
    const parsed = parsePveFirewall(CLUSTER_FW, CLUSTER, 'cluster')
    expect(parsed.problems).toEqual([])
    expect(parsed.options.get('policy_in')).toEqual({value: 'DROP', line: 4})
    expect([...parsed.aliases.keys()]).toEqual(['monitoring', 'grafana'])
    expect(parsed.ipsets.get('pcp-clients')?.entries).toEqual([
      {line: 13, nomatch: false, cidr: '10.20.0.0/16'},
      {line: 14, nomatch: true, cidr: '10.20.99.0/24'},
      {line: 15, nomatch: false, cidr: 'dc/grafana'},
    ])
    expect(parsed.rules.map((r) => [r.line, r.type, r.action, r.macro, r.enabled])).toEqual([
      [19, 'group', 'pcp', undefined, true],
      [20, 'in', 'ACCEPT', 'SSH', true],
      [21, 'in', 'ACCEPT', undefined, false],
      [22, 'in', 'ACCEPT', undefined, true],
    ])
    expect(parsed.groups.get('pcp')?.rules.map((r) => r.line)).toEqual([26, 27])
  })

  it('names the line of every line pve-firewall refuses or skips', () => {
    const parsed = parsePveFirewall(
      'enable: 1\n[OPTIONS]\nenable: yes\npolicy_in: MAYBE\n[RULES]\nIN ACCEPT -p tcp -dport 44321 -frob 1\nIN\n[IPSET 1bad]\n',
      CLUSTER,
      'cluster',
    )
    expect(parsed.problems.map((p) => [p.line, p.message])).toEqual([
      [1, 'not in a section: pve-firewall skips the line'],
      [3, "can't parse option 'enable: yes'"],
      [4, "can't parse option 'policy_in: MAYBE'"],
      [6, 'unable to parse rule parameters: -frob 1'],
      [7, 'unable to parse rule: IN'],
      [8, "invalid ipset name '1bad'"],
    ])
  })

  it('policy_in belongs to cluster.fw: host.fw refuses it', () => {
    const parsed = parsePveFirewall('[OPTIONS]\npolicy_in: ACCEPT\nenable: 1\n', HOST, 'host')
    expect(parsed.problems).toEqual([
      {file: HOST, line: 2, message: "can't parse option 'policy_in: ACCEPT'", refused: 'line'},
    ])
  })

  it('is off unless cluster.fw says enable: 1 (a rollback timestamp is off too)', () => {
    expect(pveEnabled(parsePveFirewall('[OPTIONS]\npolicy_in: DROP\n', CLUSTER, 'cluster')).enabled).toBe(
      false,
    )
    expect(pveEnabled(parsePveFirewall('[OPTIONS]\nenable: 1\n', CLUSTER, 'cluster')).enabled).toBe(true)
    expect(pveEnabled(parsePveFirewall('[OPTIONS]\nenable: 1733600000\n', CLUSTER, 'cluster')).enabled).toBe(
      false,
    )
  })

  it('decides as the generated chain does: groups, macros, disabled rules, IP sets with exclusions', () => {
    const cluster = parsePveFirewall(CLUSTER_FW, CLUSTER, 'cluster')
    const {set, problems} = pveRuleSet(cluster, undefined, 4)
    expect(problems).toEqual([])
    // The group runs only for vmbr0; on another interface its rules do not apply.
    expect(evaluate(set, {...packet('10.1.2.7', 44321), iface: 'vmbr0'})).toMatchObject({
      verdict: 'accept',
      rule: {line: 26},
    })
    expect(evaluate(set, {...packet('10.9.9.9', 44321), iface: 'vmbr0'})).toMatchObject({
      verdict: 'drop',
      rule: {line: 27},
    })
    // The disabled `|IN ACCEPT` line is not there: policy_in DROP decides.
    expect(evaluate(set, {...packet('10.9.9.9', 44321), iface: 'eth1'})).toMatchObject({
      verdict: 'drop',
      rule: {text: 'policy_in: DROP', line: 4},
    })
    expect(evaluate(set, {...packet('10.1.2.7', 22), iface: 'eth1'})).toMatchObject({
      verdict: 'accept',
      rule: {line: 20},
    })
    expect(evaluate(set, {...packet('10.20.5.5', 44322), iface: 'eth1'}).verdict).toBe('accept')
    expect(evaluate(set, {...packet('10.20.99.5', 44322), iface: 'eth1'}).verdict).toBe('drop')
    expect(evaluate(set, {...packet('192.168.7.10', 44323), iface: 'eth1'}).verdict).toBe('accept')
  })

  it('host rules come before the cluster rules; a host.fw without rules leaves the cluster to decide', () => {
    const cluster = parsePveFirewall(
      '[OPTIONS]\nenable: 1\n[RULES]\nIN ACCEPT -p tcp -dport 44321\n',
      CLUSTER,
      'cluster',
    )
    const host = parsePveFirewall('[RULES]\nIN DROP -p tcp -dport 44321 -source 10.6.6.0/24\n', HOST, 'host')
    const {set} = pveRuleSet(cluster, host, 4)
    expect(evaluate(set, packet('10.6.6.6', 44321))).toMatchObject({verdict: 'drop', rule: {file: HOST}})
    expect(evaluate(set, packet('10.7.7.7', 44321))).toMatchObject({verdict: 'accept', rule: {file: CLUSTER}})
    // An IPv4 source pins the rule to IPv4: an IPv6 client meets the cluster's rule.
    expect(evaluate(pveRuleSet(cluster, host, 6).set, packet('2001:db8::1', 44321, 6)).verdict).toBe('accept')
  })

  it('a rule pve-firewall refuses is skipped, and said so', () => {
    const cluster = parsePveFirewall(
      '[OPTIONS]\nenable: 1\npolicy_in: ACCEPT\n[RULES]\nIN DROP -dport 44321\nIN DROP -source nosuch -p tcp\nIN DROP -source 10.0.0.5/24 -p tcp\nIN SSH(DROP) -p udp\nIN Nonsense(DROP)\n',
      CLUSTER,
      'cluster',
    )
    const {set, problems} = pveRuleSet(cluster, undefined, 4)
    expect(problems.map((p) => p.line)).toEqual([5, 6, 7, 8, 9])
    expect(problems[0]?.message).toBe(
      "missing property - 'dport' requires 'proto': pve-firewall skips the rule",
    )
    expect(evaluate(set, packet('10.0.0.5', 44321))).toMatchObject({
      verdict: 'accept',
      rule: {text: 'policy_in: ACCEPT'},
    })
  })

  it('GROUP names the group as written: [group] names are lower case, so GROUP PCP matches nothing', () => {
    const cluster = parsePveFirewall(
      '[OPTIONS]\nenable: 1\npolicy_in: ACCEPT\n[RULES]\nGROUP PCP\n[group pcp]\nIN DROP -p tcp -dport 44321\n',
      CLUSTER,
      'cluster',
    )
    const {set, problems} = pveRuleSet(cluster, undefined, 4)
    expect(problems).toEqual([
      {
        file: CLUSTER,
        line: 5,
        message: "no such security group 'PCP': the group matches nothing",
        refused: 'line',
      },
    ])
    expect(evaluate(set, packet('10.0.0.5', 44321)).verdict).toBe('accept')
  })

  it('undecided, not guessed: the management set without local_network, -dest, -sport, SDN sets', () => {
    const cluster = parsePveFirewall(
      '[OPTIONS]\nenable: 1\n[RULES]\nIN ACCEPT -source +management -p tcp -dport 44321\nIN ACCEPT -dest 10.0.0.1 -p tcp -dport 44322\nIN ACCEPT -p tcp -sport 1024:65535 -dport 44323\n',
      CLUSTER,
      'cluster',
    )
    const {set} = pveRuleSet(cluster, undefined, 4)
    for (const port of [44321, 44322, 44323])
      expect(evaluate(set, packet('10.5.5.5', port)).verdict).toBe('undecided')
    const withLocal = parsePveFirewall(
      '[OPTIONS]\nenable: 1\n[ALIASES]\nlocal_network 10.5.0.0/16\n[IPSET management]\n10.9.0.0/16\n[RULES]\nIN ACCEPT -source +management -p tcp -dport 44321\n',
      CLUSTER,
      'cluster',
    )
    const decided = pveRuleSet(withLocal, undefined, 4).set
    expect(evaluate(decided, packet('10.5.5.5', 44321)).verdict).toBe('accept')
    expect(evaluate(decided, packet('10.9.5.5', 44321)).verdict).toBe('accept')
    expect(evaluate(decided, packet('10.7.5.5', 44321)).verdict).toBe('drop')
  })

  it('never throws, and every problem has a line in the file', () => {
    fc.assert(
      fc.property(
        fuzzTexts(
          [CLUSTER_FW],
          '[OPTIONS] [RULES] [IPSET x] [group g] IN OUT GROUP ACCEPT( -p tcp -dport -source + ! | # :\n',
        ),
        (text) => {
          const parsed = parsePveFirewall(text, CLUSTER, 'cluster')
          const lines = text.split('\n').length
          const {set, problems} = pveRuleSet(parsed, parsePveFirewall(text, HOST, 'host'), 4)
          for (const p of [...parsed.problems, ...problems]) {
            expect(p.line).toBeGreaterThanOrEqual(1)
            expect(p.line).toBeLessThanOrEqual(lines)
          }
          evaluate(set, packet('10.1.2.3', 44321))
        },
      ),
      {numRuns: 300},
    )
  })
})

const PVE_UNIT = '/etc/systemd/system/multi-user.target.wants/pve-firewall.service'

/** A Proxmox node (pve1) running pmcd on every interface, with this cluster.fw and host.fw. */
async function node(cluster: string, host?: string, ...extra: Array<{path: string; content: string}>) {
  const spec = seedTreeWith(
    {path: '/etc/pcp/pmcd/pmcd.options', content: '-A\n-Q\n'},
    {path: '/etc/hostname', content: 'pve1\n'},
    {path: PVE_UNIT, content: ''},
    {path: CLUSTER, content: cluster},
    ...(host === undefined ? [] : [{path: HOST, content: host}]),
    ...extra,
  )
  const exposure = await analyzeExposure(new Host(new MemoryBackend(spec, 'pve')))
  return {exposure, pmcd: exposure.services.find((s) => s.service === 'pmcd')}
}

describe('exposure on a Proxmox VE node', () => {
  it('closed: enable: 1 with the default policy_in DROP and no rule for pmcd', async () => {
    const {exposure, pmcd} = await node('[OPTIONS]\nenable: 1\n\n[RULES]\nIN SSH(ACCEPT)\n')
    expect(exposure.firewall.engines.map((e) => e.engine)).toEqual(['pve-firewall'])
    expect(pmcd?.firewall).toBe('pve-firewall')
    expect(pmcd?.reachable.scope).toBe('loopback only')
    expect(pmcd?.rules).toEqual([
      "/etc/pve/firewall/cluster.fw:1 policy_in: DROP (pve-firewall's default: cluster.fw sets no policy_in)",
    ])
  })

  it('partly open: only the alias network reaches pmcd, the rule named', async () => {
    const {pmcd} = await node(
      '[OPTIONS]\nenable: 1\n[ALIASES]\nmonitoring 10.1.2.0/24\n[RULES]\nIN ACCEPT -source monitoring -p tcp -dport 44321\n',
    )
    expect(pmcd?.reachable).toEqual({
      op: 'connect',
      scope: 'these networks',
      networks: ['10.1.2.0/24'],
      undecided: [],
    })
    expect(pmcd?.rules[0]).toBe(
      '/etc/pve/firewall/cluster.fw:6 IN ACCEPT -source monitoring -p tcp -dport 44321',
    )
  })

  it('open: policy_in ACCEPT lets every host in', async () => {
    const {pmcd} = await node('[OPTIONS]\nenable: 1\npolicy_in: ACCEPT\n')
    expect(pmcd?.reachable.scope).toBe('anywhere')
    expect(pmcd?.rules).toContain('/etc/pve/firewall/cluster.fw:3 policy_in: ACCEPT')
  })

  it('off: cluster.fw without enable: 1 compiles nothing (the default is 0)', async () => {
    const {exposure, pmcd} = await node('[OPTIONS]\npolicy_in: DROP\n')
    expect(exposure.firewall.engines).toEqual([])
    expect(pmcd?.reachable.scope).toBe('anywhere')
  })

  it("off for this node: host.fw enable: 0 leaves the host's input unfiltered", async () => {
    const {exposure, pmcd} = await node('[OPTIONS]\nenable: 1\n', '[OPTIONS]\nenable: 0\n')
    expect(exposure.firewall.engines[0]?.why).toMatch(/enable: 0 leaves the host's input unfiltered/)
    expect(pmcd?.reachable.scope).toBe('anywhere')
  })

  it("the proxy's HTTPS mode (http_enabled, :8443 by default) and the agent's --health-addr are ports too", async () => {
    const {exposure} = await node(
      `[OPTIONS]\nenable: 1\n[RULES]\nIN ACCEPT -source 10.9.0.0/16 -p tcp -dport 8443,9191\n`,
      undefined,
      {
        path: '/etc/pulse-sensor-proxy/config.yaml',
        content:
          'allowed_source_subnets:\n  - "192.168.0.0/24"\nhttp_enabled: true\nhttp_auth_token: "x"\nhttp_tls_cert: /etc/pulse-sensor-proxy/tls.crt\nhttp_tls_key: /etc/pulse-sensor-proxy/tls.key\n',
      },
      {
        path: '/etc/systemd/system/pulse-agent.service',
        content: '[Service]\nExecStart=/usr/local/bin/pulse-agent --health-addr 0.0.0.0:9191\n',
      },
    )
    const reach = (name: string) => exposure.services.find((s) => s.service === name)
    expect(reach('pulse-sensor-proxy https')).toMatchObject({
      port: 8443,
      bind: ':8443',
      reachable: {scope: 'these networks', networks: ['10.9.0.0/16']},
    })
    expect(reach('pulse-sensor-proxy metrics')?.reachable.scope).toBe('loopback only')
    expect(reach('pulse-agent')).toMatchObject({
      port: 9191,
      reachable: {scope: 'these networks', networks: ['10.9.0.0/16']},
    })
  })

  it('with rules.v4 (policy ACCEPT): their rules decide first, pve-firewall gets what falls through', async () => {
    const {pmcd} = await node(
      '[OPTIONS]\nenable: 1\n',
      undefined,
      {path: '/etc/systemd/system/multi-user.target.wants/netfilter-persistent.service', content: ''},
      {
        path: '/etc/iptables/rules.v4',
        content:
          '*filter\n:INPUT ACCEPT [0:0]\n-A INPUT -s 10.3.0.0/16 -p tcp --dport 44321 -j ACCEPT\nCOMMIT\n',
      },
      {path: '/etc/iptables/rules.v6', content: '*filter\n:INPUT ACCEPT [0:0]\nCOMMIT\n'},
    )
    expect(pmcd?.reachable.networks).toEqual(['10.3.0.0/16'])
  })

  it('with rules.v4 whose INPUT policy is DROP: what pve-firewall accepts returns to that policy', async () => {
    const {pmcd} = await node(
      '[OPTIONS]\nenable: 1\npolicy_in: ACCEPT\n',
      undefined,
      {path: '/etc/systemd/system/multi-user.target.wants/netfilter-persistent.service', content: ''},
      {
        path: '/etc/iptables/rules.v4',
        content:
          '*filter\n:INPUT DROP [0:0]\n-A INPUT -s 10.3.0.0/16 -p tcp --dport 44321 -j ACCEPT\nCOMMIT\n',
      },
      {path: '/etc/iptables/rules.v6', content: '*filter\n:INPUT DROP [0:0]\nCOMMIT\n'},
    )
    expect(pmcd?.reachable.networks).toEqual(['10.3.0.0/16'])
  })

  it('with an nftables.conf: a table of its own, so both must accept', async () => {
    const {pmcd} = await node(
      '[OPTIONS]\nenable: 1\n[RULES]\nIN ACCEPT -p tcp -dport 44321 -source 10.0.0.0/8\n',
      undefined,
      {path: '/etc/systemd/system/sysinit.target.wants/nftables.service', content: ''},
      {
        path: '/etc/nftables.conf',
        content:
          'table inet filter {\n chain input {\n  type filter hook input priority 0; policy drop;\n  ip saddr 10.1.0.0/16 tcp dport 44321 accept\n }\n}\n',
      },
    )
    expect(pmcd?.reachable.networks).toEqual(['10.1.0.0/16'])
  })
})
