import {type FixPlan, withRemedy} from '../remedy.js'
import type {Host} from '../../host/host.js'
import type {CheckResult} from '../types.js'

export const UID_MAP = '/proc/self/uid_map'
/** AppArmor's own attribute (kernels with LSM stacking), then the shared one older kernels have. */
export const APPARMOR_ATTRS = ['/proc/self/attr/apparmor/current', '/proc/self/attr/current']
export const CONTAINER_SOCKET = '/mnt/pulse-proxy/pulse-sensor-proxy.sock'

/**
 * Whether the root is a running container seen from inside (its /proc is mounted), or an offline
 * image, where the kernel's view of the container (id maps, AppArmor, mounts) cannot be read.
 */
export async function offlineImage(host: Host): Promise<boolean> {
  return !(await host.exists('/proc/self'))
}

export function offlineSkip(what: string): CheckResult[] {
  return [
    {
      status: 'skip',
      message:
        `undecided: no /proc/self under the root (an offline image, not a running container), so ${what} ` +
        'cannot be seen; run pcp-harden verify inside the running container',
    },
  ]
}

/** The placeholder of this container's id on its Proxmox host: the container cannot know it. */
export const CONTAINER_ID_PLACEHOLDER = '<ID-OF-THIS-CONTAINER>'

/**
 * A container's fix is made on its Proxmox host, in its config, with its id: always manual, with the
 * exact host command and the id to fill in (`pct list` on the host names it).
 */
export function onTheHost(command: string, why: string): {remedy: FixPlan; fix: string} {
  return withRemedy({
    kind: 'manual',
    command,
    why: `run on the Proxmox host, with this container's id (pct list shows it) in place of ${CONTAINER_ID_PLACEHOLDER}: ${why}`,
  })
}
