import {configsText, lxcCheck} from './check.js'

export const check = lxcCheck(
  {
    id: 'PSP-LXC-010',
    title: 'On a proxy host, a container mounts the proxy socket directory',
    severity: 'low',
    profiles: ['proxmox-host'],
    tags: ['lxc', 'pulse', 'socket'],
    rationale:
      'The proxy exists so that Pulse in a container gets temperatures through the socket instead of holding SSH ' +
      'keys to the cluster itself. On a node where the proxy is installed and containers exist, none mounting ' +
      '/run/pulse-sensor-proxy means Pulse runs elsewhere (fine, but then the proxy here serves nobody) or reaches ' +
      'the nodes some other way.',
    remediation:
      'Add lxc.mount.entry: /run/pulse-sensor-proxy mnt/pulse-proxy none bind,create=dir 0 0 to the Pulse ' +
      "container's config (or remove the proxy from this node)",
    reference:
      'Pulse, "Pulse Temperature Proxy - Security Hardening Guide", "Known Limitations" (LXC bind mount required); Pulse 4.x cmd/pulse-sensor-proxy and scripts/install-sensor-proxy.sh',
    example: {
      fail: '/etc/pve/lxc/105.conf: unprivileged: 1 (no mount of /run/pulse-sensor-proxy), proxy installed',
      pass: '/etc/pve/lxc/105.conf: mp0: /run/pulse-sensor-proxy,mp=/mnt/pulse-proxy',
    },
  },
  (n) =>
    `${configsText(n)}: a container mounts the proxy socket directory, or the proxy is not installed here`,
)
