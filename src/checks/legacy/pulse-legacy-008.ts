import {leftoverPass, legacyCheck} from './check.js'

export const check = legacyCheck(
  {
    id: 'PULSE-LEGACY-008',
    title: "The removed proxy's user and group are gone",
    severity: 'low',
    profiles: ['pulse-proxy', 'pulse-agent', 'proxmox-host'],
    tags: ['pulse-proxy', 'accounts', 'leftover'],
    rationale:
      "Pulse's cleanup removes the pulse-sensor-proxy user and group only with --purge. Left behind, files it owned keep their owner, and an account later given the same id would own them.",
    remediation:
      'userdel pulse-sensor-proxy and groupdel pulse-sensor-proxy, or run pcp-harden decommission --purge.',
    reference: 'Pulse, scripts/uninstall-sensor-proxy.sh and SECURITY.md (rcourtman/Pulse); userdel(8)',
    example: {
      fail: 'pulse-sensor-proxy:x:997:997::/nonexistent:/usr/sbin/nologin in /etc/passwd, the proxy gone',
      pass: 'no pulse-sensor-proxy account',
    },
  },
  leftoverPass('accounts'),
)
