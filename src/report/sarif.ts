import {createHash} from 'node:crypto'

import type {CheckMeta, Severity} from '../checks/types.js'
import type {Report, ReportResult, ResolvedFinding} from '../engine/model.js'
import {escapeJson} from './escape.js'
import {splitByHost} from './hosts.js'

export interface SarifOptions {
  /** `tool.driver.informationUri`: where users learn about the tool. */
  toolUri?: string
}

export const DEFAULT_TOOL_URI = 'https://pcp-harden.invalid/'

type Level = 'error' | 'warning' | 'note'

const LEVEL: Record<Severity, Level> = {
  critical: 'error',
  high: 'error',
  medium: 'warning',
  low: 'warning',
  info: 'note',
}

/** GitHub buckets these: >= 9.0 critical, >= 7.0 high, >= 4.0 medium, > 0 low. */
const SECURITY_SEVERITY: Record<Severity, string> = {
  critical: '9.5',
  high: '8.0',
  medium: '5.5',
  low: '3.0',
  info: '0.0',
}

const PROBLEM_SEVERITY: Record<Severity, 'error' | 'warning' | 'recommendation'> = {
  critical: 'error',
  high: 'error',
  medium: 'warning',
  low: 'warning',
  info: 'recommendation',
}

/**
 * Host paths are relative to this base, so `/etc/pcp/pmcd/pmcd.conf` becomes
 * `etc/pcp/pmcd/pmcd.conf` under ROOT = `file:///`.
 */
const ROOT = 'ROOT'

/**
 * Results without a path are about the host as a whole (a service setting, a missing
 * component). GitHub code scanning drops a result without a location and rejects an empty
 * uri, so such results point at `.`: the relative reference that resolves to ROOT itself,
 * the root directory of the audited host.
 */
const HOST_URI = '.'

const FINGERPRINT = 'pcpHarden/v1'

/**
 * SARIF 2.1.0 for GitHub code scanning (and any SARIF viewer): one rule per check that ran,
 * one result per failure or error; waived failures are kept as externally suppressed results.
 */
export function formatSarif(report: Report, options: SarifOptions = {}): string {
  // A fleet audit: one run per node, as SARIF has one run per analysis of one target.
  const runs = report.hosts
    ? splitByHost(report).map((h) => sarifRun(h.report, options, h.host.host))
    : [sarifRun(report, options)]
  const sarif = {$schema: 'https://json.schemastore.org/sarif-2.1.0.json', version: '2.1.0', runs}
  return escapeJson(JSON.stringify(sarif, null, 2)) + '\n'
}

/** One run: the rules that ran, the failures and errors; in a fleet audit, of one node (`host`). */
function sarifRun(report: Report, options: SarifOptions, host?: string) {
  const checks = [...report.checks]
  const known = new Set(checks.map((c) => c.id))
  for (const r of report.results) {
    if (!known.has(r.check)) {
      known.add(r.check)
      checks.push(metaFromResult(r))
    }
  }
  const ruleIndex = new Map(checks.map((c, i) => [c.id, i]))
  return {
    tool: {
      driver: {
        name: report.tool.name,
        version: report.tool.version,
        semanticVersion: report.tool.version,
        informationUri: options.toolUri ?? DEFAULT_TOOL_URI,
        rules: checks.map(rule),
      },
    },
    ...(host === undefined ? {} : {automationDetails: {id: `${report.tool.name}/${host}/`}}),
    originalUriBaseIds: {
      [ROOT]: {
        uri: 'file:///',
        description: {text: `The root directory of the audited host (audited as ${report.root}).`},
      },
    },
    results: [
      ...report.results
        .filter((r) => r.status === 'fail' || r.status === 'error')
        .map((r) =>
          result(
            host === undefined ? r : {...r, host},
            ruleIndex.get(r.check)!,
            report.baseline !== undefined,
          ),
        ),
      ...(report.baseline?.resolved ?? []).map((f) => absent(f, ruleIndex.get(f.check))),
    ],
    properties: {
      ...(host === undefined ? {} : {host}),
      root: report.root,
      profiles: report.profiles,
      failOn: report.failOn,
      status: report.summary.status,
    },
  }
}

function rule(check: CheckMeta) {
  const text = [check.rationale, `Remediation: ${check.remediation}`]
  const markdown = [
    check.rationale,
    check.remediation.includes('\n')
      ? `**Remediation:**\n\n\`\`\`\n${check.remediation}\n\`\`\``
      : `**Remediation:** ${check.remediation}`,
  ]
  if (check.reference !== '') {
    text.push(`Reference: ${check.reference}`)
    markdown.push(`**Reference:** ${isUrl(check.reference) ? `<${check.reference}>` : check.reference}`)
  }
  return {
    id: check.id,
    name: ruleName(check),
    shortDescription: {text: check.title},
    fullDescription: {text: check.rationale},
    help: {text: text.join('\n\n'), markdown: markdown.join('\n\n')},
    ...(isUrl(check.reference) ? {helpUri: check.reference} : {}),
    defaultConfiguration: {level: LEVEL[check.severity]},
    properties: {
      tags: [...new Set(['security', ...check.profiles, ...check.tags])],
      precision: 'high',
      'problem.severity': PROBLEM_SEVERITY[check.severity],
      'security-severity': SECURITY_SEVERITY[check.severity],
    },
  }
}

function result(r: ReportResult, ruleIndex: number, withBaseline: boolean) {
  const text = r.status === 'error' ? `Check could not run: ${r.message}` : r.message
  return {
    ruleId: r.check,
    ruleIndex,
    level: r.status === 'error' ? 'error' : LEVEL[r.severity],
    message: {text},
    locations: [
      {
        physicalLocation: {
          artifactLocation: {uri: r.path === undefined ? HOST_URI : pathToUri(r.path), uriBaseId: ROOT},
          ...(r.line !== undefined && Number.isInteger(r.line) && r.line >= 1
            ? {region: {startLine: r.line}}
            : {}),
        },
      },
    ],
    partialFingerprints: {[FINGERPRINT]: fingerprint(r)},
    ...(withBaseline ? {baselineState: r.baseline ?? 'new'} : {}),
    ...(r.waived
      ? {
          suppressions: [
            {
              kind: 'external',
              justification: r.waived.reason,
              properties: {
                source: r.waived.source,
                ...(r.waived.expires === undefined ? {} : {expires: r.waived.expires}),
              },
            },
          ],
        }
      : {}),
    properties: {
      ...(r.host === undefined ? {} : {host: r.host}),
      status: r.status,
      severity: r.severity,
      ...(r.evidence === undefined ? {} : {evidence: r.evidence}),
    },
  }
}

/**
 * A failure of the baseline that this run no longer has: SARIF's baselineState `absent`. Its rule
 * may not have run this time; then it names the rule by id only.
 */
function absent(f: ResolvedFinding, ruleIndex: number | undefined) {
  return {
    ruleId: f.check,
    ...(ruleIndex === undefined ? {} : {ruleIndex}),
    level: LEVEL[f.severity],
    message: {text: f.message},
    locations: [
      {
        physicalLocation: {
          artifactLocation: {uri: f.path === undefined ? HOST_URI : pathToUri(f.path), uriBaseId: ROOT},
        },
      },
    ],
    baselineState: 'absent',
    properties: {identity: f.identity},
  }
}

/** A relative reference under ROOT, each segment percent-encoded (spaces, `%`, `:`, `#`, `?`). */
function pathToUri(path: string): string {
  const relative = path.replace(/^\/+/, '')
  return relative === '' ? HOST_URI : relative.split('/').map(encodeURIComponent).join('/')
}

/** Stable across runs for the same finding: the check, the path and the message (and the node, in a fleet). */
function fingerprint(r: ReportResult): string {
  return createHash('sha256')
    .update(`${r.host === undefined ? '' : `${r.host}\0`}${r.check}\0${r.path ?? ''}\0${r.message}`)
    .digest('hex')
}

/** `Proxy private key is readable only by its owner` -> `ProxyPrivateKeyIsReadableOnlyByItsOwner`. */
function ruleName(check: CheckMeta): string {
  const pascal = (text: string) =>
    text
      .split(/[^A-Za-z0-9]+/)
      .filter(Boolean)
      .map((w) => w[0]!.toUpperCase() + w.slice(1))
      .join('')
  return pascal(check.title) || pascal(check.id.toLowerCase())
}

function isUrl(text: string): boolean {
  return /^https?:\/\/\S+$/.test(text)
}

/** A rule for a result whose check is missing from report.checks, so ruleIndex stays valid. */
function metaFromResult(r: ReportResult): CheckMeta {
  return {
    id: r.check,
    title: r.title,
    severity: r.severity,
    profiles: [],
    tags: [],
    rationale: r.title,
    remediation: r.remediation,
    reference: '',
    example: {fail: '', pass: ''},
  }
}
