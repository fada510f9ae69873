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
