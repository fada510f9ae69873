import type {Host} from '../../host/host.js'
import type {Check, CheckMeta, CheckResult} from '../types.js'
import {
  type Concern,
  describe,
  evaluate,
  type Finding,
  type Observed,
  type PathRule,
  type Role,
} from './modes.js'
import {pcpRules, PROXY_RULES, PROXY_RUNTIME_DIR, PROXY_STATE_DIR} from './rules.js'

export type Component = 'pcp' | 'proxy'

/** One rule as seen on the host: judged, absent, or not decidable. */
export type Observation =
  | {rule: PathRule; state: 'present'; observed: Observed; findings: Finding[]}
  | {rule: PathRule; state: 'missing'}
  | {rule: PathRule; state: 'error'; message: string}

async function observe(host: Host, rule: PathRule): Promise<Observation> {
  const link = await host.stat(rule.path)
  if (!link.ok) return link.missing ? {rule, state: 'missing'} : {rule, state: 'error', message: link.message}
  let stat = link.value
  let via: string | undefined
  if (stat.type === 'symlink') {
    // Judge what the link leads to (inside the root), and say that a link was followed.
    const target = await host.stat(rule.path, {follow: true})
    if (!target.ok) return {rule, state: 'error', message: `${rule.path}: symbolic link: ${target.message}`}
    stat = target.value
    via = `a symbolic link to ${stat.resolved}`
  }
  const [owner = '', group = ''] = (await host.ownerOf(stat)).split(':')
  const observed: Observed = {stat, owner, group, via}
  return {rule, state: 'present', observed, findings: evaluate(rule, observed)}
}

const cache = new WeakMap<Host, Map<Component, Promise<Observation[]>>>()

/** Every rule of a component observed on the host, once per host however many checks ask. */
export function observeComponent(host: Host, component: Component): Promise<Observation[]> {
  let perHost = cache.get(host)
  if (!perHost) {
    perHost = new Map()
    cache.set(host, perHost)
  }
  let pending = perHost.get(component)
  if (!pending) {
    pending = (async () => {
      const rules = component === 'pcp' ? await pcpRules(host) : PROXY_RULES
      return Promise.all(rules.map((rule) => observe(host, rule)))
    })()
    perHost.set(component, pending)
  }
  return pending
}

const ABSENT: Record<Component, string> = {
  pcp: 'no PCP configuration or logs under the root',
  proxy: `neither ${PROXY_STATE_DIR} nor ${PROXY_RUNTIME_DIR} is present`,
}

/**
 * A check of the file-mode family: judge the paths of some roles of a component for some
 * concerns. One result per present path: pass, or fail for each finding of those concerns.
 */
export function fileModeCheck(
  meta: CheckMeta,
  scope: {component: Component; concerns: readonly Concern[]; roles?: readonly Role[]},
): Check {
  return {
    ...meta,
    async run(host) {
      const observations = (await observeComponent(host, scope.component)).filter(
        (o) => !scope.roles || scope.roles.includes(o.rule.role),
      )
      const results: CheckResult[] = []
      for (const o of observations) {
        if (o.state === 'missing') continue
        if (o.state === 'error') {
          results.push({status: 'error', path: o.rule.path, message: o.message})
          continue
        }
        const evidence = describe(o.observed) + (o.observed.via ? ` (${o.observed.via})` : '')
        const failing = o.findings.filter((f) => scope.concerns.includes(f.concern))
        for (const finding of failing) {
          results.push({
            status: 'fail',
            path: o.rule.path,
            message: finding.message,
            evidence,
            ...(finding.severity ? {severity: finding.severity} : {}),
            ...(finding.fix ? {fix: finding.fix} : {}),
            ...(finding.remedy ? {remedy: finding.remedy} : {}),
          })
        }
        if (failing.length === 0) results.push({status: 'pass', path: o.rule.path, message: 'ok', evidence})
      }
      if (results.length === 0)
        results.push({status: 'skip', message: `not applicable: ${ABSENT[scope.component]}`})
      return results
    },
  }
}
