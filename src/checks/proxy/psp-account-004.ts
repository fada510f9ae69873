import {accountCheck, NO_ACCOUNT} from './account-check.js'

export const check = accountCheck(
  {
    id: 'PSP-ACCOUNT-004',
    title: 'The service account has a group of its own, shared with nobody, and no group but www-data',
    severity: 'medium',
    profiles: ['pulse-proxy'],
    tags: ['pulse-proxy', 'account', 'secrets'],
    rationale:
      "The proxy's public keys and state are group-readable (0640, 0750) by the group pulse-sensor-proxy, which " +
      'useradd --user-group makes for the account alone. Another user in that group, or with it as primary group, ' +
      'reads what only the proxy should; a primary group of gid 0 gives the account root-group access to files, and ' +
      "the proxy treats callers in gid 0 as admin. Pulse's installer adds it to www-data (usermod -aG www-data, for " +
      'pvecm on the Proxmox cluster IPC): that is expected. Other groups (adm, docker, lxd, sudo ...) widen what the ' +
      'key holder can do.',
    remediation:
      'gpasswd --delete pulse-sensor-proxy GROUP for each extra group but www-data (pvecm needs it); gpasswd ' +
      '--delete USER pulse-sensor-proxy for each other member; a wrong primary group: groupadd --system ' +
      'pulse-sensor-proxy && usermod --gid pulse-sensor-proxy pulse-sensor-proxy.',
    reference:
      'Pulse, "Pulse Temperature Proxy - Security Hardening Guide", Create service account and File Permissions; ' +
      'Pulse 4.x scripts/install-sensor-proxy.sh (usermod -aG www-data pulse-sensor-proxy)',
    example: {
      fail: 'pulse-sensor-proxy:x:997:alice   (in /etc/group)',
      pass: 'pulse-sensor-proxy:x:997:',
    },
  },
  (a) => (a.account ? `pulse-sensor-proxy is alone in its group ${a.account.gid ?? ''}` : NO_ACCOUNT),
)
