import {fileModeCheck} from './audit.js'

export const check = fileModeCheck(
  {
    id: 'PCP-FILE-004',
    title: 'PCP TLS, SASL and pmproxy configuration is writable only by root',
    severity: 'high',
    profiles: ['pcp-collector'],
    tags: ['files', 'tls', 'sasl', 'pmproxy'],
    rationale:
      'tls.conf, the certificates and CA it names, /etc/pcp/tls, /etc/sasl2/pmcd.conf and pmproxy.conf decide whom ' +
      'pmcd and pmproxy trust and how. Whoever can change them can swap in their own CA (and be accepted as a client), ' +
      'turn TLS off, or point pmproxy at another key.',
    remediation: 'chown root FILE && chmod go-w FILE',
    reference: `PCP User's and Administrator's Guide, "Establishing Secure Connections"; pmcd(1), pmproxy(1)`,
    example: {
      fail: '-rw-rw-rw- root root /etc/pcp/tls.conf',
      pass: '-rw-r--r-- root root /etc/pcp/tls.conf',
    },
  },
  {component: 'pcp', concerns: ['writable', 'wrong-type'], roles: ['trusted']},
)
