import {unitCheck} from './check.js'

export const check = unitCheck(
  {
    id: 'PSP-UNIT-001',
    title: 'pulse-sensor-proxy runs as its own user, not root',
    severity: 'high',
    profiles: ['pulse-proxy'],
    tags: ['pulse-proxy', 'systemd', 'privileges'],
    rationale:
      'The proxy holds the SSH key that reaches every cluster node as root and answers any process that can ' +
      'open its socket. Run as root (no User=, an empty User= in a drop-in, User=root), a flaw in it is a root ' +
      'shell on the node; run as a transient DynamicUser it no longer owns its keys. Judged on the effective unit: ' +
      'the last User= of the unit file and its drop-ins. Group=root is reported too: it opens every root-group file.',
    remediation:
      'Set User=pulse-sensor-proxy and Group=pulse-sensor-proxy in [Service] and remove any drop-in that resets ' +
      'User= (pcp-harden unit write renders the unit).',
    reference:
      'Pulse, "Pulse Temperature Proxy - Security Hardening Guide", "Systemd Unit Security" and "Quick Verification Checklist"',
    example: {
      fail: '[Service]\nExecStart=/usr/local/bin/pulse-sensor-proxy',
      pass: '[Service]\nUser=pulse-sensor-proxy\nGroup=pulse-sensor-proxy\nExecStart=/usr/local/bin/pulse-sensor-proxy',
    },
  },
  'the service runs as pulse-sensor-proxy',
)
