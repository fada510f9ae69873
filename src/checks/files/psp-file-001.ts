import {fileModeCheck} from './audit.js'

export const check = fileModeCheck(
  {
    id: 'PSP-FILE-001',
    title: 'Proxy private keys are readable only by their owner',
    severity: 'critical',
    profiles: ['pulse-proxy'],
    tags: ['files', 'ssh', 'secrets'],
    rationale:
      "The proxy's SSH key (ssh/id_ed25519, and the staged or previous keys in ssh.d/next and ssh.d/prev) logs in as " +
      'root on every cluster node. Keeping it on the host, readable only by the service user, is the point of the ' +
      'proxy: a copy gives its holder the forced command on every node, and more where the restrictions are weak.',
    remediation:
      'chown pulse-sensor-proxy:pulse-sensor-proxy KEY && chmod 0600 KEY; if others could read it, rotate the key ' +
      '(pcp-harden rotate-keys).',
    reference:
      'Pulse, "Pulse Temperature Proxy - Security Hardening Guide", File Permissions and Suspected Compromise Checklist',
    example: {
      fail: '-rw-r--r-- pulse-sensor-proxy pulse-sensor-proxy /var/lib/pulse-sensor-proxy/ssh/id_ed25519',
      pass: '-rw------- pulse-sensor-proxy pulse-sensor-proxy /var/lib/pulse-sensor-proxy/ssh/id_ed25519',
    },
  },
  {component: 'proxy', concerns: ['exposed', 'wrong-type'], roles: ['private-key']},
)
