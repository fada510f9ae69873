import {proxyConfigCheck} from './config-check.js'

export const check = proxyConfigCheck(
  {
    id: 'PSP-CONF-008',
    title: 'config.yaml loads: no duplicate key, no value of the wrong type, no invalid subnet',
    severity: 'high',
    profiles: ['pulse-proxy'],
    tags: ['pulse-proxy', 'config', 'availability'],
    rationale:
      'The proxy decodes config.yaml with yaml.v3 into a typed struct: a key written twice (as concurrent ' +
      'installer and self-heal runs left them), a quoted uid or a word where a boolean belongs, or a subnet that is ' +
      'not an address or CIDR makes it refuse the file and exit. Temperatures stop, and admins under pressure tend ' +
      'to "fix" it by loosening the unit or the config.',
    remediation:
      'Keep one of each key (pulse-sensor-proxy config validate shows the same errors), unquoted numbers in the ' +
      'uid/gid lists, true/false for booleans; then systemctl restart pulse-sensor-proxy.',
    reference:
      'Pulse 4.x cmd/pulse-sensor-proxy (duplicate keys crashed the daemon); loadConfig in cmd/pulse-sensor-proxy/config.go',
    example: {
      fail: 'metrics_address: "127.0.0.1:9127"\nmetrics_address: "127.0.0.1:9127"',
      pass: 'metrics_address: "127.0.0.1:9127"',
    },
  },
  'the proxy can decode every setting',
)
