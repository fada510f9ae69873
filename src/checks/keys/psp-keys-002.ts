import {keysCheck} from './check.js'

export const check = keysCheck(
  {
    id: 'PSP-KEYS-002',
    title: "The proxy's key on a node runs only a forced command",
    severity: 'critical',
    profiles: ['pulse-proxy', 'proxmox-host'],
    tags: ['ssh', 'authorized_keys', 'pulse-proxy'],
    rationale:
      'The proxy only needs the output of sensors -j. Without command=, its key opens a root shell on the node (sshd runs whatever the client asks for), so whoever reads the key on the proxy host owns every node of the cluster.',
    remediation:
      'Put command="sensors -j" (or the installer\'s wrapper) first in the options of the proxy\'s line.',
    reference: 'Pulse, "Pulse Temperature Proxy - Security Hardening Guide", "SSH Key Restrictions"',
    example: {
      fail: 'from="192.168.0.0/24",no-port-forwarding,no-X11-forwarding,no-agent-forwarding,no-pty ssh-ed25519 AAAAC3Nz...id pulse-sensor-proxy',
      pass: 'from="192.168.0.0/24",command="sensors -j",no-port-forwarding,no-X11-forwarding,no-agent-forwarding,no-pty ssh-ed25519 AAAAC3Nz...id pulse-sensor-proxy',
    },
  },
  "every line of the proxy's key sshd can use has a forced command",
)
