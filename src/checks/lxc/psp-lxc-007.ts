import {configsText, lxcCheck} from './check.js'

export const check = lxcCheck(
  {
    id: 'PSP-LXC-007',
    title: "Containers mount the proxy's socket directory, not the socket file",
    severity: 'medium',
    profiles: ['proxmox-host'],
    tags: ['lxc', 'pulse', 'socket'],
    rationale:
      'The proxy (through systemd) recreates pulse-sensor-proxy.sock in /run/pulse-sensor-proxy on every restart. ' +
      'A bind mount of the socket file keeps the old inode in the container: Pulse loses the proxy after the next ' +
      'restart, and admins then try riskier ways (SSH keys inside the container). Both real forms of the ' +
      'directory mount pass: mpN: /run/pulse-sensor-proxy,mp=/mnt/pulse-proxy and lxc.mount.entry: ' +
      '/run/pulse-sensor-proxy mnt/pulse-proxy none bind,create=dir 0 0.',
    remediation:
      'Mount the directory: lxc.mount.entry: /run/pulse-sensor-proxy mnt/pulse-proxy none bind,create=dir 0 0 ' +
      '(or mp0: /run/pulse-sensor-proxy,mp=/mnt/pulse-proxy) instead of the socket file, then restart the container',
    reference:
      'Pulse, "Pulse Temperature Proxy - Security Hardening Guide", "Sample LXC Configuration" (directory-level mount); Pulse 4.x cmd/pulse-sensor-proxy and scripts/install-sensor-proxy.sh',
    example: {
      fail: 'lxc.mount.entry: /run/pulse-sensor-proxy/pulse-sensor-proxy.sock mnt/pulse-proxy/pulse-sensor-proxy.sock none bind,create=file 0 0',
      pass: 'lxc.mount.entry: /run/pulse-sensor-proxy mnt/pulse-proxy none bind,create=dir 0 0',
    },
  },
  (n) => `${configsText(n)}: no container mounts the socket file instead of its directory`,
)
