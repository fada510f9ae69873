import {keysCheck} from './check.js'

export const check = keysCheck(
  {
    id: 'PSP-KEYS-003',
    title: "The proxy's key on a node cannot forward ports, X11 or the agent, nor get a pty",
    severity: 'medium',
    profiles: ['pulse-proxy', 'proxmox-host'],
    tags: ['ssh', 'authorized_keys', 'pulse-proxy'],
    rationale:
      "A forced command does not stop forwarding: with the proxy's key, ssh -N -L reaches any service the node can reach, and agent or X11 forwarding and a pty widen what a stolen key can do. no-port-forwarding, no-X11-forwarding, no-agent-forwarding and no-pty (or restrict, without re-enabling any of them later on the line) close these.",
    remediation:
      "Add no-port-forwarding,no-X11-forwarding,no-agent-forwarding,no-pty (or restrict) to the proxy's line.",
    reference: 'Pulse, "Pulse Temperature Proxy - Security Hardening Guide", "SSH Key Restrictions"',
    example: {
      fail: 'from="192.168.0.0/24",command="sensors -j" ssh-ed25519 AAAAC3Nz...id pulse-sensor-proxy',
      pass: 'from="192.168.0.0/24",command="sensors -j",restrict ssh-ed25519 AAAAC3Nz...id pulse-sensor-proxy',
    },
  },
  "every line of the proxy's key sshd can use forbids forwarding and a pty",
)
