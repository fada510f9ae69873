import {familyCheck} from '../family.js'
import {analyzeAgent} from './analysis.js'

export const check = familyCheck(
  {
    id: 'PULSE-AGENT-001',
    title: "The agent's API token file is the service's alone",
    severity: 'medium',
    profiles: ['pulse-agent'],
    tags: ['pulse-agent', 'secrets', 'files'],
    rationale:
      "Pulse's installer writes the agent's API token to /var/lib/pulse-agent/token, 0600 root:root (chowned to pulse-agent with --least-privilege), in a 0700 state directory, and passes it with --token-file. A token readable by other local users lets them report to Pulse as this host and read what Pulse sends it; a token they can write swaps the agent's credential.",
    remediation: 'chown the file to root (or the service user) and chmod 0600.',
    reference: 'Pulse, scripts/install.sh and docs/AGENT_SECURITY.md (rcourtman/Pulse)',
    example: {
      fail: '-rw-r--r-- root root /var/lib/pulse-agent/token',
      pass: '-rw------- pulse-agent pulse-agent /var/lib/pulse-agent/token',
    },
  },
  analyzeAgent,
  (analysis) => ({
    path: analysis.fragment,
    message: `the token file is 0600 and owned by root or the service user (${analysis.fragment}, User=${analysis.user})`,
  }),
)
