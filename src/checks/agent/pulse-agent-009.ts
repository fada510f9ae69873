import {familyCheck} from '../family.js'
import {analyzeAgent} from './analysis.js'

export const check = familyCheck(
  {
    id: 'PULSE-AGENT-009',
    title: 'Remote commands are off on the agent',
    severity: 'low',
    profiles: ['pulse-agent'],
    tags: ['pulse-agent', 'remote-commands'],
    rationale:
      "With --enable-commands (or PULSE_ENABLE_COMMANDS=true) the Pulse server can run commands on the host through the agent, as the agent's user (root in the root profile), for Patrol actions and Docker inventory in containers. Off by default; whoever controls the Pulse server, or an account there allowed to run Patrol actions, then controls this host.",
    remediation:
      'Drop --enable-commands from ExecStart (rerun install.sh without it) unless Patrol actions are used.',
    reference: 'Pulse, scripts/install.sh and docs/AGENT_SECURITY.md (rcourtman/Pulse)',
    example: {
      fail: '[Service]\nExecStart=/usr/local/bin/pulse-agent --enable-commands',
      pass: '[Service]\nExecStart=/usr/local/bin/pulse-agent --url https://pulse:7655 --token-file /var/lib/pulse-agent/token\nUser=pulse-agent',
    },
  },
  analyzeAgent,
  (analysis) => ({
    path: analysis.fragment,
    message: `remote commands are off (${analysis.fragment}, User=${analysis.user})`,
  }),
)
