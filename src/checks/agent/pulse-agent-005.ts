import {familyCheck} from '../family.js'
import {analyzeAgent} from './analysis.js'

export const check = familyCheck(
  {
    id: 'PULSE-AGENT-005',
    title: "sudo grants the agent's user only the installer's exact commands",
    severity: 'high',
    profiles: ['pulse-agent'],
    tags: ['pulse-agent', 'privileges', 'sudo'],
    rationale:
      "With --least-privilege, Pulse's installer grants pulse-agent exactly <smartctl path> (--grant-smart) and <pct path> list, <pct path> df * (--grant-pct), as root with NOPASSWD, in /etc/sudoers.d/pulse-agent. Any other rule naming the user (ALL, another command, other run-as users, SETENV) lets whoever takes over the agent, whose binary the user owns for self-update, run that as root. Every file sudo reads (/etc/sudoers and the /etc/sudoers.d names it does not skip) is parsed; a line pcp-harden cannot read exactly is reported as undecided.",
    remediation:
      "Keep only the installer's lines; rerun install.sh with --least-privilege --grant-smart/--grant-pct to rewrite /etc/sudoers.d/pulse-agent.",
    reference: 'Pulse, scripts/install.sh and docs/AGENT_SECURITY.md (rcourtman/Pulse)',
    example: {
      fail: 'pulse-agent ALL=(ALL) NOPASSWD: ALL',
      pass: 'pulse-agent ALL=(root) NOPASSWD: /usr/sbin/pct list, /usr/sbin/pct df *',
    },
  },
  analyzeAgent,
  (analysis) => ({
    path: analysis.fragment,
    message: `no sudoers rule grants the agent's user more than the installer's commands (${analysis.fragment}, User=${analysis.user})`,
  }),
)
