import {proxyStateCheck} from './proxy-state-check.js'

export const check = proxyStateCheck(
  {
    id: 'PSP-FILE-007',
    title: 'The previous private key in ssh.d/prev is removed once the rotation is done',
    severity: 'low',
    profiles: ['pulse-proxy'],
    tags: ['files', 'ssh', 'secrets', 'rotation'],
    rationale:
      'A rotation moves the old ssh/ to ssh.d/prev so that --rollback can restore it. That is worth keeping only ' +
      "until the new key has been verified on every node (the hardening guide's post-rotation verification). After that the " +
      'old key is a second credential for every node that still lists it, kept on disk with nothing rotating it. ' +
      'Reported as low: right after a rotation keeping it is deliberate; the message gives its age.',
    remediation:
      'After verifying the new key on every node: remove /var/lib/pulse-sensor-proxy/ssh.d/prev/id_ed25519* and ' +
      "the old key's lines from the nodes' authorized_keys.",
    reference:
      'Pulse, "Pulse Temperature Proxy - Security Hardening Guide", Key Rotation (old keys preserved in /ssh.d/prev/ for rollback)',
    example: {
      fail: '/var/lib/pulse-sensor-proxy/ssh.d/prev/id_ed25519, 40 days old, no rotation in progress',
      pass: 'ssh.d/prev/ empty',
    },
  },
  (a) =>
    a.rotating
      ? 'a rotation is in progress: the previous key is its rollback material'
      : 'no previous key kept',
  '/var/lib/pulse-sensor-proxy/ssh.d/prev',
)
