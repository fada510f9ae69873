import {familyCheck} from '../family.js'
import {analyzeFallback} from './analysis.js'

export const check = familyCheck(
  {
    id: 'PULSE-SSH-002',
    title: "The forced command of the Pulse sensors key is root's and writable by nobody else",
    severity: 'critical',
    profiles: ['proxmox-host', 'pulse-agent', 'pulse-proxy'],
    tags: ['ssh', 'files', 'pulse-sensors'],
    rationale:
      "The # pulse-sensors line runs its forced command (/usr/local/sbin/pulse-sensors, or sensors found in root's PATH for Pulse 5.1.x) as root for whoever holds the key. If the file or any directory above it is owned by another user or writable by a group other than root or by others, that user can replace the command, and the next connection of the Pulse server (or anyone with its key) runs their code as root: a root command anyone of them can change. The setup script installs the wrapper root:root 0755.",
    remediation: 'chown root:root and chmod go-w the file and each directory reported.',
    reference:
      'Pulse SECURITY.md and docs/TEMPERATURE_MONITORING.md (rcourtman/Pulse); sshd(8) AUTHORIZED_KEYS FILE FORMAT',
    example: {
      fail: '-rwxrwxr-x pulse pulse /usr/local/sbin/pulse-sensors',
      pass: '-rwxr-xr-x root root /usr/local/sbin/pulse-sensors',
    },
  },
  analyzeFallback,
  (analysis) => ({
    path: analysis.files[0] as string,
    message: `the forced command of every # pulse-sensors line and the directories above it are root's and writable by nobody else (${analysis.lines.join(', ')})`,
  }),
)
