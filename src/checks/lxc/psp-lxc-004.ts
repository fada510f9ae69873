import {configsText, lxcCheck} from './check.js'

export const check = lxcCheck(
  {
    id: 'PSP-LXC-004',
    title: 'Containers are not allowed every device',
    severity: 'high',
    profiles: ['proxmox-host'],
    tags: ['lxc', 'devices'],
    rationale:
      '`lxc.cgroup2.devices.allow: a` (or `c *:* rwm`, `b *:* rwm`) lets the container open any device node it can ' +
      "create or see: the host's disks, /dev/mem, /dev/kmsg. The deprecated cgroup v1 key lxc.cgroup.devices.allow " +
      'does the same on a host booted with cgroup v1, and is reported too.',
    remediation:
      'Allow only the devices the container needs (lxc.cgroup2.devices.allow: c 226:128 rwm, or a devN: entry) ' +
      'and remove the allow-all rule',
    reference:
      'pct.conf(5); PVE::LXC::Config in proxmox/pve-container (risky raw keys); lxc.container.conf(5) "lxc.cgroup2.[controller]"',
    example: {
      fail: 'unprivileged: 1\nlxc.cgroup2.devices.allow: a',
      pass: 'unprivileged: 1\nlxc.cgroup2.devices.allow: c 10:200 rwm',
    },
  },
  (n) => `${configsText(n)}: no container may open every device`,
)
