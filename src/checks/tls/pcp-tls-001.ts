import {tlsCheck} from './check.js'

export const check = tlsCheck(
  {
    id: 'PCP-TLS-001',
    title: 'tls.conf has no TLS-looking line that PCP ignores, and no value cut at a blank',
    severity: 'medium',
    profiles: ['pcp-collector'],
    tags: ['tls', 'pmcd', 'pmproxy'],
    rationale:
      'libpcp reads only tls-cert-file, tls-key-file, tls-ca-cert-file, tls-ca-cert-dir, tls-ciphers, ' +
      'tls-ciphersuites, tls-client-cert-file, tls-client-key-file and tls-verify-clients (or prefixes of them), ' +
      'each as "key = value" or "key: value", and keeps a value only up to its first blank. Any other key ' +
      '(tls-cipher-list, hardening guides\' ssl_cert or pmproxy.conf\'s certificates), a line without "=" or ":", or the ' +
      'words after a blank are dropped without a message: the cipher restriction, CA or key the admin wrote is not ' +
      'in force.',
    remediation:
      'Use the tls.conf key names (tls-ciphers = HIGH:!aNULL:!MD5, not tls-cipher-list), one "key = value" a ' +
      'line, values without blanks (move files to paths without spaces).',
    reference: 'PCPIntro(1) "SECURE PMCD CONNECTIONS"; __pmGetSecureConfig in src/libpcp/src/secureconnect.c',
    example: {
      fail: 'tls-cipher-list = HIGH:!aNULL\ntls-ca-cert-file = /etc/pcp/tls/my ca.crt',
      pass: 'tls-ciphers = HIGH:!aNULL\ntls-ca-cert-file = /etc/pcp/tls/ca.crt',
    },
  },
  'PCP reads every TLS setting in tls.conf as written',
)
