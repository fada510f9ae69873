import {firewalled} from '../firewalled.js'
import type {Host} from '../../host/host.js'
import {parsePrefix, type Prefix} from '../../net/ip.js'
import type {CheckResult} from '../types.js'
import {accessCheck, analyzeAccess} from './analysis.js'

/** The networks of the access rule a finding points at (`10.1.2.*` is 10.1.2.0/24). */
async function ruleNetworks(host: Host, result: CheckResult): Promise<Prefix[] | undefined> {
  const analysis = await analyzeAccess(host)
  if (!analysis || 'error' in analysis) return undefined
  const rule = analysis.lint.policy?.rules.find((r) =>
    r.sources.some((s) => s.line === result.line && (s.file ?? analysis.lint.file) === result.path),
  )
  const prefix = rule ? parsePrefix(rule.key.replace(/^ipv[46]:/, '')) : undefined
  return prefix ? [prefix] : undefined
}

const judged = accessCheck({
  id: 'PCP-ACCESS-006',
  title: 'Remote allow rules set a connection limit',
  severity: 'low',
  profiles: ['pcp-collector'],
  tags: ['pmcd', 'access', 'availability'],
  rationale:
    'Without "maximum N connections" a remote client (or a runaway monitoring script) can hold as many pmcd ' +
    'connections as it likes, starving the monitors that matter.',
  remediation: 'allow 10.1.2.* : fetch, maximum 20 connections;',
  reference: 'pmcd(1) "ACCESS CONTROL CONFIGURATION" ("maximum N connections")',
  example: {fail: 'allow 10.1.2.* : fetch;', pass: 'allow 10.1.2.* : fetch, maximum 20 connections;'},
})

/** Its failures speak of remote clients: the firewall decides whether they can connect at all. */
export const check = firewalled({service: 'pmcd'}, judged, ruleNetworks)
