import {familyCheck} from '../family.js'
import type {Check} from '../types.js'
import {analyzeFirewallFiles, CHECK_ID} from './analysis.js'

export const check: Check = familyCheck(
  {
    id: CHECK_ID,
    title: 'Every firewall line that loads at boot is one its engine accepts',
    severity: 'high',
    profiles: ['pcp-collector', 'pulse-agent', 'proxmox-host'],
    tags: ['firewall', 'network', 'pmcd', 'pmproxy', 'pulse-proxy', 'pulse-agent'],
    rationale:
      'A firewall file protects only what its engine loads. `nft -f` (nftables.service at boot) is all or nothing: ' +
      'one line nft refuses and none of /etc/nftables.conf loads, so the host boots with no nftables rules at all. ' +
      'iptables-restore (netfilter-persistent with /etc/iptables/rules.v4 and rules.v6, and ufw-init with each of ' +
      "ufw's *.rules files) commits a table block at its COMMIT and stops at the first line it refuses: that block " +
      'and the rest of the file never load. pve-firewall logs a line of cluster.fw or host.fw it cannot parse and ' +
      'skips it, keeping the rest. The exposure model counts only what the engine really loads, and the severity ' +
      'follows who can then reach pmcd, pmproxy and the Pulse ports: high when any host can, medium when some ' +
      'networks can, low when they listen on loopback only. A line this reader does not follow (a host name, a ' +
      'match it does not know) is reported as undecided, with the command that asks the engine itself.',
    remediation:
      "Run the engine's own check on the file (nft -c -f /etc/nftables.conf; iptables-restore --test < " +
      '/etc/iptables/rules.v4; pve-firewall compile), correct the line it names, then reload the firewall.',
    reference:
      'nft(8) -c/--check and -f; iptables-restore(8) --test and --noflush; ufw-framework(8); Proxmox VE admin ' +
      'guide "Proxmox VE Firewall" (pve-firewall(8) compile); netfilter-persistent(8)',
    example: {
      fail: '/etc/nftables.conf: tcp dport 44321 ip saddr $monitoring accept   (no define monitoring: nft loads nothing)',
      pass: '/etc/nftables.conf: define monitoring = 10.1.2.0/24 ... tcp dport 44321 ip saddr $monitoring accept',
    },
  },
  analyzeFirewallFiles,
  ({engines, files}) => ({
    // No firewall: the place its units would be enabled from.
    path: files[0] ?? '/etc/systemd/system/multi-user.target.wants',
    message:
      engines.length === 0
        ? 'no firewall loads at boot: there is no file an engine could refuse'
        : `every line of the firewall files is one its engine takes (${engines.map((e) => e.engine).join(', ')})`,
  }),
)
