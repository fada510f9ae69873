import {monitorCheck} from './check.js'

export const check = monitorCheck(
  {
    id: 'PCP-MON-004',
    title: 'No NSS-era PCP variables that PCP 6 ignores',
    severity: 'low',
    profiles: ['pcp-monitor'],
    tags: ['monitor', 'tls', 'environment', 'nss'],
    rationale:
      'PCP_ALLOW_BAD_CERT_DOMAIN, PCP_ALLOW_SERVER_SELF_CERT and PCP_SECURE_DB_METHOD (the NSS-era PCP tutorial "Secure Client Connections") belonged to the ' +
      'NSS implementation; PCP 6 does not read them. They relax nothing and enforce nothing, but suggest a trust ' +
      'decision that is not in force.',
    remediation:
      'Remove them; configure verification in tls.conf (tls-ca-cert-file, tls-verify-clients = true).',
    reference:
      'PCP tutorial "Secure Client Connections" (NSS era); PCP 6 reads neither variable: src/libpcp/src/secureconnect.c (performancecopilot/pcp)',
    example: {
      fail: 'export PCP_ALLOW_SERVER_SELF_CERT=1',
      pass: 'export PCP_SECURE_SOCKETS=enforce',
    },
  },
  'no NSS-era PCP variable is set',
)
