import {proxyKeyCheck} from './check.js'

export const check = proxyKeyCheck(
  {
    id: 'PSP-KEYS-012',
    title: "The proxy's active key is younger than 180 days",
    severity: 'critical',
    profiles: ['pulse-proxy'],
    tags: ['ssh', 'keys', 'pulse-proxy', 'rotation'],
    rationale:
      "The Pulse proxy hardening guide's minimum is a rotation every 180 days: an older key has had twice the recommended time to be copied, and every node still accepts it. The key's age is its file's mtime.",
    remediation: 'Rotate the key now: pcp-harden rotate-keys, then check that every node has the new key.',
    reference:
      'Pulse, "Pulse Temperature Proxy - Security Hardening Guide", "Key Rotation" (Minimum: Every 180 days)',
    example: {fail: 'id_ed25519.pub modified 200 days ago', pass: 'id_ed25519.pub modified 30 days ago'},
  },
  (a) => `the proxy's key is ${a.ageDays} days old, within the 180-day limit`,
)
