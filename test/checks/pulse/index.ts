import * as container from './container.js'
import * as keys from './keys.js'
import * as lxc from './lxc.js'
import * as proxy from './proxy.js'
import * as unit from './unit.js'

export type {ExpectedFailure, PulseBreak} from './break.js'

const FAMILIES = [proxy, unit, keys, lxc, container]

/** The seed tree entries of the Pulse proxy, Proxmox host and container families. */
export const PULSE_ENTRIES = FAMILIES.map((f) => f.ENTRIES.trimEnd())
  .filter((e) => e !== '')
  .join('\n')

/** Every break of the Pulse families, run by test/checks/pulse-breaks.test.ts. */
export const PULSE_BREAKS = FAMILIES.flatMap((f) => f.BREAKS)
