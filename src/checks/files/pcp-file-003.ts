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
    remediation: 'chown root FILE && chmod go-w FILE (and the same for /etc/pcp and /etc/pcp/pmcd)',
    reference:
      'a widely copied PCP security guide, "Protect PCP configuration" and pmcd(1) "ACCESS CONTROL CONFIGURATION"',
    example: {
      fail: '-rw-rw-r-- root pcp /etc/pcp/pmcd/pmcd.conf',
      pass: '-rw-r----- root pcp /etc/pcp/pmcd/pmcd.conf',
    },
  },
  {component: 'pcp', concerns: ['writable', 'wrong-type'], roles: ['root-config']},
)
