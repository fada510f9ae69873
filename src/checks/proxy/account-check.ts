import type {Check, CheckMeta} from '../types.js'
import {familyCheck} from '../family.js'
import {analyzeAccount, type AccountAnalysis} from './account-analysis.js'

/** A check of the proxy's service account, passing with what it saw. */
export function accountCheck(meta: CheckMeta, pass: (a: AccountAnalysis) => string): Check {
  return familyCheck(meta, analyzeAccount, (analysis) => ({path: '/etc/passwd', message: pass(analysis)}))
}

/** What the later checks say when there is no account to judge (PSP-ACCOUNT-001 reports that). */
export const NO_ACCOUNT = 'no pulse-sensor-proxy account to judge (see PSP-ACCOUNT-001)'
