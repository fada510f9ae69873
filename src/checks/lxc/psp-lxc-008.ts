import {configsText, lxcCheck} from './check.js'

export const check = lxcCheck(
  {
    id: 'PSP-LXC-008',
    title: 'The proxy socket directory is mounted once per container',
    severity: 'low',
    profiles: ['proxmox-host'],
    tags: ['lxc', 'pulse', 'socket'],
    rationale:
      'Installers and upgrades wrote the mount in both forms (mpN and lxc.mount.entry) and did not always remove ' +
      'the older one. Two mounts on the same target are managed by two writers (PVE and LXC); the later hides the ' +
      'earlier, and removing one leaves the container mounting what the admin believes is gone.',
    remediation: 'Keep one mount of /run/pulse-sensor-proxy on /mnt/pulse-proxy and delete the others',
    reference:
      'Pulse, "Pulse Temperature Proxy - Security Hardening Guide", "Upgrading Existing Installations" (old lxc.mount.entry rows replaced); Pulse 4.x cmd/pulse-sensor-proxy and scripts/install-sensor-proxy.sh',
    example: {
      fail: 'mp0: /run/pulse-sensor-proxy,mp=/mnt/pulse-proxy\nlxc.mount.entry: /run/pulse-sensor-proxy mnt/pulse-proxy none bind,create=dir 0 0',
      pass: 'mp0: /run/pulse-sensor-proxy,mp=/mnt/pulse-proxy',
    },
  },
  (n) => `${configsText(n)}: no container mounts the proxy socket directory twice on one target`,
)
