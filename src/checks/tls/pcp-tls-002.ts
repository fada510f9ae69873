import {tlsCheck} from './check.js'

export const check = tlsCheck(
  {
    id: 'PCP-TLS-002',
    title: 'Every file tls.conf names exists',
    severity: 'high',
    profiles: ['pcp-collector'],
    tags: ['tls', 'pmcd', 'pmproxy'],
    rationale:
      'With tls-cert-file set, pmcd and pmproxy load the certificate, its key and the CA at start and exit when ' +
      'one of them is missing or tls-key-file is not set (__pmSecureServerInit calls exit): the collector goes ' +
      'down with the next restart. Client files that are missing make every secure connection from this host ' +
      '(pmlogger, pmie, pminfo) fail.',
    remediation:
      'Install the files at the absolute paths tls.conf names (or correct the paths), e.g. ' +
      'install -o pcp -g pcp -m 0600 server.key /etc/pcp/tls/server.key',
    reference:
      'PCP User\'s and Administrator\'s Guide, "Establishing Secure Connections"; __pmSecureServerInit in src/libpcp/src/secureserver.c',
    example: {
      fail: 'tls-cert-file = /etc/pcp/tls/server.crt   (no such file)',
      pass: 'tls-cert-file = /etc/pcp/tls/server.crt\ntls-key-file = /etc/pcp/tls/server.key   (both present)',
    },
  },
  'every file tls.conf names is present',
)
