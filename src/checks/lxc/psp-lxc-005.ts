import {configsText, lxcCheck} from './check.js'

export const check = lxcCheck(
  {
    id: 'PSP-LXC-005',
    title: 'Containers do not mount /proc, /sys or cgroups writable',
    severity: 'high',
    profiles: ['proxmox-host'],
    tags: ['lxc', 'mounts'],
    rationale:
      '`lxc.mount.auto: proc:rw sys:rw` (or cgroup:rw, cgroup-full:rw) mounts the kernel interfaces writable: ' +
      'kernel parameters under /proc/sys, /proc/sysrq-trigger, firmware and device settings under /sys. The ' +
      'defaults (proc:mixed sys:mixed) keep them read-only; an empty lxc.mount.auto resets the list.',
    remediation:
      'Use lxc.mount.auto: proc:mixed sys:mixed cgroup:mixed (or remove the line for the defaults)',
    reference:
      'pct.conf(5); PVE::LXC::Config in proxmox/pve-container (lxc.mount.auto with :rw); lxc.container.conf(5) "lxc.mount.auto"',
    example: {
      fail: 'unprivileged: 1\nlxc.mount.auto: proc:rw sys:rw',
      pass: 'unprivileged: 1\nlxc.mount.auto: proc:mixed sys:ro cgroup:mixed',
    },
  },
  (n) => `${configsText(n)}: none mounts /proc, /sys or cgroups writable`,
)
