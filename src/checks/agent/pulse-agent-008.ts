import {firewalled} from '../firewalled.js'
import {familyCheck} from '../family.js'
import {analyzeAgent} from './analysis.js'

const judged = familyCheck(
  {
    id: 'PULSE-AGENT-008',
    title: "The agent's health and metrics listener is on loopback",
    severity: 'low',
    profiles: ['pulse-agent'],
    tags: ['pulse-agent', 'network', 'listener'],
    rationale:
      'The agent serves /healthz, /readyz and /metrics on --health-addr, 127.0.0.1:9191 unless told otherwise (PULSE_HEALTH_ADDR, or empty to disable). On another address any host that can reach the port reads them, without a password.',
    remediation: 'Set --health-addr 127.0.0.1:9191 (or "" to disable the listener).',
    reference: 'Pulse, scripts/install.sh and docs/AGENT_SECURITY.md (rcourtman/Pulse)',
    example: {
      fail: '[Service]\nExecStart=/usr/local/bin/pulse-agent --health-addr :9191',
      pass: '[Service]\nExecStart=/usr/local/bin/pulse-agent --url https://pulse:7655 --token-file /var/lib/pulse-agent/token\nUser=pulse-agent',
    },
  },
  analyzeAgent,
  (analysis) => ({
    path: analysis.fragment,
    message: `the listener is on loopback (or disabled) (${analysis.fragment}, User=${analysis.user})`,
  }),
)

/** Its failures speak of remote clients: the firewall decides whether they can connect at all. */
export const check = firewalled({service: 'pulse-agent'}, judged)
