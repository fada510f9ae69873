import {keysCheck} from './check.js'

export const check = keysCheck(
  {
    id: 'PSP-KEYS-009',
    title: 'authorized_keys is 0600 and ~/.ssh 0700',
    severity: 'low',
    profiles: ['pulse-proxy', 'proxmox-host'],
    tags: ['ssh', 'authorized_keys', 'files'],
    rationale:
      "sshd accepts a readable authorized_keys, but other users then learn which keys log in, from where, and with what forced commands; the conventional modes are 0600 for the file and 0700 for ~/.ssh. Debian's sshd also accepts a group-writable file or directory whose group has no member but its owner (root:root 0620): anyone later added to that group can then add keys.",
    remediation: 'chmod 0700 ~/.ssh; chmod 0600 ~/.ssh/authorized_keys',
    reference:
      'sshd(8) "FILES"; Pulse, "Pulse Temperature Proxy - Security Hardening Guide", "SSH Key Restrictions"',
    example: {
      fail: '/root/.ssh/authorized_keys 0644 root:root',
      pass: '/root/.ssh/authorized_keys 0600 root:root',
    },
  },
  'every authorized_keys file is 0600 in a 0700 ~/.ssh',
)
