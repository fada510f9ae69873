import type {Check, CheckMeta} from '../types.js'
import {analyzeLxc} from './analysis.js'
import {familyCheck} from '../family.js'

/** A check over every container config of a Proxmox host; the pass message is given the number of configs. */
export function lxcCheck(meta: CheckMeta, passMessage: (configs: number) => string): Check {
  return familyCheck(meta, analyzeLxc, (analysis) => ({
    path: analysis.path,
    message: passMessage(analysis.configs),
  }))
}

/** `1 container config`, `3 container configs`. */
export const configsText = (n: number) => `${n} container config${n === 1 ? '' : 's'}`
