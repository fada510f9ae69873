import {InputError} from '../engine/errors.js'
import {renderTemplate} from './templates.js'
import {AUDIT_UNIT_NAMES, type AuditUnitName, UNIT_DIR, UNIT_PATHS, type UnitName} from './unit-names.js'
import {ipFamily} from '../net/ip.js'

export interface UnitOptions {
  /** The proxy's executable (absolute). */
  binary: string
  user: string
  group: string
  /** The proxy's config.yaml (absolute). */
  config: string
  /** CIDRs for IPAddressAllow= (with IPAddressDeny=any); empty: no IP restriction. */
  allowedSubnets: string[]
  /** The pcp-harden executable the rotation service runs (absolute). */
  pcpHarden: string
}

export const DEFAULT_UNIT_OPTIONS: UnitOptions = {
  binary: '/usr/local/bin/pulse-sensor-proxy',
  user: 'pulse-sensor-proxy',
  group: 'pulse-sensor-proxy',
  config: '/etc/pulse-sensor-proxy/config.yaml',
  allowedSubnets: [],
  pcpHarden: '/usr/bin/pcp-harden',
}

/**
 * An absolute path systemd takes as one word in ExecStart= and one value elsewhere: no blanks,
 * quotes, backslashes, `%` specifiers, `$` expansions or control characters.
 */
export function checkUnitPath(flag: string, value: string): string {
  // eslint-disable-next-line no-control-regex
  if (!value.startsWith('/') || /[\s"'\\%$;\x00-\x1f\x7f]/.test(value))
    throw new InputError(
      `--${flag} ${JSON.stringify(value)}: expected an absolute path without blanks, quotes, %, $ or ;`,
    )
  return value
}

/** A user or group name as useradd accepts it (and systemd's User= takes it). */
export function checkAccountName(flag: string, value: string): string {
  if (!/^[a-z_][a-z0-9_-]{0,30}\$?$/.test(value))
    throw new InputError(`--${flag} ${JSON.stringify(value)}: expected a user name like pulse-sensor-proxy`)
  return value
}

/** One CIDR (or a bare address) as IPAddressAllow= takes it, normalised to address/prefix. */
export function checkCidr(value: string): string {
  const [address = '', prefix, ...rest] = value.trim().split('/')
  const family = ipFamily(address)
  const max = family === 4 ? 32 : 128
  const bits = prefix === undefined ? max : /^\d{1,3}$/.test(prefix) ? Number(prefix) : Number.NaN
  if (family === 0 || rest.length > 0 || !(bits >= 0 && bits <= max))
    throw new InputError(`--allowed-subnets ${JSON.stringify(value)}: not an IPv4 or IPv6 address/prefix`)
  return `${address}/${bits}`
}

/** The text of each selected unit, by host path. */
export function renderUnits(
  names: readonly UnitName[],
  options: UnitOptions,
): {name: UnitName; path: string; content: string}[] {
  return names.map((name) => ({
    name,
    path: UNIT_PATHS[name],
    // The names end in a unit suffix, so the template is named in full.
    content: renderTemplate(`${name}.eta`, options),
  }))
}

/** The hourly audit's service and timer, by host path. */
export function renderAuditUnits(options: {
  pcpHarden: string
  textfileDir: string
}): {name: AuditUnitName; path: string; content: string}[] {
  return AUDIT_UNIT_NAMES.map((name) => ({
    name,
    path: `${UNIT_DIR}/${name}`,
    content: renderTemplate(`${name}.eta`, options),
  }))
}

/**
 * Prometheus alerting rules: the Pulse proxy's (job `proxyJob`) and pcp-harden's own, whose audit
 * counts as stale after `staleSeconds` (the hourly timer, missed twice).
 */
export function renderAlertRules(options: {proxyJob: string; staleSeconds: number}): string {
  return renderTemplate('pcp-harden.rules.yml.eta', options)
}
