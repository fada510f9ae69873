import {familyCheck} from '../family.js'
import {analyzeAgent} from './analysis.js'

export const check = familyCheck(
  {
    id: 'PULSE-AGENT-002',
    title: "The agent's API token is not in its unit or a world-readable environment file",
    severity: 'medium',
    profiles: ['pulse-agent'],
    tags: ['pulse-agent', 'secrets', 'systemd'],
    rationale:
      "A token passed with --token on ExecStart, or set with Environment=PULSE_TOKEN=, is readable by every local user: unit files are 0644, command lines are in /proc/<pid>/cmdline and systemctl show prints the environment. An EnvironmentFile= holding PULSE_TOKEN that others can read exposes it the same way. Pulse's installer passes --token-file instead.",
    remediation:
      "Rerun Pulse's install.sh (it stores the token in /var/lib/pulse-agent/token and passes --token-file), then rotate the token in Pulse.",
    reference: 'Pulse, scripts/install.sh and docs/AGENT_SECURITY.md (rcourtman/Pulse)',
    example: {
      fail: '[Service]\nExecStart=/usr/local/bin/pulse-agent --url https://pulse:7655 --token 0123abcd',
      pass: '[Service]\nExecStart=/usr/local/bin/pulse-agent --url https://pulse:7655 --token-file /var/lib/pulse-agent/token\nUser=pulse-agent',
    },
  },
  analyzeAgent,
  (analysis) => ({
    path: analysis.fragment,
    message: `the token is passed only through its file (${analysis.fragment}, User=${analysis.user})`,
  }),
)
