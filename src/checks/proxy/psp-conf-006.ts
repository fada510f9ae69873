import {proxyConfigCheck} from './config-check.js'

export const check = proxyConfigCheck(
  {
    id: 'PSP-CONF-006',
    title: "The proxy's tokens are not readable by other users",
    severity: 'high',
    profiles: ['pulse-proxy'],
    tags: ['pulse-proxy', 'config', 'secrets'],
    rationale:
      "http_auth_token is the bearer token of the proxy's HTTP API (http_enabled), and the control-plane token " +
      '(pulse_control_plane.token_file) authenticates it to Pulse. Written inline in a config.yaml every user can ' +
      'read (the installer leaves it 0644), or in a token file others can read, they let any local user call the ' +
      'API or pose as the proxy.',
    remediation:
      'chown root:pulse-sensor-proxy /etc/pulse-sensor-proxy/config.yaml && chmod 0640 ' +
      '/etc/pulse-sensor-proxy/config.yaml (likewise the token file), then replace the token: it may have been copied.',
    reference:
      'Pulse 4.x cmd/pulse-sensor-proxy and scripts/install-sensor-proxy.sh; Config in cmd/pulse-sensor-proxy/config.go',
    example: {
      fail: '-rw-r--r-- root root config.yaml containing http_auth_token: s3cret',
      pass: '-rw-r----- root pulse-sensor-proxy config.yaml containing http_auth_token: s3cret',
    },
  },
  'no token can be read by other users',
)
