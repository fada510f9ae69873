import type {Check, CheckMeta} from '../types.js'
import {familyCheck} from '../family.js'
import {analyzeLegacy, PROXY_STATE} from './analysis.js'

/** A check of what the removed (or still installed) pulse-sensor-proxy leaves on a host. */
export function legacyCheck(meta: CheckMeta, passMessage: (installed: string[]) => string): Check {
  return familyCheck(meta, analyzeLegacy, (analysis) => ({
    path: analysis.installed[0] ?? PROXY_STATE,
    message: passMessage(analysis.installed),
  }))
}

/** The pass message of a leftover check: nothing left, or the proxy is still installed. */
export const leftoverPass = (what: string) => (installed: string[]) =>
  installed.length > 0
    ? `the proxy is still installed (${installed[0]}): its ${what} are judged by the PSP checks until it is retired`
    : `no ${what} of the removed proxy left`
