import {configsText, lxcCheck} from './check.js'

export const check = lxcCheck(
  {
    id: 'PSP-LXC-003',
    title: 'No empty lxc.cap.drop undoes the capabilities PVE drops',
    severity: 'high',
    profiles: ['proxmox-host'],
    tags: ['lxc', 'capabilities'],
    rationale:
      'An empty `lxc.cap.drop:` line clears the list of dropped capabilities, including the ones the LXC and PVE ' +
      'defaults drop (sys_module, sys_rawio, sys_time, mac_admin, mac_override): a privileged container can then ' +
      'load kernel modules and read raw memory. Adding capabilities to drop (lxc.cap.drop: sys_admin, as the Pulse proxy hardening guide ' +
      'suggests) is fine: it appends.',
    remediation: 'Remove the empty lxc.cap.drop: line (lxc.cap.drop: sys_admin may stay)',
    reference:
      'Pulse, "Pulse Temperature Proxy - Security Hardening Guide", "LXC Container Requirements" (lxc.cap.drop); lxc.container.conf(5) "lxc.cap.drop"',
    example: {
      fail: 'unprivileged: 1\nlxc.cap.drop:',
      pass: 'unprivileged: 1\nlxc.cap.drop: sys_admin',
    },
  },
  (n) => `${configsText(n)}: none clears the dropped capabilities`,
)
