import type {Host} from '../../host/host.js'
import {type AccessFinding, accessFindings} from '../../pcp/access-findings.js'
import {accessContext, type AccessLint, lintHostAccess, PMCD_CONF, PMCD_CONF_ACCESS} from '../../pcp/lint.js'
import {familyCheck, type Outcome, perHost} from '../family.js'
import {withRemedy} from '../remedy.js'
import {accessRemedy} from './remedies.js'
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

/** The findings with their remedies, worked out once per host however many checks ask. */
const outcome = perHost(async (host: Host): Promise<Outcome<{lint: AccessLint}>> => {
  const analysis = await analyzeAccess(host)
  if (!analysis) return {state: 'absent', reason: `no ${PMCD_CONF} under the root`}
  if ('error' in analysis) return {state: 'error', path: analysis.file, message: analysis.error}
  const ctx = await accessContext(host, host.live)
  const conf = await host.readText(PMCD_CONF)
  const extra = await host.readText(PMCD_CONF_ACCESS)
  const texts = {conf: conf.ok ? conf.value : '', ...(extra.ok ? {extra: extra.value} : {})}
  const findings = await Promise.all(
    analysis.findings.map(async (finding) => {
      const {check, file, line, message, undecided} = finding
      const remedy = conf.ok
        ? await accessRemedy(finding, analysis.lint, analysis.findings, texts, ctx)
        : undefined
      return {
        check,
        path: file,
        line,
        message,
        ...(undecided ? {undecided} : {}),
        ...(remedy ? withRemedy(remedy) : {}),
      }
    }),
  )
  return {state: 'judged', lint: analysis.lint, findings}
})

/** A check over pmcd's access control: fails for each finding it owns, passes otherwise. */
export function accessCheck(meta: CheckMeta): Check {
  return familyCheck(meta, outcome, ({lint}) => ({path: lint.file, message: 'ok'}))
}
