import type {Check, CheckMeta} from '../types.js'
import {familyCheck} from '../family.js'
import {analyzeProxyConfig, type ConfigAnalysis} from './config-analysis.js'

/** A check over /etc/pulse-sensor-proxy/config.yaml; the pass message may depend on what was read. */
export function proxyConfigCheck(meta: CheckMeta, pass: string | ((a: ConfigAnalysis) => string)): Check {
  return familyCheck(meta, analyzeProxyConfig, (analysis) => ({
    path: analysis.path,
    message:
      (typeof pass === 'string' ? pass : pass(analysis)) +
      (analysis.present ? '' : ' (no config.yaml: the proxy uses its defaults)'),
  }))
}
