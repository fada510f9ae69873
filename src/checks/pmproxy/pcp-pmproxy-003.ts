import {pmproxyCheck} from './check.js'

export const check = pmproxyCheck(
  {
    id: 'PCP-PMPROXY-003',
    title: 'pmproxy reads no pmproxy.conf from places user pcp can write',
    severity: 'high',
    profiles: ['pcp-collector'],
    tags: ['pmproxy', 'files'],
    rationale:
      'After /etc/pcp/pmproxy/pmproxy.conf, pmproxy reads $HOME/.pmproxy.conf, $HOME/.pcp/pmproxy.conf and ' +
      "./pmproxy.conf, later settings winning; the rc script starts it in /var/log/pcp/pmproxy, and pcp's home and " +
      'that directory are writable by pcp. Such a file lets anything running as pcp turn TLS off, swap the ' +
      'certificate or point pmproxy at another Redis, and it is easily overlooked.',
    remediation: 'Move its settings into /etc/pcp/pmproxy/pmproxy.conf and delete the file.',
    reference: 'pmproxy(1); pmIniFileParse in src/libpcp_web/src/config.c; src/pmproxy/rc_pmproxy',
    example: {
      fail: '/var/log/pcp/pmproxy/pmproxy.conf exists',
      pass: 'only /etc/pcp/pmproxy/pmproxy.conf exists',
    },
  },
  'pmproxy reads no pmproxy.conf that user pcp can plant',
)
