import {familyCheck} from '../family.js'
import {analyzeAgent} from './analysis.js'

export const check = familyCheck(
  {
    id: 'PULSE-AGENT-003',
    title: 'No old connection file still carries PULSE_TOKEN',
    severity: 'low',
    profiles: ['pulse-agent'],
    tags: ['pulse-agent', 'secrets', 'leftover'],
    rationale:
      'Older installers saved PULSE_TOKEN in /var/lib/pulse-agent/connection.env for the uninstaller; current ones keep only PULSE_TOKEN_FILE there. The file is 0600 in a 0700 directory, so this is a second copy of the secret rather than an exposure, but one that outlives a token rotation done through the token file.',
    remediation: 'Delete the PULSE_TOKEN line from connection.env (keep PULSE_TOKEN_FILE).',
    reference: 'Pulse, scripts/install.sh and docs/AGENT_SECURITY.md (rcourtman/Pulse)',
    example: {
      fail: "PULSE_TOKEN='0123abcd' in /var/lib/pulse-agent/connection.env",
      pass: "PULSE_TOKEN_FILE='/var/lib/pulse-agent/token'",
    },
  },
  analyzeAgent,
  (analysis) => ({
    path: analysis.fragment,
    message: `no connection file carries PULSE_TOKEN (${analysis.fragment}, User=${analysis.user})`,
  }),
)
