import {proxyConfigCheck} from './config-check.js'

export const check = proxyConfigCheck(
  {
    id: 'PSP-CONF-004',
    title: 'No peer uid or gid list grants admin RPCs beyond root and the proxy itself',
    severity: 'high',
    profiles: ['pulse-proxy'],
    tags: ['pulse-proxy', 'config', 'socket', 'privilege'],
    rationale:
      'The proxy authenticates callers of its socket with SO_PEERCRED. uid 0, gid 0 and its own uid and gid always ' +
      'get every capability. Each uid in allowed_peer_uids (unless allowed_peers gives it fewer capabilities) and ' +
      'every process whose group is in allowed_peer_gids get every capability too, admin included: the RPCs that ' +
      "push keys to the cluster nodes and register nodes. A container's mapped root uid there gives whoever is root " +
      "in that container control of the proxy's root SSH access. The container needs only read, which " +
      'allow_idmapped_root gives.',
    remediation:
      'Remove the uids and gids from allowed_peer_uids / allowed_peer_gids; give a peer that needs more than read ' +
      'an allowed_peers entry ({uid: N, capabilities: [read]}) instead.',
    reference:
      'Pulse 4.x cmd/pulse-sensor-proxy and scripts/install-sensor-proxy.sh; initAuthRules/authorizePeer in cmd/pulse-sensor-proxy/auth.go',
    example: {
      fail: 'allowed_peer_uids: [100000]',
      pass: 'allowed_peers:\n  - {uid: 1000, capabilities: [read]}',
    },
  },
  'only root and the proxy itself have the admin capability',
)
