import type {Check} from '../types.js'
import {liveCheck} from './analysis.js'

export const check: Check = liveCheck(
  {
    id: 'PCP-LIVE-002',
    title: 'pmcd and pmproxy listen only where their configuration says',
    severity: 'medium',
    profiles: ['pcp-collector'],
    tags: ['pmcd', 'pmproxy', 'network', 'running-host'],
    rationale:
      "The listening TCP sockets of the running pmcd and pmproxy (/proc/net/tcp and tcp6, each socket's inode traced " +
      'to its process through /proc/PID/fd) are compared with what the configuration predicts: the -i addresses or ' +
      'loopback under PMCD_LOCAL/PMPROXY_LOCAL, and the ports (44321; 44322 and 44323; or -p). A listener outside ' +
      'that set accepts connections the configuration says it refuses. Only on the running machine (--root /).',
    remediation:
      'Restart the daemon with its files (systemctl restart pmcd or pmproxy), or correct the files if the listener is wanted.',
    reference: 'pmcd(1) -i, -p, PMCD_LOCAL; pmproxy(1) -i, -p, PMPROXY_LOCAL; proc(5) /proc/net/tcp',
    example: {
      fail: 'PMPROXY_LOCAL=1 in /etc/default/pmproxy; pmproxy listens on 0.0.0.0:44322',
      pass: 'PMPROXY_LOCAL=1; pmproxy listens on 127.0.0.1:44322 and ::1:44322',
    },
  },
  'every listener of the running daemons is one their configuration predicts',
)
