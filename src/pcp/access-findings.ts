import type {Severity} from '../checks/types.js'
import type {AccessPolicy, AccessRule} from './access.js'
import type {AccessLint} from './lint.js'
import {ANY_IPV4, ANY_IPV6, clientClasses, decide, uncoveredAddress} from './policy.js'

/** One weakness of an access policy; each kind is judged by its own check in `verify`. */
export interface AccessFinding {
  check: string
  severity: Severity
  file: string
  line?: number
  message: string
  /** The finding cannot be decided offline (a name only the live host can resolve): UNKNOWN. */
  undecided?: boolean
}

const CIDR = /^(\d{1,3}(?:\.\d{1,3}){0,3})\/(\d{1,2})$/

/** `10.0.0.0/8` -> `10.*`; prefixes that are not octet-aligned need several rules. */
export function cidrToWildcards(cidr: string, limit = 16): string[] | undefined {
  const match = CIDR.exec(cidr)
  if (!match) return undefined
  const octets = (match[1] as string).split('.').map(Number)
  while (octets.length < 4) octets.push(0)
  const bits = Number(match[2])
  if (bits > 32 || octets.some((o) => o > 255)) return undefined
  if (bits === 0) return ['.*']
  if (bits === 32) return [octets.join('.')]
  const whole = Math.ceil(bits / 8)
  const count = 2 ** (whole * 8 - bits)
  if (count > limit) return undefined
  const base = octets.slice(0, whole)
  const last = whole - 1
  const start = (base[last] as number) & ~(count - 1) & 0xff
  return Array.from({length: count}, (_, i) => {
    const parts = [...base.slice(0, last), start + i]
    return whole === 4 ? parts.join('.') : `${parts.join('.')}.*`
  })
}

function where(rule: AccessRule | undefined, lint: AccessLint): {file: string; line?: number} {
  const source = rule?.sources[0]
  // No rule decided: point at the [access] header, where the missing rule belongs.
  const line = source?.line ?? lint.conf.accessLine
  return {file: source?.file ?? lint.file, ...(line ? {line} : {})}
}

/** The findings of one linted pmcd.conf (nothing to judge when pmcd would not start). */
export function accessFindings(lint: AccessLint): AccessFinding[] {
  const findings: AccessFinding[] = []
  const policy = lint.policy
  const unknown = lint.diagnostics.filter((d) => d.severity === 'unknown')
  for (const d of unknown)
    findings.push({
      check: 'PCP-ACCESS-005',
      severity: 'low',
      file: d.file ?? lint.file,
      line: d.line,
      message: d.message,
      undecided: true,
    })
  if (lint.undecided) {
    const first = unknown[0]
    findings.push({
      check: 'PCP-ACCESS-001',
      severity: 'high',
      file: first?.file ?? lint.file,
      ...(first ? {line: first.line} : {}),
      message: `cannot decide offline whether pmcd accepts this configuration: ${lint.undecided}`,
      undecided: true,
    })
    if (!lint.valid) return findings
  }
  if (!lint.valid || !policy) {
    const first = lint.diagnostics.find((d) => d.severity === 'error')
    findings.push({
      check: 'PCP-ACCESS-001',
      severity: 'high',
      file: first?.file ?? lint.file,
      ...(first ? {line: first.line} : {}),
      message: `pmcd rejects this configuration and will not start: ${first?.message ?? 'invalid'}`,
    })
    return findings
  }

  if (lint.conf.accessLine === undefined) {
    findings.push({
      check: 'PCP-ACCESS-002',
      severity: 'critical',
      file: lint.file,
      message: 'no [access] section: every host that can connect may fetch and store',
    })
    return findings
  }

  // With SASL required of every client (a user or group rule), a remote host's store or fetch is an
  // authenticated user's: what PCP-ACCESS-007 reports, not anyone's.
  const anyone = !policy.credentialsRequired
  for (const cls of clientClasses(policy).filter((c) => !c.local && anyone)) {
    const store = decide(policy, cls.address, 'store')
    if (store.allowed) {
      findings.push({
        check: 'PCP-ACCESS-002',
        severity: 'critical',
        ...where(store.rule, lint),
        message: store.rule
          ? `${cls.label} may store (change metric values and agent state): allowed by line ${store.rule.sources[0]?.line}`
          : `${cls.label} may store: no rule speaks of store for it, so pmcd allows it`,
      })
    }
  }

  for (const cls of anyone ? [ANY_IPV4, ANY_IPV6] : []) {
    const fetch = decide(policy, cls.address, 'fetch')
    if (fetch.allowed) {
      findings.push({
        check: 'PCP-ACCESS-003',
        severity: 'medium',
        ...where(fetch.rule, lint),
        message: `${cls.label} that can connect may fetch every metric${fetch.rule ? '' : ' (the shipped default: no rule denies it)'}`,
      })
    }
  }

  for (const d of lint.diagnostics.filter((x) => x.severity === 'warning')) {
    // Only names pmcd dropped; an agents-table warning is not about access (PCP-PMCD checks report it).
    const name = /^access control error for host '([^']*)'/.exec(d.message)?.[1]
    if (name === undefined) continue
    const wildcards = cidrToWildcards(name)
    findings.push(
      CIDR.test(name)
        ? {
            check: 'PCP-ACCESS-004',
            severity: 'medium',
            file: d.file ?? lint.file,
            line: d.line,
            message: `${name} is CIDR, which pmcd does not understand: it ignores this rule${
              wildcards ? `; write ${wildcards.join(', ')}` : '; no short wildcard list expresses it'
            }`,
          }
        : {
            check: 'PCP-ACCESS-005',
            severity: 'low',
            file: d.file ?? lint.file,
            line: d.line,
            message: `host name ${name} does not resolve here: pmcd ignores it`,
          },
    )
  }

  for (const rule of policy.rules) {
    const remote =
      rule.kind === 'host' &&
      !rule.key.startsWith('ipv4:127.') &&
      rule.key !== 'ipv6:::1/128' &&
      rule.key !== 'unix'
    const allows = (rule.ops.fetch && !rule.deny.fetch) || (rule.ops.store && !rule.deny.store)
    if (remote && allows && rule.maxConnections === undefined && rule.sources.some((s) => s.allow)) {
      findings.push({
        check: 'PCP-ACCESS-006',
        severity: 'low',
        ...where(rule, lint),
        message: `${rule.sources.map((s) => s.name).join(', ')} may connect without a connection limit (add "maximum N connections")`,
      })
    }
  }

  findings.push(...ineffectiveRules(lint))

  if (policy.credentialsRequired) {
    const first = policy.rules.find((r) => r.kind !== 'host')
    findings.push({
      check: 'PCP-ACCESS-007',
      severity: 'medium',
      ...where(first, lint),
      message: `a user or group rule switches pmcd to credentials-required mode: TCP clients without SASL credentials are refused, even for fetch${storers(policy)}`,
    })
  }
  return findings
}

/** Who may store once authenticated, for PCP-ACCESS-007's message. */
function storers(policy: AccessPolicy): string {
  const remote = clientClasses(policy).filter((c) => !c.local && decide(policy, c.address, 'store').allowed)
  return remote.length === 0 ? '' : `; with credentials, ${remote.map((c) => c.label).join(', ')} may store`
}

/**
 * Statements that change nothing: pmcd would decide every operation they speak of the same way
 * without them. Most often an allow written as if it restricted something ("allow 10.1.2.* :
 * fetch;" while nothing denies fetch: every host may fetch anyway), or a deny under a broader deny.
 */
function ineffectiveRules(lint: AccessLint): AccessFinding[] {
  const policy = lint.policy
  if (!policy) return []
  const findings: AccessFinding[] = []
  const hostRules = policy.rules.filter((r) => r.kind === 'host')
  const statements = new Map<string, AccessRule[]>()
  for (const rule of hostRules) {
    // A rule two statements made together cannot be taken apart: leave it out.
    if (new Set(rule.sources.map((s) => `${s.file ?? ''}:${s.line}`)).size > 1) continue
    const source = rule.sources[0]
    if (!source) continue
    const id = `${source.file ?? ''}:${source.line}`
    statements.set(id, [...(statements.get(id) ?? []), rule])
  }
  for (const rules of statements.values()) {
    const changesSomething = rules.some((rule) => {
      const address = uncoveredAddress(rule, policy.rules)
      if (!address || rule.maxConnections !== undefined) return true
      const without = {...policy, rules: policy.rules.filter((r) => r !== rule)}
      return (['fetch', 'store'] as const).some(
        (op) => rule.ops[op] && decide(policy, address, op).allowed !== decide(without, address, op).allowed,
      )
    })
    if (changesSomething) continue
    const first = rules[0] as AccessRule
    const source = first.sources[0] as AccessRule['sources'][number]
    const ops = (['fetch', 'store'] as const).filter((op) => first.ops[op])
    const names = [...new Set(rules.flatMap((r) => r.sources.map((s) => s.name)))].join(', ')
    const allowed = ops.every((op) => !first.deny[op])
    findings.push({
      check: 'PCP-ACCESS-009',
      severity: 'low',
      file: source.file ?? lint.file,
      line: source.line,
      message: allowed
        ? `this rule changes nothing: ${names} may ${ops.join(' and ')} anyway (pmcd allows what no rule denies; restricting needs a disallow for ".*" and ":*")`
        : `this rule changes nothing: a broader rule already denies ${names} ${ops.join(' and ')}`,
    })
  }
  return findings
}
