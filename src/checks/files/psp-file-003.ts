import {fileModeCheck} from './audit.js'

export const check = fileModeCheck(
  {
    id: 'PSP-FILE-003',
    title: 'The proxy socket cannot be replaced by other users',
    severity: 'high',
    profiles: ['pulse-proxy'],
    tags: ['files', 'socket'],
    rationale:
      'Pulse in the container trusts whatever answers on /run/pulse-sensor-proxy/pulse-sensor-proxy.sock. If another ' +
      'user can write the directory (without the sticky bit) or owns the socket, they can put their own socket there ' +
      'and feed Pulse false data or collect its requests. The socket itself may be 0777/0666: access is decided by ' +
      'SO_PEERCRED, not by the mode.',
    remediation:
      'chown pulse-sensor-proxy:pulse-sensor-proxy /run/pulse-sensor-proxy && chmod 0775 /run/pulse-sensor-proxy ' +
      '(RuntimeDirectoryMode=0775 in the unit), then restart the proxy',
    reference:
      'Pulse, "Pulse Temperature Proxy - Security Hardening Guide", File Permissions and Why 0775 on socket directory?',
    example: {
      fail: 'drwxrwxrwx root root /run/pulse-sensor-proxy',
      pass: 'drwxrwxr-x pulse-sensor-proxy pulse-sensor-proxy /run/pulse-sensor-proxy',
    },
  },
  {component: 'proxy', concerns: ['writable', 'wrong-type'], roles: ['socket-dir', 'socket']},
)
