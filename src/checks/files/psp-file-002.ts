import {fileModeCheck} from './audit.js'

export const check = fileModeCheck(
  {
    id: 'PSP-FILE-002',
    title: 'Proxy state and key directories are writable only by the service user',
    severity: 'high',
    profiles: ['pulse-proxy'],
    tags: ['files', 'ssh'],
    rationale:
      'Whoever can write /var/lib/pulse-sensor-proxy, ssh/, ssh.d/ or the public keys can swap the keys the proxy uses ' +
      'and pushes to the cluster nodes during rotation, and so get their own key trusted by every node.',
    remediation:
      'chown -R pulse-sensor-proxy:pulse-sensor-proxy /var/lib/pulse-sensor-proxy && chmod 0750 ' +
      '/var/lib/pulse-sensor-proxy && chmod 0700 /var/lib/pulse-sensor-proxy/ssh && chmod 0640 ' +
      '/var/lib/pulse-sensor-proxy/ssh/id_ed25519.pub',
    reference: 'Pulse, "Pulse Temperature Proxy - Security Hardening Guide", File Permissions',
    example: {
      fail: 'drwxrwxrwx pulse-sensor-proxy pulse-sensor-proxy /var/lib/pulse-sensor-proxy/ssh.d',
      pass: 'drwxr-x--- pulse-sensor-proxy pulse-sensor-proxy /var/lib/pulse-sensor-proxy/ssh.d',
    },
  },
  {component: 'proxy', concerns: ['writable', 'wrong-type'], roles: ['state-dir', 'key-dir', 'public-key']},
)
