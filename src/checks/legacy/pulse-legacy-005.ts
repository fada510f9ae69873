import {leftoverPass, legacyCheck} from './check.js'

export const check = legacyCheck(
  {
    id: 'PULSE-LEGACY-005',
    title: 'No self-heal or cleanup unit of the removed proxy',
    severity: 'low',
    profiles: ['pulse-proxy', 'pulse-agent', 'proxmox-host'],
    tags: ['pulse-proxy', 'systemd', 'leftover'],
    rationale:
      'The installer added pulse-sensor-proxy-selfheal.timer/.service (which restarts and reinstalls the proxy) and pulse-sensor-cleanup.path/.service with /usr/local/bin/pulse-sensor-cleanup.sh. Left after the proxy is gone they fail on every run, fill the journal, and a self-heal run can bring the unsupported proxy back.',
    remediation:
      'systemctl disable --now the unit, remove its file and run systemctl daemon-reload; remove the cleanup script.',
    reference:
      'Pulse, scripts/uninstall-sensor-proxy.sh and SECURITY.md (rcourtman/Pulse); systemd.timer(5), systemd.path(5)',
    example: {
      fail: '/etc/systemd/system/pulse-sensor-proxy-selfheal.timer present, the proxy gone',
      pass: 'no helper unit of the proxy present',
    },
  },
  leftoverPass('helper units'),
)
