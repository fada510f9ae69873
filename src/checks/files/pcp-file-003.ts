import {fileModeCheck} from './audit.js'

export const check = fileModeCheck(
  {
    id: 'PCP-FILE-003',
    title: 'pmcd configuration is writable only by root',
    severity: 'critical',
    profiles: ['pcp-collector'],
    tags: ['files', 'pmcd', 'privilege'],
    rationale:
      'pmcd starts as root and runs the commands of the agents table in pmcd.conf as root; pmcd.options and ' +
      '/etc/default/pmcd (or /etc/sysconfig/pmcd) set its command line. Whoever can change these files, or replace ' +
      'them through a writable /etc/pcp or /etc/pcp/pmcd, runs code as root at the next restart.',
    remediation:
      'Each finding gives the exact chown/chmod for its path (root-owned, writable by root only; /etc/pcp and /etc/pcp/pmcd too).',
    reference: 'pmcd(1) (pmcd.conf: the agents table runs as root; pmcd.options; -U)',
    example: {
      fail: '-rw-rw-r-- root pcp /etc/pcp/pmcd/pmcd.conf',
      pass: '-rw-r----- root pcp /etc/pcp/pmcd/pmcd.conf',
    },
  },
  {component: 'pcp', concerns: ['writable', 'wrong-type'], roles: ['root-config']},
)
