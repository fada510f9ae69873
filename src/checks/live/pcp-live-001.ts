import type {Check} from '../types.js'
import {liveCheck} from './analysis.js'

export const check: Check = liveCheck(
  {
    id: 'PCP-LIVE-001',
    title: 'The running pmcd and pmproxy have the options their files give',
    severity: 'medium',
    profiles: ['pcp-collector'],
    tags: ['pmcd', 'pmproxy', 'running-host'],
    rationale:
      'pmcd and pmproxy read pmcd.options, pmproxy.options and their environment files only when they start. An edit ' +
      'that adds -Q, an -i address or PMCD_LOCAL=1 protects nothing until the daemon restarts, and an audit of the ' +
      "files alone reports a protection that is not in force. Compared: each daemon's /proc/PID/cmdline and environ " +
      '(the daemons the service manager started) with -Q, -S, -i, -p, -s, -U, -A, -c and PMCD_LOCAL/PMPROXY_LOCAL ' +
      'from the files. Only on the running machine (--root /).',
    remediation: 'Restart the daemon so that it runs with its files: systemctl restart pmcd (or pmproxy).',
    reference: 'pmcd(1), pmproxy(1) (options, PMCD_LOCAL, PMPROXY_LOCAL); proc(5) /proc/PID/cmdline, environ',
    example: {
      fail: 'pmcd.options has -Q; the running pmcd was started with -A only',
      pass: 'the running pmcd was started with -A -Q, as pmcd.options says',
    },
  },
  'the running daemons have the options and environment their files give',
)
