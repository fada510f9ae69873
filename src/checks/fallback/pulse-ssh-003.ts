import {familyCheck} from '../family.js'
import {analyzeFallback} from './analysis.js'

export const check = familyCheck(
  {
    id: 'PULSE-SSH-003',
    title: "sshd reads the Pulse sensors key's line",
    severity: 'low',
    profiles: ['proxmox-host', 'pulse-agent', 'pulse-proxy'],
    tags: ['ssh', 'authorized_keys', 'pulse-sensors'],
    rationale:
      'The node setup script of Pulse 5.1.0 to 5.1.14 broke on the nested quotes of its own # pulse-sensors line (bash never set the line, and an empty line was appended instead); lines fixed by hand, often with escaped quotes (command=\\"sensors -j\\"), are ignored by sshd (bad key options), so the SSH fallback reads no temperatures. It opens nothing, but the key the administrator believes is restricted never authenticates, and the line hides the fact that the fallback is down.',
    remediation:
      'Rerun the node setup script from Pulse 5.1.15 or later, or rewrite the options with plain double quotes (command="/usr/local/sbin/pulse-sensors").',
    reference:
      'Pulse SECURITY.md and docs/TEMPERATURE_MONITORING.md (rcourtman/Pulse); sshd(8) AUTHORIZED_KEYS FILE FORMAT',
    example: {
      fail: 'command=\\"sensors -j\\",no-port-forwarding,no-X11-forwarding,no-agent-forwarding,no-pty ssh-ed25519 AAAAC3Nz... # pulse-sensors',
      pass: 'command="/usr/local/sbin/pulse-sensors",no-port-forwarding,no-X11-forwarding,no-agent-forwarding,no-pty ssh-ed25519 AAAAC3Nz... # pulse-sensors',
    },
  },
  analyzeFallback,
  (analysis) => ({
    path: analysis.files[0] as string,
    message: `sshd reads every # pulse-sensors line (${analysis.lines.join(', ')})`,
  }),
)
