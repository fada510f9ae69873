import {readFileSync} from 'node:fs'

import AjvDraft04 from 'ajv-draft-04'
import addFormats from 'ajv-formats'
import {describe, expect, it} from 'vitest'

import {formatSarif} from '../../src/report/sarif.js'
import {report} from './fixture.js'

const schema = JSON.parse(
  readFileSync(
    new URL('../../node_modules/@microsoft/jest-sarif/lib/schemas/sarif-2.1.0-rtm.5.json', import.meta.url),
    'utf8',
  ),
)

interface SarifResult {
  ruleId: string
  ruleIndex: number
  level: string
  message: {text: string}
  locations: {
    physicalLocation: {artifactLocation: {uri: string; uriBaseId?: string}; region?: {startLine: number}}
  }[]
  partialFingerprints: Record<string, string>
  suppressions?: {kind: string; justification: string}[]
}

interface SarifRule {
  id: string
  name: string
  shortDescription: {text: string}
  fullDescription: {text: string}
  help: {text: string; markdown: string}
  helpUri?: string
  defaultConfiguration: {level: string}
  properties: {tags: string[]; 'security-severity': string; precision: string; 'problem.severity': string}
}

const output = formatSarif(report)
const sarif = JSON.parse(output)
const run = sarif.runs[0]
const rules: SarifRule[] = run.tool.driver.rules
const results: SarifResult[] = run.results

function resultFor(check: string): SarifResult {
  const found = results.find((r) => r.ruleId === check)
  if (!found) throw new Error(`no SARIF result for ${check}`)
  return found
}

describe('formatSarif', () => {
  it('is valid SARIF 2.1.0 by the OASIS schema', () => {
    // The rtm.5 schema's `language` pattern has a stray `]` that only non-unicode regexps accept.
    const ajv = new AjvDraft04.default({allErrors: true, strict: false, unicodeRegExp: false})
    addFormats.default(ajv)
    const validate = ajv.compile(schema)
    expect(validate(sarif), JSON.stringify(validate.errors, null, 2)).toBe(true)
    const unencoded = structuredClone(sarif)
    unencoded.runs[0].results[0].locations[0].physicalLocation.artifactLocation.uri = 'var/log/host #2'
    expect(validate(unencoded)).toBe(false)
  })

  it('has the header GitHub code scanning expects, and one run', () => {
    expect(sarif.$schema).toBe('https://json.schemastore.org/sarif-2.1.0.json')
    expect(sarif.version).toBe('2.1.0')
    expect(sarif.runs).toHaveLength(1)
    expect(run.tool.driver).toMatchObject({name: 'pcp-harden', version: '0.1.0'})
    expect(run.originalUriBaseIds.ROOT.uri).toBe('file:///')
  })

  it('uses the given tool URI', () => {
    const custom = JSON.parse(formatSarif(report, {toolUri: 'https://example.org/pcp-harden'}))
    expect(custom.runs[0].tool.driver.informationUri).toBe('https://example.org/pcp-harden')
    expect(run.tool.driver.informationUri).toMatch(/^https:\/\//)
  })

  it('describes one rule per check that ran', () => {
    expect(rules.map((r) => r.id)).toEqual(report.checks.map((c) => c.id))
    expect(new Set(rules.map((r) => r.id)).size).toBe(rules.length)
    const key = rules.find((r) => r.id === 'PSP-FILE-001')!
    expect(key.name).toBe('ProxyPrivateKeyIsReadableOnlyByItsOwner')
    expect(key.shortDescription.text).toBe('Proxy private key is readable only by its owner')
    expect(key.fullDescription.text).toBe(report.checks.find((c) => c.id === 'PSP-FILE-001')!.rationale)
    expect(key.help.text).toContain('chmod 0600 /var/lib/pulse-sensor-proxy/ssh/id_ed25519')
    expect(key.help.markdown).toContain('**Remediation:** chmod 0600')
    expect(key.help.markdown).toContain('Pulse Temperature Proxy - Security Hardening Guide')
    expect(key.properties).toEqual({
      tags: ['security', 'pulse-proxy', 'files'],
      precision: 'high',
      'problem.severity': 'error',
      'security-severity': '9.5',
    })
    expect(key.defaultConfiguration.level).toBe('error')
    expect(rules.find((r) => r.id === 'PSP-CONF-002')!.help.markdown).toContain(
      "**Remediation:**\n\n```\nLimit the subnets to the Pulse container's address:\nallowed_source_subnets:\n",
    )
    expect(key).not.toHaveProperty('helpUri')
    expect(rules.find((r) => r.id === 'PCP-ACCESS-002')!.helpUri).toBe(
      'https://man7.org/linux/man-pages/man1/pmcd.1.html',
    )
  })

  it('gives every rule a security-severity that is a number string in GitHub range', () => {
    for (const rule of rules) {
      const score = rule.properties['security-severity']
      expect(score).toMatch(/^\d+\.\d$/)
      expect(Number(score)).toBeGreaterThanOrEqual(0)
      expect(Number(score)).toBeLessThanOrEqual(10)
    }
    const bySeverity = Object.fromEntries(report.checks.map((c, i) => [c.severity, rules[i]!.properties]))
    expect(bySeverity.critical?.['security-severity']).toBe('9.5')
    expect(bySeverity.high?.['security-severity']).toBe('8.0')
    expect(bySeverity.medium?.['security-severity']).toBe('5.5')
    expect(bySeverity.low?.['security-severity']).toBe('3.0')
    expect(bySeverity.info?.['security-severity']).toBe('0.0')
  })

  it('reports failures and errors only, waived ones included', () => {
    const expected = report.results.filter((r) => r.status === 'fail' || r.status === 'error')
    expect(results.map((r) => r.ruleId)).toEqual(expected.map((r) => r.check))
  })

  it('points every result at its rule', () => {
    for (const result of results) {
      expect(rules[result.ruleIndex]!.id).toBe(result.ruleId)
    }
  })

  it('maps severities to levels', () => {
    expect(resultFor('PSP-FILE-001').level).toBe('error')
    expect(resultFor('PSP-CONF-002').level).toBe('error')
    expect(resultFor('PCP-TLS-001').level).toBe('warning')
    expect(resultFor('PCP-LOG-004').level).toBe('warning')
    expect(resultFor('PSP-SVC-005').level).toBe('note')
    expect(resultFor('PVE-USER-001').level).toBe('error')
    expect(resultFor('PVE-USER-001').message.text).toMatch(/^Check could not run: cannot read/)
  })

  it('gives every result exactly one location with a relative, non-empty URI under ROOT', () => {
    for (const result of results) {
      expect(result.locations).toHaveLength(1)
      const {artifactLocation, region} = result.locations[0]!.physicalLocation
      expect(artifactLocation.uri).not.toBe('')
      expect(artifactLocation.uri).not.toMatch(/^\//)
      expect(artifactLocation.uriBaseId).toBe('ROOT')
      if (region) expect(region.startLine).toBeGreaterThanOrEqual(1)
    }
  })

  it('writes host paths as percent-encoded URIs with the line as region', () => {
    const config = resultFor('PSP-CONF-002').locations[0]!.physicalLocation
    expect(config).toEqual({
      artifactLocation: {uri: 'etc/pulse-sensor-proxy/config.yaml', uriBaseId: 'ROOT'},
      region: {startLine: 7},
    })
    const key = resultFor('PSP-FILE-001').locations[0]!.physicalLocation
    expect(key).toEqual({
      artifactLocation: {uri: 'var/lib/pulse-sensor-proxy/ssh/id_ed25519', uriBaseId: 'ROOT'},
    })
    const archive = resultFor('PCP-LOG-004').locations[0]!.physicalLocation
    expect(archive.artifactLocation.uri).toBe('var/log/pcp/pmlogger/host%20%232')
  })

  it('locates a result without a path at the host root', () => {
    expect(resultFor('PCP-TLS-001').locations[0]!.physicalLocation).toEqual({
      artifactLocation: {uri: '.', uriBaseId: 'ROOT'},
    })
  })

  it('fingerprints results stably and distinctly', () => {
    const again: SarifResult[] = JSON.parse(formatSarif(report)).runs[0].results
    const prints = results.map((r) => r.partialFingerprints['pcpHarden/v1'])
    expect(again.map((r) => r.partialFingerprints['pcpHarden/v1'])).toEqual(prints)
    expect(new Set(prints).size).toBe(prints.length)
    for (const print of prints) expect(print).toMatch(/^[0-9a-f]{64}$/)
  })

  it('keeps waived failures as externally suppressed results', () => {
    expect(resultFor('PCP-ACCESS-002').suppressions).toEqual([
      {
        kind: 'external',
        justification: 'lab network, tracked in OPS-1234',
        properties: {source: '/etc/pcp-harden/waivers.yaml', expires: '2030-01-31'},
      },
    ])
    expect(results.filter((r) => r.suppressions)).toHaveLength(1)
  })

  it('adds a rule for a result whose check metadata is missing', () => {
    const partial = {...report, checks: report.checks.filter((c) => c.id !== 'PCP-TLS-001')}
    const run = JSON.parse(formatSarif(partial)).runs[0]
    const result = run.results.find((r: SarifResult) => r.ruleId === 'PCP-TLS-001')
    expect(run.tool.driver.rules[result.ruleIndex].id).toBe('PCP-TLS-001')
    expect(run.tool.driver.rules[result.ruleIndex].properties['security-severity']).toBe('5.5')
  })
})
