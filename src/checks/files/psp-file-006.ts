import {proxyStateCheck} from './proxy-state-check.js'
import {ROTATION_JOURNAL} from './proxy-state.js'

export const check = proxyStateCheck(
  {
    id: 'PSP-FILE-006',
    title: 'No staged private key is left in ssh.d/next outside a rotation',
    severity: 'high',
    profiles: ['pulse-proxy'],
    tags: ['files', 'ssh', 'secrets', 'rotation'],
    rationale:
      'A rotation generates the new key in ssh.d/next, pushes it to every node, then moves it to ssh/. While it ' +
      `runs, pcp-harden rotate-keys keeps ${ROTATION_JOURNAL}. A key in next/ with no journal is what a rotation ` +
      'that stopped half-way leaves: it may be trusted by some nodes already, nobody uses or rotates it, and the ' +
      'next rotation may overwrite or reuse it.',
    remediation:
      'Finish or roll back the rotation (pcp-harden rotate-keys); otherwise remove ssh.d/next/* and the lines of ' +
      "its public key from every node's authorized_keys.",
    reference:
      'Pulse, "Pulse Temperature Proxy - Security Hardening Guide", Key Rotation and Suspected Compromise Checklist',
    example: {
      fail: '/var/lib/pulse-sensor-proxy/ssh.d/next/id_ed25519 and no ssh.d/rotation.json',
      pass: 'ssh.d/next/ empty, or a rotation in progress (ssh.d/rotation.json)',
    },
  },
  (a) =>
    a.rotating
      ? 'a rotation is in progress: its staged key belongs to it'
      : 'no staged key outside a rotation',
  '/var/lib/pulse-sensor-proxy/ssh.d/next',
)
