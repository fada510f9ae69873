import type {Check, CheckMeta} from '../types.js'
import {familyCheck} from '../family.js'
import {analyzePmproxy} from './analysis.js'

/** A check over pmproxy's configuration files. */
export function pmproxyCheck(meta: CheckMeta, passMessage: string): Check {
  return familyCheck(meta, analyzePmproxy, (analysis) => ({
    path: analysis.files.find((f) => f.state === 'present')?.path ?? analysis.evidence,
    message: passMessage,
  }))
}
