/** The files `unit write` renders; no dependencies, so commands can name them without loading eta. */
export const UNIT_DIR = '/etc/systemd/system'

/** The units `unit write` renders, by the name given on the command line, in writing order. */
export const UNIT_NAMES = [
  'pulse-sensor-proxy.service',
  'lxc-access.conf',
  'pulse-sensor-proxy-rotate-keys.service',
  'pulse-sensor-proxy-rotate-keys.timer',
] as const

export type UnitName = (typeof UNIT_NAMES)[number]

/** Host path of each rendered file: the drop-in lives in the service's .d directory. */
export const UNIT_PATHS: Record<UnitName, string> = {
  'pulse-sensor-proxy.service': `${UNIT_DIR}/pulse-sensor-proxy.service`,
  'lxc-access.conf': `${UNIT_DIR}/pulse-sensor-proxy.service.d/lxc-access.conf`,
  'pulse-sensor-proxy-rotate-keys.service': `${UNIT_DIR}/pulse-sensor-proxy-rotate-keys.service`,
  'pulse-sensor-proxy-rotate-keys.timer': `${UNIT_DIR}/pulse-sensor-proxy-rotate-keys.timer`,
}

/** The units `unit write --audit-timer` renders: an hourly verify into the textfile directory. */
export const AUDIT_UNIT_NAMES = ['pcp-harden-audit.service', 'pcp-harden-audit.timer'] as const

export type AuditUnitName = (typeof AUDIT_UNIT_NAMES)[number]

/** Where node_exporter's textfile collector reads on Debian (prometheus-node-exporter). */
export const DEFAULT_TEXTFILE_DIR = '/var/lib/prometheus/node-exporter'
