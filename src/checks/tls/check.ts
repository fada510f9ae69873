import type {Check, CheckMeta} from '../types.js'
import {analyzeTls} from './analysis.js'
import {familyCheck} from '../family.js'

/** A check over the collector's tls.conf. */
export function tlsCheck(meta: CheckMeta, passMessage: string): Check {
  return familyCheck(meta, analyzeTls, (analysis) => ({path: analysis.path, message: passMessage}))
}
