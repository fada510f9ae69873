import {configsText, lxcCheck} from './check.js'

export const check = lxcCheck(
  {
    id: 'PSP-LXC-006',
    title: "No container id map passes the host's root through",
    severity: 'high',
    profiles: ['proxmox-host'],
    tags: ['lxc', 'idmap'],
    rationale:
      'An unprivileged container maps its ids to an unused host range (u 0 100000 65536). A custom `lxc.idmap` ' +
      'whose host id is 0 (u 0 0 1, g 0 0 1) gives a container id the identity of host root or the root group: ' +
      "files the host keeps for root become the container's. Passing through other host ids (for a shared data " +
      'directory) is not reported.',
    remediation:
      'Map the container ids to the subordinate range only (lxc.idmap: u 0 100000 65536, g 0 100000 65536, ' +
      'with /etc/subuid and /etc/subgid allowing it), and give shared files a non-root owner',
    reference:
      'Pulse, "Pulse Temperature Proxy - Security Hardening Guide", "Configuration Summary" (lxc.idmap u 0 100000 65536); pct.conf(5); PVE::LXC::Config in proxmox/pve-container',
    example: {
      fail: 'unprivileged: 1\nlxc.idmap: u 0 0 1\nlxc.idmap: u 1 100001 65535',
      pass: 'unprivileged: 1\nlxc.idmap: u 0 100000 65536\nlxc.idmap: g 0 100000 65536',
    },
  },
  (n) => `${configsText(n)}: no id map reaches host uid or gid 0`,
)
