import {proxyKeyCheck} from './check.js'

export const check = proxyKeyCheck(
  {
    id: 'PSP-KEYS-010',
    title: "The proxy's active key is ed25519",
    severity: 'medium',
    profiles: ['pulse-proxy'],
    tags: ['ssh', 'keys', 'pulse-proxy', 'rotation'],
    rationale:
      "The Pulse proxy hardening guide makes and rotates the proxy's key as Ed25519 (ssh-keygen -t ed25519): small, fast, with no weak parameter choices. An RSA, ECDSA or DSA key in /var/lib/pulse-sensor-proxy/ssh/id_ed25519.pub was put there by hand, and DSA (and RSA with SHA-1) is refused by current OpenSSH.",
    remediation:
      'Rotate to a new key: pcp-harden rotate-keys (or ssh-keygen -t ed25519 -f /var/lib/pulse-sensor-proxy/ssh/id_ed25519 and re-push it to every node).',
    reference:
      'Pulse, "Pulse Temperature Proxy - Security Hardening Guide", "Key Rotation" (Generates new Ed25519 keypair)',
    example: {
      fail: 'ssh-rsa AAAAB3NzaC1yc2E... pulse-sensor-proxy',
      pass: 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5... pulse-sensor-proxy',
    },
  },
  (a) => `the proxy's key is ${a.type}`,
)
