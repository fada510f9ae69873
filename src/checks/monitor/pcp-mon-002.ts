import {monitorCheck} from './check.js'

export const check = monitorCheck(
  {
    id: 'PCP-MON-002',
    title: "Monitoring users' PCP clients verify the collector's certificate",
    severity: 'high',
    profiles: ['pcp-monitor'],
    tags: ['monitor', 'tls'],
    rationale:
      'PCP 6 clients set SSL_VERIFY_PEER only when their tls.conf has tls-verify-clients exactly "true" or ' +
      '"yes"; otherwise they accept any certificate, so TLS hides the traffic from onlookers but not from a man ' +
      "in the middle. Verification needs the collector's CA (tls-ca-cert-file or tls-ca-cert-dir). Host names " +
      "are never checked, so the CA should sign only PCP collectors. The client tls.conf of PCP's secure-connections chapter has neither.",
    remediation:
      "In the tls.conf the user's clients read ($PCP_TLSCONF_PATH): tls-ca-cert-file = <the collectors' CA> and " +
      'tls-verify-clients = true',
    reference:
      'PCP User\'s and Administrator\'s Guide, "Establishing Secure Connections"; __pmInitSecureClients in src/libpcp/src/secureconnect.c (performancecopilot/pcp)',
    example: {
      fail: 'tls-key-file = /home/alice/.pcp/tls/client.key\ntls-cert-file = /home/alice/.pcp/tls/client.crt',
      pass: 'tls-ca-cert-file = /home/alice/.pcp/tls/ca.crt\ntls-verify-clients = true',
    },
  },
  "every monitoring user's tls.conf names a CA and verifies the collector",
)
