import {accountCheck} from './account-check.js'
import {STALE_PROXY_USER} from './account-analysis.js'

export const check = accountCheck(
  {
    id: 'PSP-ACCOUNT-005',
    title: 'No stale pulse-proxy account is left from an old install',
    severity: 'low',
    profiles: ['pulse-proxy'],
    tags: ['pulse-proxy', 'account'],
    rationale:
      'Early installs ran the proxy as pulse-proxy. An account left behind keeps owning whatever it owned (old keys, ' +
      'state directories, crontabs) and shows up in no hardening review because nothing is supposed to use it.',
    remediation:
      'find / -xdev -user pulse-proxy to see what it still owns, move or remove that, then userdel pulse-proxy.',
    reference:
      'Pulse, "Pulse Temperature Proxy - Security Hardening Guide", "Suspected Compromise Checklist" (no persistence); pcp-harden issue 6',
    example: {
      fail: 'pulse-proxy:x:996:996::/var/lib/pulse-proxy:/usr/sbin/nologin',
      pass: '(no pulse-proxy line in /etc/passwd)',
    },
  },
  () => `no ${STALE_PROXY_USER} account`,
)
