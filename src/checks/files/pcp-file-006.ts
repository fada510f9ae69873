import {fileModeCheck} from './audit.js'

export const check = fileModeCheck(
  {
    id: 'PCP-FILE-006',
    title: 'PCP files have the recommended modes and owners',
    severity: 'low',
    profiles: ['pcp-collector'],
    tags: ['files', 'baseline'],
    rationale:
      'A widely copied PCP security guide recommends pmcd.conf and pmcd.conf.access 0640 root:pcp and PCP log directories 0750; packages ship ' +
      '0644 and 0775. Looser modes expose the access policy and logs to every local user. Also reported here: a TLS ' +
      'key that user pcp cannot read, which stops pmcd from starting.',
    remediation:
      'chown root:pcp /etc/pcp/pmcd/pmcd.conf && chmod 0640 /etc/pcp/pmcd/pmcd.conf (and likewise as reported)',
    reference: 'a widely copied PCP security guide, "Protect PCP configuration", "Secure PCP logs"',
    example: {
      fail: '-rw-r--r-- root root /etc/pcp/pmcd/pmcd.conf',
      pass: '-rw-r----- root pcp /etc/pcp/pmcd/pmcd.conf',
    },
  },
  {component: 'pcp', concerns: ['drift']},
)
