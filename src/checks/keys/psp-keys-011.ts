import {proxyKeyCheck} from './check.js'

export const check = proxyKeyCheck(
  {
    id: 'PSP-KEYS-011',
    title: "The proxy's active key is younger than 90 days",
    severity: 'medium',
    profiles: ['pulse-proxy'],
    tags: ['ssh', 'keys', 'pulse-proxy', 'rotation'],
    rationale:
      "The Pulse proxy hardening guide recommends rotating the proxy's key every 90 days. The key's age is its file's mtime (rotation writes a new file). A key past 90 days raises WARNING; past 180 days PSP-KEYS-012 raises CRITICAL as well.",
    remediation:
      'Rotate the key: pcp-harden rotate-keys (the quarterly timer of pcp-harden unit write runs it).',
    reference:
      'Pulse, "Pulse Temperature Proxy - Security Hardening Guide", "Key Rotation" (Recommended: Every 90 days)',
    example: {fail: 'id_ed25519.pub modified 120 days ago', pass: 'id_ed25519.pub modified 30 days ago'},
  },
  (a) => `the proxy's key is ${a.ageDays} days old, within the 90 days of the guide`,
)
