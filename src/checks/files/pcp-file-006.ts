import {fileModeCheck} from './audit.js'

export const check = fileModeCheck(
  {
    id: 'PCP-FILE-006',
    title: 'PCP files have the recommended modes and owners',
    severity: 'low',
    profiles: ['pcp-collector'],
    tags: ['files', 'baseline'],
    rationale:
      'pmcd.conf and pmcd.conf.access are best 0640 root:pcp and PCP log directories 0750; packages ship ' +
      '0644 and 0775. Looser modes expose the access policy and logs to every local user. Also reported here: a TLS ' +
      'key that user pcp cannot read, which stops pmcd from starting.',
    remediation:
      'Each finding gives the exact chown/chmod for its path; pcp must keep read access to what pmcd reads as pcp.',
    reference: 'pmcd(1) (access control in pmcd.conf); PCPIntro(1) ($PCP_LOG_DIR)',
    example: {
      fail: '-rw-r--r-- root root /etc/pcp/pmcd/pmcd.conf',
      pass: '-rw-r----- root pcp /etc/pcp/pmcd/pmcd.conf',
    },
  },
  {component: 'pcp', concerns: ['drift']},
)
