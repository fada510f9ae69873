import {accountCheck} from './account-check.js'

export const check = accountCheck(
  {
    id: 'PSP-ACCOUNT-001',
    title: 'The pulse-sensor-proxy service account exists, is not root and has a uid of its own',
    severity: 'high',
    profiles: ['pulse-proxy'],
    tags: ['pulse-proxy', 'account', 'privilege'],
    rationale:
      'The Pulse proxy hardening guide runs the proxy as its own unprivileged user so that a bug in it, or in what it parses, does not ' +
      'run as root, and so that only that user can read its SSH key. Without the account the unit fails or, ' +
      'without User=, runs as root; with uid 0 it is root; another user sharing its uid owns its keys.',
    remediation:
      'useradd --system --user-group --no-create-home --shell /usr/sbin/nologin pulse-sensor-proxy ' +
      '(give any other user with the same uid its own), then chown -R pulse-sensor-proxy: /var/lib/pulse-sensor-proxy.',
    reference:
      'Pulse, "Pulse Temperature Proxy - Security Hardening Guide", "Create service account" and Pulse 4.x scripts/install-sensor-proxy.sh (useradd)',
    example: {
      fail: 'pulse-sensor-proxy:x:0:0::/nonexistent:/usr/sbin/nologin',
      pass: 'pulse-sensor-proxy:x:997:997::/nonexistent:/usr/sbin/nologin',
    },
  },
  (a) => (a.account ? `pulse-sensor-proxy has uid ${a.account.id}` : 'no account'),
)
