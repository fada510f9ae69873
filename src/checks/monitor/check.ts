import type {Check, CheckMeta} from '../types.js'
import {familyCheck} from '../family.js'
import {analyzeMonitor} from './analysis.js'

/** A check over the PCP client configuration of the host's users. */
export function monitorCheck(meta: CheckMeta, passMessage: string): Check {
  return familyCheck(meta, analyzeMonitor, (analysis) => ({path: analysis.subject, message: passMessage}))
}
