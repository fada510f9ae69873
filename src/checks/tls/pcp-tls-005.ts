import {tlsCheck} from './check.js'

export const check = tlsCheck(
  {
    id: 'PCP-TLS-005',
    title: 'tls.conf has no other lines that PCP ignores',
    severity: 'low',
    profiles: ['pcp-collector'],
    tags: ['tls', 'hygiene'],
    rationale:
      'Lines libpcp does not understand are skipped without a message. Those that do not look like TLS settings ' +
      'change nothing today, but they show the file is not what its author believes and hide real mistakes ' +
      'among them.',
    remediation: 'Remove the line or make it a "#" comment.',
    reference: '__pmGetSecureConfig in src/libpcp/src/secureconnect.c',
    example: {
      fail: 'tls-cert-file = /etc/pcp/tls/server.crt\nenable = yes',
      pass: 'tls-cert-file = /etc/pcp/tls/server.crt\n# enable = yes',
    },
  },
  'tls.conf has no line that PCP ignores',
)
