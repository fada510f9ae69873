import {keysCheck} from './check.js'

export const check = keysCheck(
  {
    id: 'PSP-KEYS-008',
    title: "authorized_keys and the directories above it pass sshd's StrictModes",
    severity: 'high',
    profiles: ['pulse-proxy', 'proxmox-host'],
    tags: ['ssh', 'authorized_keys', 'files'],
    rationale:
      "With StrictModes (the default), sshd refuses every key in an authorized_keys file that is not a regular file, or that (or any directory on its real path up to the home directory) is owned by someone other than the user or root, or is writable by others, or by a group that has members other than the owner (Debian's sshd, as on Proxmox, accepts a group-writable path whose group is the owner's alone): the keys the admin put there never authenticate. With StrictModes off the same modes let those users add a key that logs in as the account.",
    remediation:
      'chown USER ~/.ssh ~/.ssh/authorized_keys; chmod 0700 ~/.ssh; chmod 0600 ~/.ssh/authorized_keys; chmod go-w ~',
    reference:
      'sshd(8) "AUTHORIZED_KEYS FILE FORMAT"; misc.c safe_path, Debian user-group-modes.patch, sshd_config(5) StrictModes',
    example: {
      fail: '/root/.ssh 0775 root:root',
      pass: '/root/.ssh 0700 root:root',
    },
  },
  'sshd accepts the modes and owners of every authorized_keys file',
)
