import {PROXY_DEFAULTS_FILE} from './analysis.js'
import {unitCheck} from './check.js'

export const check = unitCheck(
  {
    id: 'PSP-UNIT-007',
    title: '/etc/default/pulse-sensor-proxy is loaded by the unit, or absent',
    severity: 'low',
    profiles: ['pulse-proxy'],
    tags: ['pulse-proxy', 'systemd', 'config'],
    rationale:
      'The Pulse proxy hardening guide says /etc/default/pulse-sensor-proxy is "loaded by systemd" and that ' +
      'PULSE_SENSOR_PROXY_ALLOWED_SUBNETS there restricts the SSH keys; the shipped unit has no EnvironmentFile=, ' +
      'so the file is inert: the admin believes a restriction is in force that the proxy never sees. When the ' +
      'unit does load it, the passing result names what it sets.',
    remediation:
      'Put the settings in /etc/pulse-sensor-proxy/config.yaml (allowed_source_subnets) and remove the file, or ' +
      'load it with EnvironmentFile=-/etc/default/pulse-sensor-proxy in [Service].',
    reference:
      'Pulse, "Pulse Temperature Proxy - Security Hardening Guide", "Configure allowed subnets"; Pulse 4.x scripts/install-sensor-proxy.sh (the unit has no EnvironmentFile=)',
    example: {
      fail: '# /etc/default/pulse-sensor-proxy, and no EnvironmentFile= in the unit\nPULSE_SENSOR_PROXY_ALLOWED_SUBNETS="10.0.0.0/8"',
      pass: '[Service]\nEnvironmentFile=-/etc/default/pulse-sensor-proxy',
    },
  },
  ({defaults}) => {
    if (!defaults?.present) return `no ${PROXY_DEFAULTS_FILE}`
    const by = defaults.loadedBy as {file: string; line: number}
    const names = defaults.variables.map((v) => `${v.name} (line ${v.line})`)
    return (
      `${PROXY_DEFAULTS_FILE} is loaded by ${by.file}:${by.line}; it sets ` +
      (names.length > 0 ? names.join(', ') : 'nothing')
    )
  },
  false,
)
