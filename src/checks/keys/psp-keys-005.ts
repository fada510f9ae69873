import {keysCheck} from './check.js'

export const check = keysCheck(
  {
    id: 'PSP-KEYS-005',
    title: 'No key appears twice in an authorized_keys file',
    severity: 'low',
    profiles: ['pulse-proxy', 'proxmox-host'],
    tags: ['ssh', 'authorized_keys'],
    rationale:
      'sshd uses the first line with a key that lets the client in; a later line with the same key and the same (or no) from= is never used. Uninstallers of the proxy removed only some of the lines its three writers left, so the copies pile up and hide which line is in force.',
    remediation: 'Delete the later copies; keep one line per key.',
    reference:
      "Pulse 4.x install-sensor-proxy.sh, pulse-proxy-rotate-keys.sh and the proxy's key rotation (three writers, duplicates); auth2-pubkeyfile.c auth_check_authkeys_file",
    example: {
      fail: 'ssh-ed25519 AAAAC3Nz...id pulse-sensor-proxy\nssh-ed25519 AAAAC3Nz...id pulse-sensor-proxy',
      pass: 'ssh-ed25519 AAAAC3Nz...id pulse-sensor-proxy',
    },
  },
  'no key is written twice',
)
