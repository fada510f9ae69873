import {proxyConfigCheck} from './config-check.js'

export const check = proxyConfigCheck(
  {
    id: 'PSP-CONF-010',
    title: "The proxy's HTTPS mode has its token, certificate and key, and keeps them private",
    severity: 'low',
    profiles: ['pulse-proxy'],
    tags: ['pulse-proxy', 'config', 'secrets', 'tls'],
    rationale:
      'http_enabled: true needs http_auth_token, http_tls_cert and http_tls_key: without one of them the proxy ' +
      'refuses its configuration and does not start (its Unix socket included); a certificate or key file that ' +
      'does not exist leaves the HTTPS server unable to serve. The installer keeps the key 0640 root:pulse-sensor-proxy in ' +
      '/etc/pulse-sensor-proxy/tls (0750) and a copy of the token in /etc/pulse-sensor-proxy/.http-auth-token, 0600 ' +
      'pulse-sensor-proxy: a key others can read lets them pose as the HTTPS endpoint, and the token lets a host ' +
      "inside allowed_source_subnets read the nodes' sensors.",
    remediation:
      'Set http_auth_token, http_tls_cert and http_tls_key (the installer uses /etc/pulse-sensor-proxy/tls/server.crt ' +
      'and server.key), or set http_enabled: false; chown root:pulse-sensor-proxy on the key and chmod 0640; chmod 0600 ' +
      'the token copy.',
    reference:
      'Pulse 4.x cmd/pulse-sensor-proxy/config.go ("http_enabled=true requires ...") and http_server.go; ' +
      'scripts/install-sensor-proxy.sh (setup_tls_certificates, .http-auth-token)',
    example: {
      fail: 'http_enabled: true with no http_tls_key',
      pass: 'http_enabled: true, http_tls_cert and http_tls_key naming 0640 root:pulse-sensor-proxy files, and http_auth_token',
    },
  },
  (a) =>
    a.conf.httpEnabled?.value === true
      ? 'the HTTPS mode has its token, certificate and key, and none can be read by other users'
      : 'the HTTPS mode is off (http_enabled is not true)',
)
