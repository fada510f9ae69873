import {unitCheck} from './check.js'

export const check = unitCheck(
  {
    id: 'PSP-UNIT-002',
    title: "pulse-sensor-proxy's unit keeps the hardening guide's file-system sandbox",
    severity: 'high',
    profiles: ['pulse-proxy'],
    tags: ['pulse-proxy', 'systemd', 'sandbox'],
    rationale:
      'NoNewPrivileges=true stops setuid binaries from raising the service above its user; ProtectSystem=strict ' +
      'makes the whole file system read-only but for the state and runtime directories; ProtectHome=true hides ' +
      '/home, /root and /run/user (read-only, as the shipped installer writes it, also keeps them unwritable and is ' +
      'accepted); PrivateTmp=true gives the service its own /tmp. A drop-in that sets any of them back, or an ' +
      'empty assignment that restores the default, undoes the sandbox: each finding names the line in effect.',
    remediation:
      'In [Service]: NoNewPrivileges=true, ProtectSystem=strict, ProtectHome=true, PrivateTmp=true; remove the ' +
      'drop-in lines that weaken them (systemctl cat pulse-sensor-proxy shows every file).',
    reference:
      'Pulse, "Pulse Temperature Proxy - Security Hardening Guide", "Systemd Unit Security"; Pulse 4.x scripts/install-sensor-proxy.sh (ProtectHome=read-only)',
    example: {
      fail: '[Service]\nNoNewPrivileges=true\nProtectSystem=full\nPrivateTmp=true',
      pass: '[Service]\nNoNewPrivileges=true\nProtectSystem=strict\nProtectHome=true\nPrivateTmp=true',
    },
  },
  'NoNewPrivileges, ProtectSystem=strict, ProtectHome and PrivateTmp are in effect',
)
