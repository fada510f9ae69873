import {leftoverPass, legacyCheck} from './check.js'

export const check = legacyCheck(
  {
    id: 'PULSE-LEGACY-007',
    title: "The removed proxy's HTTPS token is not left on disk",
    severity: 'low',
    profiles: ['pulse-proxy', 'pulse-agent', 'proxmox-host'],
    tags: ['pulse-proxy', 'secrets', 'leftover'],
    rationale:
      'In its HTTPS mode the proxy listened on 0.0.0.0:8443 and accepted a bearer token kept in /etc/pulse-sensor-proxy/.http-auth-token. With the proxy gone nothing accepts the token; the file is a secret left for no purpose (and a copy of one that may have been reused).',
    remediation: 'Delete the token file (shred -u), or run pcp-harden decommission --purge.',
    reference: 'Pulse, scripts/uninstall-sensor-proxy.sh and SECURITY.md (rcourtman/Pulse)',
    example: {
      fail: '/etc/pulse-sensor-proxy/.http-auth-token present, the proxy gone',
      pass: 'no token file',
    },
  },
  leftoverPass('secrets'),
)
