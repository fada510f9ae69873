import type {Host} from '../../host/host.js'
import {type AccessFinding, accessFindings} from '../../pcp/access-findings.js'
import {type AccessLint, lintHostAccess} from '../../pcp/lint.js'
import type {Check, CheckMeta, CheckResult} from '../types.js'

type Analysis = {lint: AccessLint; findings: AccessFinding[]} | {error: string; file: string} | undefined

const cache = new WeakMap<Host, Promise<Analysis>>()

/** The root's pmcd access configuration, linted once per host however many checks ask. */
export function analyzeAccess(host: Host): Promise<Analysis> {
  let pending = cache.get(host)
  if (!pending) {
    pending = (async () => {
      const lint = await lintHostAccess(host, host.live)
      if (!lint || 'error' in lint) return lint
      return {lint, findings: accessFindings(lint)}
    })()
    cache.set(host, pending)
  }
  return pending
}

/** A check over pmcd's access control: fails for each finding it owns, passes otherwise. */
export function accessCheck(meta: CheckMeta): Check {
  return {
    ...meta,
    async run(host) {
      const analysis = await analyzeAccess(host)
      if (!analysis)
        return [{status: 'skip', message: 'not applicable: no /etc/pcp/pmcd/pmcd.conf under the root'}]
      if ('error' in analysis) return [{status: 'error', path: analysis.file, message: analysis.error}]
      const mine = analysis.findings.filter((f) => f.check === meta.id)
      const results: CheckResult[] = mine.map((f) => ({
        status: 'fail',
        path: f.file,
        ...(f.line ? {line: f.line} : {}),
        message: f.message,
      }))
      if (results.length === 0) results.push({status: 'pass', path: analysis.lint.file, message: 'ok'})
      return results
    },
  }
}
