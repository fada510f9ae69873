import type {Check, CheckMeta} from '../types.js'
import {familyCheck} from '../family.js'
import {analyzeProxyState, type StateAnalysis} from './proxy-state.js'
import {PROXY_STATE_DIR} from './rules.js'

/** A check over the proxy's state directory and the service user's cron jobs. */
export function proxyStateCheck(
  meta: CheckMeta,
  pass: string | ((a: StateAnalysis) => string),
  path = PROXY_STATE_DIR,
): Check {
  return familyCheck(meta, analyzeProxyState, (analysis) => ({
    path,
    message: typeof pass === 'string' ? pass : pass(analysis),
  }))
}
