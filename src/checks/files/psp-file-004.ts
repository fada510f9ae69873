import {fileModeCheck} from './audit.js'

export const check = fileModeCheck(
  {
    id: 'PSP-FILE-004',
    title: 'The container can reach the proxy socket',
    severity: 'low',
    profiles: ['pulse-proxy'],
    tags: ['files', 'socket', 'availability'],
    rationale:
      'The container\'s unprivileged uid is "other" on the host: it needs execute on /run/pulse-sensor-proxy (0775, ' +
      'not 0770) and write on the socket. Without them Pulse gets no temperatures, and admins are tempted to loosen ' +
      'something else instead.',
    remediation:
      'RuntimeDirectoryMode=0775 in a drop-in of pulse-sensor-proxy.service, then systemctl restart pulse-sensor-proxy',
    reference: 'Pulse, "Pulse Temperature Proxy - Security Hardening Guide", Why 0775 on socket directory?',
    example: {
      fail: 'drwxrwx--- pulse-sensor-proxy pulse-sensor-proxy /run/pulse-sensor-proxy',
      pass: 'drwxrwxr-x pulse-sensor-proxy pulse-sensor-proxy /run/pulse-sensor-proxy',
    },
  },
  {component: 'proxy', concerns: ['unreachable']},
)
