import type {Check, CheckMeta} from '../types.js'
import {analyzeKeys} from './analysis.js'
import {analyzeProxyKey} from './proxy-key.js'
import {familyCheck} from '../family.js'

/** A check over the authorized_keys files of every user under the root. */
export function keysCheck(meta: CheckMeta, passMessage: string): Check {
  return familyCheck(meta, analyzeKeys, (analysis) => ({
    path: analysis.files[0] as string,
    message: `${passMessage} (${analysis.files.join(', ')})`,
  }))
}

/** A check of the proxy's own active key. */
export function proxyKeyCheck(
  meta: CheckMeta,
  passMessage: (a: {ageDays: number; type: string}) => string,
): Check {
  return familyCheck(meta, analyzeProxyKey, (analysis) => ({
    path: analysis.path,
    message: passMessage(analysis),
  }))
}
