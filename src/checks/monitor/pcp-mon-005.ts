import {monitorCheck} from './check.js'

export const check = monitorCheck(
  {
    id: 'PCP-MON-005',
    title: 'No PCP certificates kept in NSS databases that PCP 6 ignores',
    severity: 'low',
    profiles: ['pcp-monitor'],
    tags: ['monitor', 'tls', 'nss'],
    rationale:
      'The NSS-era PCP tutorial "Secure Client Connections" installs the CA and client certificates with certutil into /etc/pcp/nssdb and ~/.pki/nssdb. PCP 6 ' +
      'uses OpenSSL and tls.conf and never opens an NSS database: certificates there do not reach PCP. Reported: ' +
      '/etc/pcp/nssdb always, /etc/pki/nssdb and ~/.pki/nssdb only where PCP variables show PCP relies on them ' +
      '(other programs use those).',
    remediation:
      'Export the certificates (certutil -L -a -n NAME, pk12util -o) into PEM files named in tls.conf; remove ' +
      '/etc/pcp/nssdb.',
    reference:
      'PCP tutorial "Secure Client Connections" (NSS era); PCP 6 uses OpenSSL and tls.conf: src/libpcp/src/secureconnect.c (performancecopilot/pcp)',
    example: {
      fail: '/etc/pcp/nssdb/cert9.db present',
      pass: '/etc/pcp/tls/ca.crt named by tls-ca-cert-file',
    },
  },
  'no NSS certificate database that PCP users rely on',
)
