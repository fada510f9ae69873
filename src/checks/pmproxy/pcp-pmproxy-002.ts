import {pmproxyCheck} from './check.js'

export const check = pmproxyCheck(
  {
    id: 'PCP-PMPROXY-002',
    title: 'No pmproxy.conf with a password is readable by other users',
    severity: 'high',
    profiles: ['pcp-collector'],
    tags: ['pmproxy', 'secrets', 'files'],
    rationale:
      'pmproxy takes the Redis/Valkey password from [keys] password, [redis] password or [pmseries] auth.password ' +
      'in plaintext. pmproxy.conf ships 0644 root:root, so once a password is added every local user can read it ' +
      'and use the time-series store directly.',
    remediation: 'chown root:pcp /etc/pcp/pmproxy/pmproxy.conf && chmod 0640 /etc/pcp/pmproxy/pmproxy.conf',
    reference:
      'pmproxy(1) CONFIGURATION; redisSlotsInit in src/libpcp_web/src/slots.c (performancecopilot/pcp)',
    example: {
      fail: '-rw-r--r-- root root pmproxy.conf: [keys] password = s3cret',
      pass: '-rw-r----- root pcp pmproxy.conf: [keys] password = s3cret',
    },
  },
  'no password in a pmproxy.conf that other users can read',
)
