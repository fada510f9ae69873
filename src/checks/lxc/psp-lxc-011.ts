import {configsText, lxcCheck} from './check.js'

export const check = lxcCheck(
  {
    id: 'PSP-LXC-011',
    title: 'Snapshots do not keep a weaker container config than the live one',
    severity: 'low',
    profiles: ['proxmox-host'],
    tags: ['lxc', 'snapshots'],
    rationale:
      'Each [snapshot] section keeps the config the container had when the snapshot was taken; nothing runs with ' +
      'it until someone rolls back, and PVE never edits it. Its findings (every PSP-LXC-001..008 rule) are ' +
      'therefore reported here, apart from the live config and at low severity, and only where the snapshot ' +
      'differs from the live config: a rollback would bring the weakness back. [pve:pending] is not a snapshot: ' +
      'its changes apply at the next start, so it is judged by the live checks.',
    remediation:
      'Delete snapshots that are no longer needed (pct delsnapshot VMID NAME); after a rollback, fix the config ' +
      'again before starting the container',
    reference: 'pct.conf(5); PVE::LXC::Config in proxmox/pve-container (snapshot sections)',
    example: {
      fail: 'unprivileged: 1\nparent: old\n\n[old]\nlxc.apparmor.profile: unconfined\nunprivileged: 1',
      pass: 'unprivileged: 1\nparent: old\n\n[old]\nunprivileged: 1',
    },
  },
  (n) => `${configsText(n)}: no snapshot keeps a weaker config than the live one`,
)
