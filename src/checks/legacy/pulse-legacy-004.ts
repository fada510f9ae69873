import {leftoverPass, legacyCheck} from './check.js'

export const check = legacyCheck(
  {
    id: 'PULSE-LEGACY-004',
    title: 'No authorized_keys line of the removed proxy',
    severity: 'high',
    profiles: ['pulse-proxy', 'pulse-agent', 'proxmox-host'],
    tags: ['pulse-proxy', 'ssh', 'authorized_keys', 'leftover'],
    rationale:
      "The proxy's writers marked their lines # pulse-managed-key (installer) or # pulse-proxy-key, and gave the key the comment pulse-sensor-proxy; Pulse's cleanup script removes only some of them. A line left behind lets whoever holds a copy of the key log in as root (the installer's line had no from=). Lines whose key is one of the private keys left in /var/lib/pulse-sensor-proxy count too. The # pulse-sensors lines of the SSH fallback are not the proxy's and are judged by the PULSE-SSH checks.",
    remediation:
      "Delete the proxy's lines on every node: pcp-harden decommission removes exactly them and keeps every other line byte for byte.",
    reference:
      'Pulse, scripts/uninstall-sensor-proxy.sh and SECURITY.md (rcourtman/Pulse); sshd(8) AUTHORIZED_KEYS FILE FORMAT',
    example: {
      fail: 'command="/opt/pulse/sensor-proxy/bin/pulse-sensor-proxy-wrapper",no-port-forwarding,no-X11-forwarding,no-agent-forwarding,no-pty ssh-ed25519 AAAAC3Nz... pulse-sensor-proxy # pulse-managed-key',
      pass: 'ssh-ed25519 AAAAC3Nz... admin@workstation',
    },
  },
  leftoverPass('authorized_keys lines'),
)
