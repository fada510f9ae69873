import type {Host} from '../../host/host.js'
import {type AccessFinding, accessFindings} from '../../pcp/access-findings.js'
import {type AccessLint, lintHostAccess, PMCD_CONF} from '../../pcp/lint.js'
import {familyCheck, type Outcome, perHost} from '../family.js'
import type {Check, CheckMeta} from '../types.js'

type Analysis = {lint: AccessLint; findings: AccessFinding[]}

/** The root's pmcd access configuration, linted once per host however many checks ask. */
export const analyzeAccess = perHost(
  async (host: Host): Promise<Analysis | {error: string; file: string} | undefined> => {
    const lint = await lintHostAccess(host, host.live)
    if (!lint || 'error' in lint) return lint
    return {lint, findings: accessFindings(lint)}
  },
)

const outcome = async (host: Host): Promise<Outcome<{lint: AccessLint}>> => {
  const analysis = await analyzeAccess(host)
  if (!analysis) return {state: 'absent', reason: `no ${PMCD_CONF} under the root`}
  if ('error' in analysis) return {state: 'error', path: analysis.file, message: analysis.error}
  const findings = analysis.findings.map(({check, file, line, message, undecided}) => ({
    check,
    path: file,
    line,
    message,
    ...(undecided ? {undecided} : {}),
  }))
  return {state: 'judged', lint: analysis.lint, findings}
}

/** A check over pmcd's access control: fails for each finding it owns, passes otherwise. */
export function accessCheck(meta: CheckMeta): Check {
  return familyCheck(meta, outcome, ({lint}) => ({path: lint.file, message: 'ok'}))
}
