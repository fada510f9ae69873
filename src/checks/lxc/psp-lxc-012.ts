import {configsText, lxcCheck} from './check.js'

export const check = lxcCheck(
  {
    id: 'PSP-LXC-012',
    title: 'PVE applies every line of the container config as written',
    severity: 'medium',
    profiles: ['proxmox-host'],
    tags: ['lxc', 'syntax'],
    rationale:
      'PVE warns and skips a line it cannot parse (`lxc.cap.drop sys_admin` without its colon), refuses some raw ' +
      'keys (lxc.rootfs.path, unknown lxc.* keys) and rejects malformed id maps and mount points. A hardening line ' +
      'written that way protects nothing while the file still reads as hardened. Lines of the live config and ' +
      '[pve:pending] are judged; snapshot sections are never applied.',
    remediation: 'Write the line as `key: value` with a key PVE knows (see pct.conf(5)), or remove it',
    reference:
      'pct.conf(5); PVE::LXC::Config in proxmox/pve-container; PVE::LXC::Config parse_pct_config and $valid_lxc_conf_keys',
    example: {
      fail: 'unprivileged: 1\nlxc.cap.drop sys_admin',
      pass: 'unprivileged: 1\nlxc.cap.drop: sys_admin',
    },
  },
  (n) => `${configsText(n)}: PVE reads every line of the live and pending configs`,
)
