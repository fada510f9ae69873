import {analyzeAccess} from '../checks/access/analysis.js'
import {analyzePmcd} from '../checks/pmcd/analysis.js'
import {analyzePmproxy} from '../checks/pmproxy/analysis.js'
import type {Host} from '../host/host.js'
import {pmcdRemoteStore, pmproxyReachability} from '../net/exposure.js'
import {effectiveSettings, lookupSetting} from '../parsers/pmproxy-conf.js'
import {decide} from '../pcp/policy.js'
import {ipFamily} from '../net/ip.js'

/** Whether a flaw is reachable on this host as configured, and why in one phrase. */
export interface Exposure {
  exposed: boolean
  why: string
}

const KEY_SERVER_BINARIES = [
  '/usr/bin/redis-server',
  '/usr/sbin/redis-server',
  '/usr/bin/valkey-server',
  '/usr/sbin/valkey-server',
]

const isLoopbackHost = (name: string) =>
  name === 'localhost' || name === '::1' || (ipFamily(name) === 4 && name.startsWith('127.'))

/** `host:port` or `[v6]:port` to the host. */
function hostOf(server: string): string {
  const bracket = /^\[([^\]]+)\]/.exec(server)
  if (bracket) return bracket[1] as string
  return server.split(':')[0] ?? server
}

/**
 * Whether pmproxy relays RESP commands to a key server: its relay is on ([pmproxy] redis.enabled
 * = true), key-server support is not off ([keys] or [redis] enabled = false) and a server is there to relay to: one named on
 * another host, or a Redis/Valkey server installed on this one for a loopback name.
 */
export async function pmproxyRelaysToKeyServer(host: Host): Promise<Exposure> {
  const pmproxy = await analyzePmproxy(host)
  if (pmproxy.state !== 'judged') return {exposed: false, why: 'pmproxy is not configured'}
  const settings = effectiveSettings(pmproxy.files.flatMap((f) => (f.state === 'present' ? [f.conf] : [])))
  // pmproxy 6.0.3 runs its RESP relay only with [pmproxy] redis.enabled = true (seen: unset, a PING
  // to pmproxy gets nothing back even with a key server up); Debian ships it true.
  const module = ['redis.enabled', 'resp.enabled', 'keys.enabled']
    .map((key) => lookupSetting(settings, 'pmproxy', key))
    .find((s) => s !== undefined)
  if (!module || module.value.trim() !== 'true')
    return {
      exposed: false,
      why: module
        ? `[pmproxy] ${module.key} = ${module.value} (${module.file} line ${module.line}): the RESP relay is off`
        : '[pmproxy] redis.enabled is not set: the RESP relay is off',
    }
  for (const section of ['keys', 'redis', 'resp']) {
    const enabled = lookupSetting(settings, section, 'enabled')
    if (enabled && enabled.value.trim() === 'false')
      return {exposed: false, why: `[${section}] enabled = false (${enabled.file} line ${enabled.line})`}
  }
  const setting = lookupSetting(settings, 'keys', 'servers') ?? lookupSetting(settings, 'redis', 'servers')
  const servers = (setting?.value ?? 'localhost:6379')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
  const remote = servers.find((s) => !isLoopbackHost(hostOf(s)))
  if (remote) return {exposed: true, why: `pmproxy relays to the key server ${remote}`}
  for (const binary of KEY_SERVER_BINARIES)
    if (await host.exists(binary))
      return {exposed: true, why: `pmproxy relays to the local key server (${binary} is installed)`}
  return {exposed: false, why: `no key server is installed for ${servers.join(', ')}`}
}

/** CVE-2024-3019's condition: pmproxy reachable from the network and relaying to a key server. */
export async function respRelayExposure(host: Host): Promise<Exposure> {
  const reachable = await pmproxyReachability(host)
  if (!reachable.exposed) return reachable
  const relay = await pmproxyRelaysToKeyServer(host)
  return {exposed: relay.exposed, why: `${reachable.why}; ${relay.why}`}
}

/**
 * Whether a client that is not on this host may store into pmcd: directly (pmcd listens on the
 * network, the firewall lets it in and pmcd's rules allow store from it) or through a reachable
 * pmproxy (which pmcd sees as local).
 */
export async function remoteStoreExposure(host: Host): Promise<Exposure> {
  const access = await analyzeAccess(host)
  const policy = access && !('error' in access) ? access.lint.policy : undefined
  const pmcd = await analyzePmcd(host)
  if (!pmcd || 'error' in pmcd || !policy) return {exposed: false, why: 'pmcd is not configured to start'}
  const direct = await pmcdRemoteStore(host)
  if (direct?.exposed) return {exposed: true, why: `pmcd listens on the network and ${direct.why}`}
  const pmproxy = await pmproxyReachability(host)
  if (pmproxy.exposed && decide(policy, '127.0.0.1', 'store').allowed)
    return {exposed: true, why: `${pmproxy.why}, and pmcd lets local clients (pmproxy) store`}
  return {exposed: false, why: 'only local clients may store into pmcd'}
}
