import {leftoverPass, legacyCheck} from './check.js'

export const check = legacyCheck(
  {
    id: 'PULSE-LEGACY-002',
    title: 'No private key of the removed proxy whose public key still logs in',
    severity: 'high',
    profiles: ['pulse-proxy', 'pulse-agent', 'proxmox-host'],
    tags: ['pulse-proxy', 'ssh', 'leftover'],
    rationale:
      "A partial cleanup (the proxy uninstalled without --purge, or by hand) leaves /var/lib/pulse-sensor-proxy/ssh*/id_* behind. While the matching public key is still authorized on a node (root's authorized_keys, on Proxmox the cluster-wide /etc/pve/priv/authorized_keys), whoever reads or copies the private key (a backup, a snapshot of the disk) logs in as root there, and nothing uses the key any more.",
    remediation:
      "Remove the key's authorized_keys lines on every node (pcp-harden decommission does it once per distinct file), then delete the key pair.",
    reference:
      'Pulse, scripts/uninstall-sensor-proxy.sh and SECURITY.md (rcourtman/Pulse); sshd(8) AUTHORIZED_KEYS FILE FORMAT',
    example: {
      fail: '/var/lib/pulse-sensor-proxy/ssh/id_ed25519 left, its .pub still in /root/.ssh/authorized_keys',
      pass: 'no private key left under /var/lib/pulse-sensor-proxy',
    },
  },
  leftoverPass('key pairs'),
)
