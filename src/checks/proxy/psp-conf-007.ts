import {proxyConfigCheck} from './config-check.js'

export const check = proxyConfigCheck(
  {
    id: 'PSP-CONF-007',
    title: 'The control plane is reached over verified HTTPS',
    severity: 'high',
    profiles: ['pulse-proxy'],
    tags: ['pulse-proxy', 'config', 'tls'],
    rationale:
      'The proxy polls Pulse (pulse_control_plane.url) for the nodes it may reach, sending its control-plane token. ' +
      'Over http:// the token and the node list travel in clear and can be changed in transit; with ' +
      'insecure_skip_verify: true any certificate is accepted, which is the same against an active attacker.',
    remediation:
      'pulse_control_plane.url: https://pulse.example.com:7655 with a certificate the node trusts, and ' +
      'insecure_skip_verify: false (or removed).',
    reference:
      'ControlPlaneConfig in cmd/pulse-sensor-proxy/config.go and docs/PROXY_CONTROL_PLANE.md (rcourtman/Pulse)',
    example: {
      fail: 'pulse_control_plane:\n  url: http://pulse:7655\n  insecure_skip_verify: true',
      pass: 'pulse_control_plane:\n  url: https://pulse.example.com:7655',
    },
  },
  (a) =>
    a.conf.pulseControlPlane
      ? `the control plane is ${a.conf.pulseControlPlane.url?.value ?? 'not given a URL'}, verified`
      : 'no control plane is configured',
)
