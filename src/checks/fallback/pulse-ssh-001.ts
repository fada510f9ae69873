import {familyCheck} from '../family.js'
import {analyzeFallback} from './analysis.js'

export const check = familyCheck(
  {
    id: 'PULSE-SSH-001',
    title: "The Pulse sensors key (SSH fallback) is limited to the Pulse server's address (from=)",
    severity: 'medium',
    profiles: ['proxmox-host', 'pulse-agent', 'pulse-proxy'],
    tags: ['ssh', 'authorized_keys', 'pulse-sensors'],
    rationale:
      "Without an agent, Pulse reads temperatures over SSH: the node setup script the Pulse server generates adds to root's authorized_keys (on Proxmox the cluster-wide /etc/pve/priv/authorized_keys, so every node) a line with a forced command and no forwarding, marked # pulse-sensors, but with no from=. Whoever gets a copy of the Pulse server's private key can then run that command as root from anywhere. The forced command limits what they run, which is why this is medium; Pulse's own SECURITY.md asks for from=.",
    remediation: 'Prefix the line with from="<the Pulse server\'s address>".',
    reference:
      'Pulse SECURITY.md and docs/TEMPERATURE_MONITORING.md (rcourtman/Pulse); sshd(8) AUTHORIZED_KEYS FILE FORMAT',
    example: {
      fail: 'command="/usr/local/sbin/pulse-sensors",no-port-forwarding,no-X11-forwarding,no-agent-forwarding,no-pty ssh-ed25519 AAAAC3Nz... # pulse-sensors',
      pass: 'from="192.168.0.10",command="/usr/local/sbin/pulse-sensors",no-port-forwarding,no-X11-forwarding,no-agent-forwarding,no-pty ssh-ed25519 AAAAC3Nz... # pulse-sensors',
    },
  },
  analyzeFallback,
  (analysis) => ({
    path: analysis.files[0] as string,
    message: `every # pulse-sensors line has a from= restriction (${analysis.lines.join(', ')})`,
  }),
)
