import {familyCheck} from '../family.js'
import type {Check, CheckMeta} from '../types.js'
import {analyzeWebFrontEnd} from './analysis.js'

/** A check over the nginx sites that proxy to pmproxy; `withSyntax`: its pass says what nginx -t said. */
export function webCheck(meta: CheckMeta, passMessage: string, withSyntax = false): Check {
  return familyCheck(meta, analyzeWebFrontEnd, ({locations, syntax}) => ({
    path: locations[0]?.location.file ?? '/etc/nginx',
    message: withSyntax ? `${passMessage} (${syntax})` : passMessage,
  }))
}
