import {unitCheck} from './check.js'

export const check = unitCheck(
  {
    id: 'PSP-UNIT-004',
    title: "pulse-sensor-proxy's unit has the further kernel and device protections",
    severity: 'low',
    profiles: ['pulse-proxy'],
    tags: ['pulse-proxy', 'systemd', 'sandbox', 'kernel'],
    rationale:
      'Beyond the Pulse proxy hardening guide: ProtectKernelTunables, ProtectKernelModules, ProtectKernelLogs, ProtectControlGroups, ' +
      'ProtectClock, PrivateDevices, RestrictNamespaces, RestrictSUIDSGID, LockPersonality, RestrictRealtime and ' +
      'SystemCallArchitectures=native cost the proxy nothing (it reads sensors over SSH) and take the exposure ' +
      "score from the Pulse proxy hardening guide's 4.2 to 1.9. Each is lower severity than the Pulse proxy hardening guide's own set.",
    remediation:
      'In [Service]: ProtectKernelTunables=true, ProtectKernelModules=true, ProtectKernelLogs=true, ' +
      'ProtectControlGroups=true, ProtectClock=true, PrivateDevices=true, RestrictNamespaces=true, ' +
      'RestrictSUIDSGID=true, LockPersonality=true, RestrictRealtime=true, SystemCallArchitectures=native.',
    reference: 'systemd.exec(5); systemd.exec(5) "SANDBOXING"',
    example: {
      fail: '[Service]\nProtectKernelTunables=true',
      pass:
        '[Service]\nProtectKernelTunables=true\nProtectKernelModules=true\nProtectKernelLogs=true\n' +
        'ProtectControlGroups=true\nProtectClock=true\nPrivateDevices=true\nRestrictNamespaces=true\n' +
        'RestrictSUIDSGID=true\nLockPersonality=true\nRestrictRealtime=true\nSystemCallArchitectures=native',
    },
  },
  'the further kernel, device and namespace protections are in effect',
)
