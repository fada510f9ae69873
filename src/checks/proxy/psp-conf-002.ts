import {proxyConfigCheck} from './config-check.js'
import {WIDEST_PREFIX} from './config-analysis.js'

export const check = proxyConfigCheck(
  {
    id: 'PSP-CONF-002',
    title: 'allowed_source_subnets is no wider than the cluster (no 0.0.0.0/0 or ::/0)',
    severity: 'high',
    profiles: ['pulse-proxy'],
    tags: ['pulse-proxy', 'config', 'ssh'],
    rationale:
      "allowed_source_subnets becomes the from= of the proxy's key in every node's /root/.ssh/authorized_keys: " +
      'the addresses the key is accepted from. 0.0.0.0/0 or ::/0 removes that restriction, so a stolen key works ' +
      `from anywhere. Prefixes wider than /${WIDEST_PREFIX.v4} (IPv4) or /${WIDEST_PREFIX.v6} (IPv6) are reported too: a /8 ` +
      "is the widest private block (the Pulse proxy hardening guide's own VPN example), and a /32 the smallest IPv6 block a registry gives one provider.",
    remediation:
      'List the subnets the proxy hosts really connect from, e.g. allowed_source_subnets: ["192.168.0.0/24"], ' +
      'then push the keys again (pcp-harden rotate-keys) so the nodes get the narrower from=.',
    reference:
      'Pulse, "Pulse Temperature Proxy - Security Hardening Guide", "Configure allowed subnets" and Pulse 4.x cmd/pulse-sensor-proxy and scripts/install-sensor-proxy.sh',
    example: {
      fail: 'allowed_source_subnets:\n  - "0.0.0.0/0"',
      pass: 'allowed_source_subnets:\n  - "192.168.0.0/24"\n  - "10.0.0.0/8"',
    },
  },
  (a) => {
    const subnets = (a.conf.allowedSourceSubnets?.value ?? []).map((s) => s.value.trim()).filter(Boolean)
    return subnets.length > 0
      ? `allowed_source_subnets: ${subnets.join(', ')}`
      : 'no subnet to judge (auto-detected host addresses, see PSP-CONF-003)'
  },
)
