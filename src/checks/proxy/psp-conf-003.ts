import {proxyConfigCheck} from './config-check.js'

export const check = proxyConfigCheck(
  {
    id: 'PSP-CONF-003',
    title: 'allowed_source_subnets is set explicitly (not auto-detected)',
    severity: 'low',
    profiles: ['pulse-proxy'],
    tags: ['pulse-proxy', 'config', 'ssh'],
    rationale:
      'With no allowed_source_subnets the proxy takes the addresses its host has when it starts (loopback and ' +
      'link-local left out) as /32 and /128 entries of from=. That is narrow, but it follows whatever addresses ' +
      'the host has at that moment: after a readdressing the nodes refuse the key, and an address handed to ' +
      'another machine keeps being trusted. /etc/default/pulse-sensor-proxy cannot add subnets: no shipped unit loads it.',
    remediation:
      'allowed_source_subnets: ["<the proxy hosts\' subnet>/24"] in /etc/pulse-sensor-proxy/config.yaml, ' +
      'then systemctl restart pulse-sensor-proxy and push the keys again.',
    reference:
      'Pulse, "Pulse Temperature Proxy - Security Hardening Guide", "Auto-detection" and detectHostCIDRs in cmd/pulse-sensor-proxy/config.go',
    example: {
      fail: 'metrics_address: "127.0.0.1:9127"',
      pass: 'allowed_source_subnets:\n  - "192.168.0.0/24"',
    },
  },
  (a) => `allowed_source_subnets lists ${a.conf.allowedSourceSubnets?.value.length ?? 0} subnet(s)`,
)
