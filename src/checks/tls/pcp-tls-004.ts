import {tlsCheck} from './check.js'

export const check = tlsCheck(
  {
    id: 'PCP-TLS-004',
    title: 'The last line of tls.conf ends with a newline',
    severity: 'medium',
    profiles: ['pcp-collector'],
    tags: ['tls', 'pmcd'],
    rationale:
      'libpcp only takes a value that ends at a blank, "#" or newline; on a last line without a newline the value ' +
      'runs to the end of the buffer and the setting is dropped without a message. A tls.conf written with ' +
      'printf or by an editor that adds no final newline loses its last setting, often the key or the CA.',
    remediation: "Add the newline: printf '\\n' >> /etc/pcp/tls.conf",
    reference: '__pmGetSecureConfig in src/libpcp/src/secureconnect.c',
    example: {
      fail: 'tls-cert-file = /etc/pcp/tls/server.crt\ntls-key-file = /etc/pcp/tls/server.key<EOF>',
      pass: 'tls-cert-file = /etc/pcp/tls/server.crt\ntls-key-file = /etc/pcp/tls/server.key\n<EOF>',
    },
  },
  'the last setting of tls.conf ends with a newline',
)
