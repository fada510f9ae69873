import {configsText, lxcCheck} from './check.js'

export const check = lxcCheck(
  {
    id: 'PSP-LXC-001',
    title: 'Containers are unprivileged',
    severity: 'high',
    profiles: ['proxmox-host'],
    tags: ['lxc', 'isolation'],
    rationale:
      'In a privileged container uid 0 is uid 0 on the host: a process that escapes the container (or reaches a ' +
      'host file through a bind mount) is host root. The proxy authenticates its clients by SO_PEERCRED uid, and ' +
      "container root is then indistinguishable from the host's root. PVE treats an absent `unprivileged` as " +
      'privileged. The pending section is judged when it sets `unprivileged` itself.',
    remediation:
      'Recreate the container unprivileged (pct restore --unprivileged 1 from a backup; PVE cannot switch a ' +
      'container in place), then mount the proxy socket directory into it again',
    reference:
      'Pulse, "Pulse Temperature Proxy - Security Hardening Guide", "LXC Container Requirements" (unprivileged: 1 required); pct.conf(5); PVE::LXC::Config in proxmox/pve-container',
    example: {
      fail: 'arch: amd64\nhostname: pulse\nrootfs: local-lvm:vm-100-disk-0,size=8G',
      pass: 'arch: amd64\nhostname: pulse\nrootfs: local-lvm:vm-100-disk-0,size=8G\nunprivileged: 1',
    },
  },
  (n) => `${configsText(n)}: every container is unprivileged`,
)
