import {configsText, lxcCheck} from './check.js'

export const check = lxcCheck(
  {
    id: 'PSP-LXC-002',
    title: 'Containers keep AppArmor confinement',
    severity: 'high',
    profiles: ['proxmox-host'],
    tags: ['lxc', 'apparmor'],
    rationale:
      'PVE confines every container with a generated AppArmor profile that denies writes to /proc and /sys files, ' +
      'mounts and other ways out of the container. `lxc.apparmor.profile: unconfined` (or the deprecated ' +
      '`lxc.aa_profile`) removes that layer; the last such line wins.',
    remediation:
      'Remove the lxc.apparmor.profile: unconfined line (or set it to generated) and restart the container',
    reference:
      'Pulse, "Pulse Temperature Proxy - Security Hardening Guide", "LXC Container Requirements" (lxc.apparmor.profile: generated); pct.conf(5); PVE::LXC::Config in proxmox/pve-container',
    example: {
      fail: 'unprivileged: 1\nlxc.apparmor.profile: unconfined',
      pass: 'unprivileged: 1\nlxc.apparmor.profile: generated',
    },
  },
  (n) => `${configsText(n)}: no container turns AppArmor off`,
)
