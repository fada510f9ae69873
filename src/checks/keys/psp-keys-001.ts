import {keysCheck} from './check.js'

export const check = keysCheck(
  {
    id: 'PSP-KEYS-001',
    title: "The proxy's key on a node is limited to the proxy's addresses (from=)",
    severity: 'high',
    profiles: ['pulse-proxy', 'proxmox-host'],
    tags: ['ssh', 'authorized_keys', 'pulse-proxy'],
    rationale:
      "Without from= (or with a pattern that matches every address: *, 0.0.0.0/0, ::/0), the proxy's private key logs in as root on every node from anywhere: a copy of the key is enough. The installer's form of the line had no from=; the Pulse proxy hardening guide requires it. Lines are recognised as the proxy's by the comment pulse-sensor-proxy, the installer's marker # pulse-managed-key, or by matching the proxy's public keys.",
    remediation:
      'Add from="<the proxy hosts\' addresses or subnets>" (allowed_source_subnets in /etc/pulse-sensor-proxy/config.yaml) to the line, or re-push the key with the proxy\'s ensure_cluster_keys after setting the subnets.',
    reference: 'Pulse, "Pulse Temperature Proxy - Security Hardening Guide", "SSH Key Restrictions"',
    example: {
      fail: 'command="sensors -j",no-port-forwarding,no-X11-forwarding,no-agent-forwarding,no-pty ssh-ed25519 AAAAC3Nz...id pulse-sensor-proxy',
      pass: 'from="192.168.0.0/24",command="sensors -j",no-port-forwarding,no-X11-forwarding,no-agent-forwarding,no-pty ssh-ed25519 AAAAC3Nz...id pulse-sensor-proxy',
    },
  },
  "every line of the proxy's key sshd can use has a from= restriction",
)
