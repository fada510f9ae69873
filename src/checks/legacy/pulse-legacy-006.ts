import {leftoverPass, legacyCheck} from './check.js'

export const check = legacyCheck(
  {
    id: 'PULSE-LEGACY-006',
    title: "No container still mounts the removed proxy's socket directory",
    severity: 'low',
    profiles: ['pulse-proxy', 'pulse-agent', 'proxmox-host'],
    tags: ['pulse-proxy', 'lxc', 'leftover'],
    rationale:
      "The proxy's socket directory /run/pulse-sensor-proxy was bind-mounted into the Pulse container as mpN: or lxc.mount.entry:. Once the proxy is gone the mount names a directory nothing serves, and a host-path mpN still blocks snapshots and snapshot-based migration of the container. Only the live (main) section is judged; snapshot sections keep what was true when they were taken.",
    remediation:
      'Remove the mount line from the main section of the container config (pcp-harden decommission does so and never edits a snapshot section).',
    reference:
      'pct.conf(5); Proxmox VE admin guide "Linux Container"; Pulse, scripts/uninstall-sensor-proxy.sh and SECURITY.md (rcourtman/Pulse)',
    example: {
      fail: 'lxc.mount.entry: /run/pulse-sensor-proxy mnt/pulse-proxy none bind,create=dir 0 0',
      pass: '(no mount of /run/pulse-sensor-proxy in the main section)',
    },
  },
  leftoverPass('container mounts'),
)
