import type {TreeEntry} from '../../src/host/tree.js'

type Change = Partial<TreeEntry> & {path: string}

const wants = (unit: string): Change => ({
  path: `/etc/systemd/system/multi-user.target.wants/${unit}`,
  content: '',
})

/** /etc/nftables.conf in the shape of Debian's template, with these rules in the input chain. */
export function nftConf(
  rules: string,
  head = 'type filter hook input priority filter; policy drop;',
): string {
  return `#!/usr/sbin/nft -f

flush ruleset

define monitoring = 10.1.2.0/24

table inet filter {
\tchain input {
\t\t${head}
\t\tiifname "lo" accept
\t\tct state established,related accept
${rules
  .split('\n')
  .map((l) => `\t\t${l}`)
  .join('\n')}
\t}
}
`
}

/** rules.v4 as iptables-save writes it, with these rules in INPUT (policy DROP). */
export function rulesV4(rules: string, tail = ''): string {
  return `*filter
:INPUT DROP [0:0]
:FORWARD ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
-A INPUT -i lo -j ACCEPT
-A INPUT -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
${rules}
COMMIT
${tail}`
}

export const NFT = (conf: string): Change[] => [
  wants('nftables.service'),
  {path: '/etc/nftables.conf', content: conf},
]

export const IPTABLES = (v4: string): Change[] => [
  wants('netfilter-persistent.service'),
  {path: '/etc/iptables/rules.v4', content: v4},
]

export const PVE = (cluster: string): Change[] => [
  wants('pve-firewall.service'),
  {path: '/etc/hostname', content: 'pve1\n'},
  {path: '/etc/pve/firewall/cluster.fw', content: cluster},
]

/** Ways to break a host's firewall files: a name, the changes, the checks that fail. */
export const NET_BREAKS: [string, Change[], string[]][] = [
  [
    'an nftables rule naming a variable that is not defined',
    NFT(nftConf('tcp dport 44321 ip saddr $monitors accept')),
    ['PCP-NET-001'],
  ],
  [
    'rules.v4 with a rule for a chain it does not declare',
    IPTABLES(rulesV4('-A PCP -p tcp --dport 44321 -j ACCEPT')),
    ['PCP-NET-001'],
  ],
  [
    'cluster.fw with a DROP rule pve-firewall cannot parse',
    PVE(
      '[OPTIONS]\nenable: 1\npolicy_in: ACCEPT\n\n[RULES]\nIN DROP -p tcp -dport 44321 -source 10.0.0.0/33\n',
    ),
    ['PCP-NET-001'],
  ],
]
