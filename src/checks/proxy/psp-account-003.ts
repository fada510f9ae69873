import {accountCheck, NO_ACCOUNT} from './account-check.js'

export const check = accountCheck(
  {
    id: 'PSP-ACCOUNT-003',
    title: 'The service account has no home it can use',
    severity: 'medium',
    profiles: ['pulse-proxy'],
    tags: ['pulse-proxy', 'account', 'ssh'],
    rationale:
      'The installer creates the account with --no-create-home: its home (/home/pulse-sensor-proxy by default, or ' +
      '/nonexistent) does not exist. A home the account owns or can write, or can create because it may write the ' +
      "parent, is where ssh reads ~/.ssh/config and known_hosts for the proxy's logins to the nodes (a ProxyCommand " +
      'there runs with its key) and where dotfiles persist.',
    remediation:
      'usermod --home /nonexistent pulse-sensor-proxy (and remove a home directory it owns), or make the home ' +
      'root-owned and not writable by it.',
    reference:
      'Pulse, "Pulse Temperature Proxy - Security Hardening Guide", "Create service account" (useradd --no-create-home)',
    example: {
      fail: 'pulse-sensor-proxy:x:997:997::/home/pulse-sensor-proxy:/usr/sbin/nologin   (drwxr-xr-x pulse-sensor-proxy)',
      pass: 'pulse-sensor-proxy:x:997:997::/nonexistent:/usr/sbin/nologin',
    },
  },
  (a) => (a.account ? `the home ${a.account.home ?? ''} is not usable by the account` : NO_ACCOUNT),
)
