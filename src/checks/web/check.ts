import {familyCheck} from '../family.js'
import type {Check, CheckMeta} from '../types.js'
import {analyzeWebFrontEnd} from './analysis.js'

/** A check over the nginx sites that proxy to pmproxy. */
export function webCheck(meta: CheckMeta, passMessage: string): Check {
  return familyCheck(meta, analyzeWebFrontEnd, ({locations}) => ({
    path: locations[0]?.location.file ?? '/etc/nginx',
    message: passMessage,
  }))
}
