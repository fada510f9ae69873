import {keysCheck} from './check.js'

export const check = keysCheck(
  {
    id: 'PSP-KEYS-004',
    title: 'authorized_keys has no line that sshd silently ignores',
    severity: 'medium',
    profiles: ['pulse-proxy', 'proxmox-host'],
    tags: ['ssh', 'authorized_keys'],
    rationale:
      "sshd skips a line whose options it cannot read (options separated by blanks, an unquoted value such as command=sensors -j, an unknown option, an unterminated quote) or on which it finds no key, and refuses a line with principals= but no cert-authority, a from= list it cannot read (an empty entry, a network with host bits set such as 192.168.0.10/24: no client matches), or an expiry-time in the past; it logs this only at the debug level. The key the admin believes is authorised never authenticates through the line, or a later line for the same key is used without the restrictions written here. The proxy's rotation RPC wrote lines whose quotes were stripped in transit: sshd ignored them. A trailing, leading or double comma is accepted by sshd 9.2 and is not reported.",
    remediation:
      'Rewrite the line as options separated by commas with no blanks, values in double quotes: from="10.0.0.0/8",command="sensors -j",no-pty ssh-ed25519 AAAA... comment.',
    reference:
      'sshd(8) "AUTHORIZED_KEYS FILE FORMAT"; auth2-pubkeyfile.c auth_check_authkey_line, auth-options.c sshauthopt_parse',
    example: {
      fail: 'from=10.0.0.0/8,command=sensors -j,no-pty ssh-ed25519 AAAAC3Nz...id pulse-sensor-proxy',
      pass: 'from="10.0.0.0/8",command="sensors -j",no-pty ssh-ed25519 AAAAC3Nz...id pulse-sensor-proxy',
    },
  },
  'sshd reads every line',
)
