import {familyCheck} from '../family.js'
import type {Check, CheckMeta} from '../types.js'
import {analyzeVulnerabilities} from './analysis.js'

/** A check over the installed pcp package's known vulnerabilities. */
export function vulnCheck(meta: CheckMeta, passMessage: string): Check {
  return familyCheck(meta, analyzeVulnerabilities, ({pcp}) => ({
    path: pcp.source.path,
    message: `pcp ${pcp.version} (${pcp.manager}): ${passMessage}`,
  }))
}
