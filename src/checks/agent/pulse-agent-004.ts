import {familyCheck} from '../family.js'
import {analyzeAgent} from './analysis.js'

export const check = familyCheck(
  {
    id: 'PULSE-AGENT-004',
    title: 'The agent does not run as root',
    severity: 'medium',
    profiles: ['pulse-agent'],
    tags: ['pulse-agent', 'privileges', 'systemd'],
    rationale:
      "By default Pulse's installer runs the agent as root. With --least-privilege it runs as the system user pulse-agent, and SMART and pct data come through exact-command sudo grants (--grant-smart, --grant-pct). As root, a flaw in the agent or a command the Pulse server sends it acts as root on the host.",
    remediation:
      "Rerun Pulse's install.sh with --least-privilege (and --grant-smart / --grant-pct if those collectors are needed).",
    reference: 'Pulse, scripts/install.sh and docs/AGENT_SECURITY.md (rcourtman/Pulse)',
    example: {
      fail: '[Service]\nExecStart=/usr/local/bin/pulse-agent --token-file /var/lib/pulse-agent/token',
      pass: '[Service]\nExecStart=/usr/local/bin/pulse-agent --url https://pulse:7655 --token-file /var/lib/pulse-agent/token\nUser=pulse-agent',
    },
  },
  analyzeAgent,
  (analysis) => ({
    path: analysis.fragment,
    message: `the agent runs as an unprivileged user (${analysis.fragment}, User=${analysis.user})`,
  }),
)
