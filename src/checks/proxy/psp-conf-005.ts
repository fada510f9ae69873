import {proxyConfigCheck} from './config-check.js'

export const check = proxyConfigCheck(
  {
    id: 'PSP-CONF-005',
    title: "ID-mapped root access is limited to root's containers",
    severity: 'low',
    profiles: ['pulse-proxy'],
    tags: ['pulse-proxy', 'config', 'socket', 'lxc'],
    rationale:
      'allow_idmapped_root is true by default: any peer whose uid and gid lie in the subordinate ranges of the ' +
      'users in allowed_idmap_users (default: root, i.e. every unprivileged container on the node, not only ' +
      "Pulse's) may read temperatures. That is what the Pulse container needs. Adding another user to " +
      'allowed_idmap_users lets that user, who can enter a user namespace with their own /etc/subuid range ' +
      'without any privilege, read from the proxy too.',
    remediation:
      'allowed_idmap_users: [root] (or remove the key); set allow_idmapped_root: false and list the container in ' +
      'allowed_peers with capabilities [read] to admit only it.',
    reference:
      'Pulse 4.x cmd/pulse-sensor-proxy and scripts/install-sensor-proxy.sh; isIDMappedRoot in cmd/pulse-sensor-proxy/auth.go',
    example: {fail: 'allowed_idmap_users: [root, alice]', pass: 'allowed_idmap_users: [root]'},
  },
  (a) =>
    a.conf.allowIdmappedRoot?.value === false
      ? 'allow_idmapped_root is false: no ID-mapped peer is admitted'
      : "allow_idmapped_root is true (the default): every container in root's subordinate uid range may read temperatures, nothing more",
)
