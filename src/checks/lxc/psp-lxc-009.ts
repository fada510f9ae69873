import {configsText, lxcCheck} from './check.js'

export const check = lxcCheck(
  {
    id: 'PSP-LXC-009',
    title: 'Host bind mounts (mpN) do not block the snapshots a container uses',
    severity: 'low',
    profiles: ['proxmox-host'],
    tags: ['lxc', 'snapshots', 'availability'],
    rationale:
      'PVE refuses snapshots, and snapshot-based (storage) migration, of a container with a host-path mpN. That ' +
      'matters when the container uses them: it has snapshots, a storage replication job or an HA resource. It is ' +
      'reported only then, with the fix that keeps the mount: lxc.mount.entry, which PVE does not manage and which ' +
      'does not block them. A container that uses none of these keeps its mpN without a finding (the Pulse proxy hardening guide writes ' +
      'the mount as mp0).',
    remediation:
      'Replace mpN: /run/pulse-sensor-proxy,mp=/mnt/pulse-proxy with lxc.mount.entry: /run/pulse-sensor-proxy ' +
      'mnt/pulse-proxy none bind,create=dir 0 0',
    reference:
      'Proxmox VE admin guide "Linux Container", "Bind Mount Points" (a host-path mpN blocks snapshots and snapshot-based migration)',
    example: {
      fail: 'mp0: /run/pulse-sensor-proxy,mp=/mnt/pulse-proxy\nparent: before-upgrade\n\n[before-upgrade]\nunprivileged: 1',
      pass: 'lxc.mount.entry: /run/pulse-sensor-proxy mnt/pulse-proxy none bind,create=dir 0 0\nparent: before-upgrade\n\n[before-upgrade]\nunprivileged: 1',
    },
  },
  (n) =>
    `${configsText(n)}: no host bind mount blocks the snapshots, replication or migration a container uses`,
)
