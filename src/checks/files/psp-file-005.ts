import {fileModeCheck} from './audit.js'

export const check = fileModeCheck(
  {
    id: 'PSP-FILE-005',
    title: 'Proxy files have the modes and owners of the hardening guide',
    severity: 'low',
    profiles: ['pulse-proxy'],
    tags: ['files', 'baseline'],
    rationale:
      'The hardening guide gives the whole tree: /var/lib/pulse-sensor-proxy 0750, ssh/ 0700, id_ed25519 0600, id_ed25519.pub ' +
      '0640, ssh.d/ next/ prev/ 0750, all owned by pulse-sensor-proxy. Modes looser than that expose which keys exist ' +
      'and make a later mistake (a key copied with its directory mode) more likely.',
    remediation: 'Each finding gives the exact chown/chmod for its path.',
    reference:
      'Pulse, "Pulse Temperature Proxy - Security Hardening Guide", File Permissions and Production Rollout Checklist',
    example: {
      fail: 'drwxr-xr-x pulse-sensor-proxy pulse-sensor-proxy /var/lib/pulse-sensor-proxy',
      pass: 'drwxr-x--- pulse-sensor-proxy pulse-sensor-proxy /var/lib/pulse-sensor-proxy',
    },
  },
  {component: 'proxy', concerns: ['drift']},
)
