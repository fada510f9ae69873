import {unitCheck} from './check.js'

export const check = unitCheck(
  {
    id: 'PSP-UNIT-005',
    title: "pulse-sensor-proxy's unit makes its socket directory 0775",
    severity: 'medium',
    profiles: ['pulse-proxy'],
    tags: ['pulse-proxy', 'systemd', 'lxc'],
    rationale:
      'systemd recreates /run/pulse-sensor-proxy with RuntimeDirectoryMode at every start (0755 when unset), ' +
      "whatever mode it had before. The Pulse container's unprivileged uid must traverse it to reach the socket " +
      '(0770 or 0750 lock it out), and a world-writable directory (0777) lets anyone replace the socket. The Pulse proxy hardening guide ' +
      'sets 0775 in the lxc-access.conf drop-in.',
    remediation:
      'Create /etc/systemd/system/pulse-sensor-proxy.service.d/lxc-access.conf with "[Service]" and ' +
      '"RuntimeDirectoryMode=0775" (pcp-harden unit write lxc-access.conf), then systemctl daemon-reload.',
    reference:
      'Pulse, "Pulse Temperature Proxy - Security Hardening Guide", "Update RuntimeDirectoryMode for LXC access" and "Why 0775 on socket directory?"',
    example: {
      fail: '[Service]\nRuntimeDirectory=pulse-sensor-proxy\nRuntimeDirectoryMode=0770',
      pass: '[Service]\nRuntimeDirectory=pulse-sensor-proxy\nRuntimeDirectoryMode=0775',
    },
  },
  'RuntimeDirectoryMode=0775 is in effect',
)
