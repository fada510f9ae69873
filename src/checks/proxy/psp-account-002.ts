import {accountCheck, NO_ACCOUNT} from './account-check.js'

export const check = accountCheck(
  {
    id: 'PSP-ACCOUNT-002',
    title: 'The service account has a nologin shell',
    severity: 'medium',
    profiles: ['pulse-proxy'],
    tags: ['pulse-proxy', 'account'],
    rationale:
      'The service account owns a key that logs in as root on every cluster node. With a real shell, anyone who ' +
      'can su or sudo to it, or plant a password or key for it, gets an interactive session holding that key.',
    remediation: 'usermod --shell /usr/sbin/nologin pulse-sensor-proxy',
    reference:
      'Pulse, "Pulse Temperature Proxy - Security Hardening Guide", "Create service account" (useradd --shell /usr/sbin/nologin)',
    example: {
      fail: 'pulse-sensor-proxy:x:997:997::/nonexistent:/bin/bash',
      pass: 'pulse-sensor-proxy:x:997:997::/nonexistent:/usr/sbin/nologin',
    },
  },
  (a) => (a.account ? `the shell is ${a.account.shell ?? ''}` : NO_ACCOUNT),
)
