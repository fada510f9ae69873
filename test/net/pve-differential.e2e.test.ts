import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {Host} from '../../src/host/host.js'
import {MemoryBackend} from '../../src/host/tree.js'
import {evaluate} from '../../src/net/firewall.js'
import {parseAddress} from '../../src/net/ip.js'
import {readFirewall} from '../../src/net/read-firewall.js'
import {createLab, LAB_PORTS, LAB_SOURCES, type Lab} from '../helpers/fw-lab.js'

/**
 * pve-firewall cannot run here (it needs a Proxmox cluster file system), so each case pairs a
 * cluster.fw and host.fw with the iptables rules and IP sets pve-firewall generates for them,
 * written out by hand from its source (proxmox/pve-firewall, src/PVE/Firewall.pm:
 * compile_iptables_filter, enable_host_firewall, generate_group_rules, ipt_rule_to_cmds,
 * $pve_std_chains_conf, generate_ipset_chains). Those rules run in the kernel of a network
 * namespace; our reader of the .fw files must give the verdict the kernel gives. `IFACE` is the
 * lab's interface, `v` the family (4 or 6).
 */
interface Case {
  name: string
  cluster: string
  host?: string
  /** The rules pve-firewall puts in PVEFW-HOST-IN between the built-in head and the management rules. */
  rules: Record<4 | 6, string[]>
  /** Chains of security groups, whole. */
  groups?: Record<4 | 6, string[]>
  /** `ipset restore` lines (create and add) for the IP sets, both families. */
  ipsets: string[]
  policy: 'DROP' | 'REJECT' | 'ACCEPT'
  /** No lab port is let in. */
  closed?: true
  /** rules.v4 and rules.v6 (netfilter-persistent): INPUT rules that come before pve-firewall's hook. */
  persistent?: Record<4 | 6, string[]>
  /** host.fw enable: 0: PVEFW-INPUT stays empty. */
  hostOff?: boolean
}

const MARK_ON = '0x80000000/0x80000000'

const STD: Record<4 | 6, string[]> = {
  4: [
    `-A PVEFW-SET-ACCEPT-MARK -j MARK --set-xmark ${MARK_ON}`,
    '-A PVEFW-DropBroadcast -m addrtype --dst-type BROADCAST -j DROP',
    '-A PVEFW-DropBroadcast -m addrtype --dst-type MULTICAST -j DROP',
    '-A PVEFW-DropBroadcast -m addrtype --dst-type ANYCAST -j DROP',
    '-A PVEFW-DropBroadcast -d 224.0.0.0/4 -j DROP',
    '-A PVEFW-reject -m addrtype --dst-type BROADCAST -j DROP',
    '-A PVEFW-reject -s 224.0.0.0/4 -j DROP',
    '-A PVEFW-reject -p icmp -j DROP',
    '-A PVEFW-reject -p tcp -j REJECT --reject-with tcp-reset',
    '-A PVEFW-reject -p udp -j REJECT --reject-with icmp-port-unreachable',
    '-A PVEFW-reject -p icmp -j REJECT --reject-with icmp-host-unreachable',
    '-A PVEFW-reject -j REJECT --reject-with icmp-host-prohibited',
    '-A PVEFW-Drop -j PVEFW-DropBroadcast',
    '-A PVEFW-Drop -p icmp -m icmp --icmp-type fragmentation-needed -j ACCEPT',
    '-A PVEFW-Drop -p icmp -m icmp --icmp-type time-exceeded -j ACCEPT',
    '-A PVEFW-Drop -m conntrack --ctstate INVALID -j DROP',
    '-A PVEFW-Drop -p udp -m multiport --dports 135,445 -j DROP',
    '-A PVEFW-Drop -p udp --dport 137:139 -j DROP',
    '-A PVEFW-Drop -p udp --sport 137 --dport 1024:65535 -j DROP',
    '-A PVEFW-Drop -p tcp -m multiport --dports 135,139,445 -j DROP',
    '-A PVEFW-Drop -p udp --dport 1900 -j DROP',
    '-A PVEFW-Drop -p tcp -m tcp ! --tcp-flags FIN,SYN,RST,ACK SYN -j DROP',
    '-A PVEFW-Drop -p udp --sport 53 -j DROP',
    '-A PVEFW-Reject -j PVEFW-DropBroadcast',
    '-A PVEFW-Reject -m conntrack --ctstate INVALID -j DROP',
    '-A PVEFW-Reject -p tcp -m multiport --dports 135,139,445 -j PVEFW-reject',
    '-A PVEFW-Reject -p tcp -m tcp ! --tcp-flags FIN,SYN,RST,ACK SYN -j DROP',
    '-A PVEFW-smurfs -s 0.0.0.0/32 -j RETURN',
    '-A PVEFW-smurfs -m addrtype --src-type BROADCAST -g PVEFW-smurflog',
    '-A PVEFW-smurfs -s 224.0.0.0/4 -g PVEFW-smurflog',
    '-A PVEFW-smurflog -j DROP',
  ],
  6: [
    `-A PVEFW-SET-ACCEPT-MARK -j MARK --set-xmark ${MARK_ON}`,
    '-A PVEFW-DropBroadcast -d ff00::/8 -j DROP',
    '-A PVEFW-reject -p ipv6-icmp -j DROP',
    '-A PVEFW-reject -p tcp -j REJECT --reject-with tcp-reset',
    '-A PVEFW-reject -p udp -j REJECT --reject-with icmp6-port-unreachable',
    '-A PVEFW-reject -j REJECT --reject-with icmp6-adm-prohibited',
    '-A PVEFW-Drop -p tcp --dport 43 -j PVEFW-reject',
    '-A PVEFW-Drop -j PVEFW-DropBroadcast',
    '-A PVEFW-Drop -m conntrack --ctstate INVALID -j DROP',
    '-A PVEFW-Drop -p tcp -m multiport --dports 135,139,445 -j DROP',
    '-A PVEFW-Drop -p tcp -m tcp ! --tcp-flags FIN,SYN,RST,ACK SYN -j DROP',
    '-A PVEFW-Reject -p tcp --dport 43 -j PVEFW-reject',
    '-A PVEFW-Reject -j PVEFW-DropBroadcast',
    '-A PVEFW-Reject -m conntrack --ctstate INVALID -j DROP',
    '-A PVEFW-Reject -p tcp -m multiport --dports 135,139,445 -j PVEFW-reject',
    '-A PVEFW-Reject -p tcp -m tcp ! --tcp-flags FIN,SYN,RST,ACK SYN -j DROP',
  ],
}

const STD_CHAINS: Record<4 | 6, string[]> = {
  4: [
    'PVEFW-SET-ACCEPT-MARK',
    'PVEFW-DropBroadcast',
    'PVEFW-reject',
    'PVEFW-Drop',
    'PVEFW-Reject',
    'PVEFW-smurfs',
    'PVEFW-smurflog',
  ],
  6: ['PVEFW-SET-ACCEPT-MARK', 'PVEFW-DropBroadcast', 'PVEFW-reject', 'PVEFW-Drop', 'PVEFW-Reject'],
}

/** The filter table pve-firewall loads for one family (iptables-restore input). */
function generated(c: Case, family: 4 | 6, iface: string): string {
  const groups = (c.groups?.[family] ?? []).map((l) => l.replaceAll('IFACE', iface))
  const groupChains = [...new Set(groups.map((l) => l.split(' ')[1] as string))]
  const head = [
    '-A PVEFW-HOST-IN -i lo -j ACCEPT',
    '-A PVEFW-HOST-IN -m conntrack --ctstate INVALID -j DROP',
    '-A PVEFW-HOST-IN -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT',
    ...(family === 6
      ? [
          'router-solicitation',
          'router-advertisement',
          'neighbor-solicitation',
          'neighbor-advertisement',
        ].map((t) => `-A PVEFW-HOST-IN -p ipv6-icmp -m icmp6 --icmpv6-type ${t} -j RETURN`)
      : []),
    ...(c.ipsets.some((l) => l.startsWith(`create PVEFW-0-blacklist-v${family}`))
      ? [`-A PVEFW-HOST-IN -m set --match-set PVEFW-0-blacklist-v${family} src -j PVEFW-blacklist`]
      : []),
    ...(family === 4 ? ['-A PVEFW-HOST-IN -m conntrack --ctstate INVALID,NEW -j PVEFW-smurfs'] : []),
    '-A PVEFW-HOST-IN -p igmp -j RETURN',
  ]
  const management = ['8006', '5900:5999', '3128', '22', '60000:60050'].map(
    (p) =>
      `-A PVEFW-HOST-IN -m set --match-set PVEFW-0-management-v${family} src -p tcp --dport ${p} -j RETURN`,
  )
  const policy =
    c.policy === 'ACCEPT'
      ? ['-A PVEFW-HOST-IN -j RETURN']
      : c.policy === 'DROP'
        ? ['-A PVEFW-HOST-IN -j PVEFW-Drop', '-A PVEFW-HOST-IN -j DROP']
        : ['-A PVEFW-HOST-IN -j PVEFW-Reject', '-A PVEFW-HOST-IN -g PVEFW-reject']
  const chains = c.hostOff
    ? ['PVEFW-INPUT']
    : ['PVEFW-INPUT', 'PVEFW-HOST-IN', 'PVEFW-blacklist', ...STD_CHAINS[family], ...groupChains]
  return [
    '*filter',
    ':INPUT ACCEPT [0:0]',
    ...chains.map((name) => `:${name} - [0:0]`),
    ...(c.persistent?.[family] ?? []),
    '-A INPUT -j PVEFW-INPUT',
    ...(c.hostOff
      ? []
      : [
          '-A PVEFW-blacklist -j DROP',
          ...STD[family],
          ...groups,
          ...head,
          ...c.rules[family].map((l) => l.replaceAll('IFACE', iface)),
          ...management,
          ...policy,
          '-A PVEFW-INPUT -j PVEFW-HOST-IN',
        ]),
    'COMMIT',
    '',
  ].join('\n')
}

const EMPTY_MANAGEMENT = [
  'create PVEFW-0-management-v4 hash:net family inet hashsize 64 maxelem 64 bucketsize 12',
  'create PVEFW-0-management-v6 hash:net family inet6 hashsize 64 maxelem 64 bucketsize 12',
]

const CASES: Case[] = [
  {
    name: 'partly open: a group on the lab interface, an IP set with exclusions, REJECT, a disabled rule, host rules first',
    cluster: `[OPTIONS]

enable: 1
policy_in: DROP

[ALIASES]

monitoring 10.1.2.0/24
grafana 192.168.1.10
local_network 172.31.0.0/16

[IPSET pcp-clients] # who may use pmproxy

10.0.0.0/8
! 10.1.0.0/16
10.1.2.0/24
dc/grafana
fd00::/16
! fd00:1::/32

[RULES]

GROUP pcp -i IFACE
IN ACCEPT -source +pcp-clients -p tcp -dport 44322:44323
|IN ACCEPT -p tcp -dport 9127
IN REJECT -source 172.16.0.0/12 -p tcp -dport 8443
IN ACCEPT -p tcp -dport 8443,9191

[group pcp] # the collectors

IN ACCEPT -source 2001:db8::/32 -p tcp -dport 44321
IN ACCEPT -source monitoring -p tcp -dport 44321 -log nolog
IN DROP -p tcp -dport 44321
`,
    host: `[OPTIONS]

tcp_flags_log_level: nolog

[RULES]

IN DROP -source 203.0.113.0/24 -p tcp -dport 8443
IN SSH(ACCEPT) -source 10.200.0.0/16
`,
    groups: {
      4: [
        '-A GROUP-pcp-IN -j MARK --set-xmark 0x0/0x80000000',
        '-A GROUP-pcp-IN -s 10.1.2.0/24 -p tcp --dport 44321 -g PVEFW-SET-ACCEPT-MARK',
        '-A GROUP-pcp-IN -p tcp --dport 44321 -j DROP',
      ],
      6: [
        '-A GROUP-pcp-IN -j MARK --set-xmark 0x0/0x80000000',
        '-A GROUP-pcp-IN -s 2001:db8::/32 -p tcp --dport 44321 -g PVEFW-SET-ACCEPT-MARK',
        '-A GROUP-pcp-IN -p tcp --dport 44321 -j DROP',
      ],
    },
    rules: {
      4: [
        '-A PVEFW-HOST-IN -s 203.0.113.0/24 -p tcp --dport 8443 -j DROP',
        '-A PVEFW-HOST-IN -s 10.200.0.0/16 -p tcp --dport 22 -j RETURN',
        '-A PVEFW-HOST-IN -i IFACE -j GROUP-pcp-IN',
        `-A PVEFW-HOST-IN -m mark --mark ${MARK_ON} -j RETURN`,
        '-A PVEFW-HOST-IN -m set --match-set PVEFW-0-pcp-clients-v4 src -p tcp --dport 44322:44323 -j RETURN',
        '-A PVEFW-HOST-IN -s 172.16.0.0/12 -p tcp --dport 8443 -j PVEFW-reject',
        '-A PVEFW-HOST-IN -p tcp -m multiport --dports 8443,9191 -j RETURN',
      ],
      6: [
        '-A PVEFW-HOST-IN -i IFACE -j GROUP-pcp-IN',
        `-A PVEFW-HOST-IN -m mark --mark ${MARK_ON} -j RETURN`,
        '-A PVEFW-HOST-IN -m set --match-set PVEFW-0-pcp-clients-v6 src -p tcp --dport 44322:44323 -j RETURN',
        '-A PVEFW-HOST-IN -p tcp -m multiport --dports 8443,9191 -j RETURN',
      ],
    },
    ipsets: [
      'create PVEFW-0-pcp-clients-v4 hash:net family inet hashsize 64 maxelem 64 bucketsize 12',
      'add PVEFW-0-pcp-clients-v4 10.0.0.0/8',
      'add PVEFW-0-pcp-clients-v4 10.1.0.0/16 nomatch',
      'add PVEFW-0-pcp-clients-v4 10.1.2.0/24',
      'add PVEFW-0-pcp-clients-v4 192.168.1.10',
      'create PVEFW-0-pcp-clients-v6 hash:net family inet6 hashsize 64 maxelem 64 bucketsize 12',
      'add PVEFW-0-pcp-clients-v6 fd00::/16',
      'add PVEFW-0-pcp-clients-v6 fd00:1::/32 nomatch',
      ...EMPTY_MANAGEMENT,
      'add PVEFW-0-management-v4 172.31.0.0/16',
    ],
    policy: 'DROP',
  },
  {
    name: 'closed: the defaults (policy_in DROP) with only SSH and a blacklist',
    cluster: `[OPTIONS]
enable: 1

[ALIASES]
local_network 172.31.0.0/16

[IPSET blacklist]
192.168.2.0/24

[RULES]
IN SSH(ACCEPT)
`,
    rules: {
      4: ['-A PVEFW-HOST-IN -p tcp --dport 22 -j RETURN'],
      6: ['-A PVEFW-HOST-IN -p tcp --dport 22 -j RETURN'],
    },
    ipsets: [
      'create PVEFW-0-blacklist-v4 hash:net family inet hashsize 64 maxelem 64 bucketsize 12',
      'add PVEFW-0-blacklist-v4 192.168.2.0/24',
      'create PVEFW-0-blacklist-v6 hash:net family inet6 hashsize 64 maxelem 64 bucketsize 12',
      ...EMPTY_MANAGEMENT,
      'add PVEFW-0-management-v4 172.31.0.0/16',
    ],
    policy: 'DROP',
    closed: true,
  },
  {
    name: 'open: policy_in ACCEPT behind a blacklist and a host DROP for one range',
    cluster: `[OPTIONS]
enable: 1
policy_in: ACCEPT

[ALIASES]
local_network 172.31.0.0/16

[IPSET blacklist]
203.0.113.7
2001:db8:1::/48
`,
    host: `[RULES]
IN DROP -source 10.1.0.0-10.1.255.255 -p tcp -dport 44321
IN REJECT -source fd00::/16 -p tcp -dport 9127
`,
    rules: {
      4: ['-A PVEFW-HOST-IN -m iprange --src-range 10.1.0.0-10.1.255.255 -p tcp --dport 44321 -j DROP'],
      6: ['-A PVEFW-HOST-IN -s fd00::/16 -p tcp --dport 9127 -j PVEFW-reject'],
    },
    ipsets: [
      'create PVEFW-0-blacklist-v4 hash:net family inet hashsize 64 maxelem 64 bucketsize 12',
      'add PVEFW-0-blacklist-v4 203.0.113.7',
      'create PVEFW-0-blacklist-v6 hash:net family inet6 hashsize 64 maxelem 64 bucketsize 12',
      'add PVEFW-0-blacklist-v6 2001:db8:1::/48',
      ...EMPTY_MANAGEMENT,
      'add PVEFW-0-management-v4 172.31.0.0/16',
    ],
    policy: 'ACCEPT',
  },
  {
    name: 'REJECT policy with the management IP set named in a rule',
    cluster: `[OPTIONS]
enable: 1
policy_in: REJECT

[ALIASES]
local_network 10.0.0.0/16

[IPSET management]
192.168.1.0/24
fd00::/16

[RULES]
IN ACCEPT -source +management -p tcp -dport 44321
IN ACCEPT -source 10.0.0.0/8 -p 6 -dport 9191
`,
    rules: {
      4: [
        '-A PVEFW-HOST-IN -m set --match-set PVEFW-0-management-v4 src -p tcp --dport 44321 -j RETURN',
        '-A PVEFW-HOST-IN -s 10.0.0.0/8 -p 6 --dport 9191 -j RETURN',
      ],
      6: ['-A PVEFW-HOST-IN -m set --match-set PVEFW-0-management-v6 src -p tcp --dport 44321 -j RETURN'],
    },
    ipsets: [
      ...EMPTY_MANAGEMENT,
      'add PVEFW-0-management-v4 192.168.1.0/24',
      'add PVEFW-0-management-v4 10.0.0.0/16',
      'add PVEFW-0-management-v6 fd00::/16',
    ],
    policy: 'REJECT',
  },
  {
    name: 'with rules.v4 and rules.v6: their INPUT rules decide first, pve-firewall gets what falls through',
    cluster: `[OPTIONS]
enable: 1

[ALIASES]
local_network 172.31.0.0/16

[RULES]
IN ACCEPT -p tcp -dport 9127
`,
    persistent: {
      4: [
        '-A INPUT -s 10.0.0.0/8 -p tcp --dport 9127 -j DROP',
        '-A INPUT -s 192.168.0.0/16 -p tcp --dport 44321 -j ACCEPT',
      ],
      6: ['-A INPUT -s fd00::/16 -p tcp --dport 44321 -j ACCEPT'],
    },
    rules: {
      4: ['-A PVEFW-HOST-IN -p tcp --dport 9127 -j RETURN'],
      6: ['-A PVEFW-HOST-IN -p tcp --dport 9127 -j RETURN'],
    },
    ipsets: [...EMPTY_MANAGEMENT, 'add PVEFW-0-management-v4 172.31.0.0/16'],
    policy: 'DROP',
  },
  {
    name: "host.fw enable: 0: the node's input is not filtered",
    cluster: '[OPTIONS]\nenable: 1\n[RULES]\nIN DROP -p tcp -dport 44321\n',
    host: '[OPTIONS]\nenable: 0\n',
    rules: {4: [], 6: []},
    ipsets: [],
    policy: 'DROP',
    hostOff: true,
  },
]

async function readCase(c: Case, iface: string) {
  const files = [
    {path: '/etc/hostname', content: 'pve1\n'},
    {path: '/etc/systemd/system/multi-user.target.wants/pve-firewall.service', content: ''},
    {path: '/etc/pve/firewall/cluster.fw', content: c.cluster.replaceAll('IFACE', iface)},
    ...(c.host === undefined ? [] : [{path: '/etc/pve/nodes/pve1/host.fw', content: c.host}]),
    ...(c.persistent
      ? [
          {path: '/etc/systemd/system/multi-user.target.wants/netfilter-persistent.service', content: ''},
          ...([4, 6] as const).map((family) => ({
            path: `/etc/iptables/rules.v${family}`,
            content: ['*filter', ':INPUT ACCEPT [0:0]', ...c.persistent![family], 'COMMIT', ''].join('\n'),
          })),
        ]
      : []),
  ]
  const entries = files.map((f) => ({...f, type: 'file' as const, mode: 0o640, owner: 'root', group: 'root'}))
  return readFirewall(new Host(new MemoryBackend({entries}, 'pve-lab')))
}

describe('our Proxmox VE firewall verdicts match the iptables rules pve-firewall generates', () => {
  let lab: Lab | undefined
  beforeAll(async () => {
    lab = await createLab()
  }, 60_000)
  afterAll(async () => {
    if (!lab) return
    await lab.inServer(['ipset', 'destroy'], '').catch(() => undefined)
    await lab.remove()
  }, 30_000)

  for (const c of CASES) {
    it(
      c.name,
      async () => {
        const l = lab as Lab
        await l.inServer(['nft', '-f', '-'], `flush ruleset\n${l.observer}`)
        await l.inServer(['ipset', 'destroy'])
        await l.inServer(['ipset', 'restore'], `${c.ipsets.join('\n')}\n`)
        await l.inServer(['iptables-restore'], generated(c, 4, l.serverIface))
        await l.inServer(['ip6tables-restore'], generated(c, 6, l.serverIface))
        const firewall = await readCase(c, l.serverIface)
        expect(firewall.problems).toEqual([])
        const real = await l.probe()
        const mismatches: string[] = []
        let accepted = 0
        for (const family of [4, 6] as const) {
          for (const source of LAB_SOURCES[family]) {
            for (const port of LAB_PORTS) {
              const set = firewall.sets[family]
              const verdict = set
                ? evaluate(set, {family, source: parseAddress(source)!.value, port, iface: l.serverIface})
                : {verdict: 'accept' as const}
              const ours = verdict.verdict === 'undecided' ? 'undecided' : verdict.verdict === 'accept'
              const key = `${source} ${port}`
              if (real.get(key)) accepted++
              if (ours !== real.get(key))
                mismatches.push(`${key}: real ${String(real.get(key))}, ours ${String(ours)}`)
            }
          }
        }
        expect(mismatches).toEqual([])
        // A probe that passed nothing (or everything) where the case lets some in would hide a broken lab.
        expect(accepted > 0).toBe(!c.closed)
      },
      60_000,
    )
  }
})
