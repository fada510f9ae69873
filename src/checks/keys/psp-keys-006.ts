import {keysCheck} from './check.js'

export const check = keysCheck(
  {
    id: 'PSP-KEYS-006',
    title: 'No earlier, weaker line shadows a restricted line for the same key',
    severity: 'high',
    profiles: ['pulse-proxy', 'proxmox-host'],
    tags: ['ssh', 'authorized_keys'],
    rationale:
      "sshd tries the lines in order and stops at the first with the key that lets the client in. An earlier line with the same key and fewer restrictions (no from=, no forced command, forwarding allowed) is the one in force: the restricted line written later, typically by a hardening step that appended the hardening guide's form, changes nothing.",
    remediation: 'Delete the earlier, weaker line, or merge its options into one line per key.',
    reference: 'sshd(8) "AUTHORIZED_KEYS FILE FORMAT" (the first line whose key matches wins)',
    example: {
      fail: 'ssh-ed25519 AAAAC3Nz...id pulse-sensor-proxy\nfrom="10.0.0.0/8",command="sensors -j",restrict ssh-ed25519 AAAAC3Nz...id pulse-sensor-proxy',
      pass: 'from="10.0.0.0/8",command="sensors -j",restrict ssh-ed25519 AAAAC3Nz...id pulse-sensor-proxy',
    },
  },
  'no restricted line is shadowed by an earlier, weaker one',
)
