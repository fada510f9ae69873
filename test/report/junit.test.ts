import {XMLParser, XMLValidator} from 'fast-xml-parser'
import {describe, expect, it} from 'vitest'

import {formatJunit} from '../../src/report/junit.js'
import {NASTY_MESSAGE, report} from './fixture.js'

interface Outcome {
  '@_message': string
  '@_type'?: string
  '#text'?: string
}

interface TestCase {
  '@_classname': string
  '@_name': string
  failure?: Outcome
  error?: Outcome
  skipped?: Outcome
}

const xml = formatJunit(report)
const parsed = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: '@_',
  parseAttributeValue: false,
  parseTagValue: false,
  trimValues: false,
  isArray: (name) => name === 'testcase' || name === 'property',
}).parse(xml)
const suite = parsed.testsuites.testsuite
const cases: TestCase[] = suite.testcase

function caseFor(check: string, path?: string): TestCase {
  const name = `${check} ${path ?? report.results.find((r) => r.check === check)!.title}`
  const found = cases.find((c) => c['@_name'] === name)
  if (!found) throw new Error(`no testcase ${name}`)
  return found
}

describe('formatJunit', () => {
  it('is well-formed XML', () => {
    expect(XMLValidator.validate(xml)).toBe(true)
    expect(xml.startsWith('<?xml version="1.0" encoding="UTF-8"?>\n<testsuites ')).toBe(true)
  })

  it('contains no character that XML 1.0 forbids', () => {
    // eslint-disable-next-line no-control-regex
    expect(xml).not.toMatch(/[\u0000-\u0008\u000b\u000c\u000e-\u001f]/)
  })

  it('has one testcase per check and path', () => {
    const pairs = new Set(report.results.map((r) => `${r.check}\0${r.path ?? ''}`))
    expect(cases).toHaveLength(pairs.size)
    expect(new Set(cases.map((c) => c['@_name'])).size).toBe(cases.length)
    for (const r of report.results) {
      const testCase = caseFor(r.check, r.path)
      expect(testCase['@_classname']).toBe(r.check)
    }
  })

  it('counts tests, failures, errors and skips on the suite', () => {
    const totals = {'@_tests': '14', '@_failures': '5', '@_errors': '1', '@_skipped': '3'}
    expect(suite).toMatchObject({'@_name': 'pcp-harden', ...totals})
    expect(parsed.testsuites).toMatchObject(totals)
    expect(cases.filter((c) => c.failure)).toHaveLength(5)
  })

  it('records the audit context as suite properties', () => {
    expect(suite.properties.property).toContainEqual({'@_name': 'fail-on', '@_value': 'low'})
    expect(suite.properties.property).toContainEqual({'@_name': 'status', '@_value': 'CRITICAL'})
  })

  it('fails a testcase with the message, evidence and remediation', () => {
    const failure = caseFor('PSP-FILE-001', '/var/lib/pulse-sensor-proxy/ssh/id_ed25519').failure!
    expect(failure['@_type']).toBe('critical')
    expect(failure['@_message']).toBe('the private key is readable by group and others')
    expect(failure['#text']).toContain('seen: 0644 pulse-sensor-proxy:pulse-sensor-proxy')
    expect(failure['#text']).toContain('to do: chmod 0600 /var/lib/pulse-sensor-proxy/ssh/id_ed25519')
  })

  it('carries the remediation in every failure', () => {
    for (const r of report.results.filter((r) => r.status === 'fail' && !r.waived)) {
      expect(caseFor(r.check, r.path).failure!['#text']).toContain(
        r.fix === undefined ? `to do: ${r.remediation}` : `fix: ${r.fix}`,
      )
    }
  })

  it('says when a failure does not raise the status', () => {
    const info = caseFor('PSP-SVC-005', '/etc/systemd/system/pulse-sensor-proxy.service').failure!
    expect(info['@_type']).toBe('info')
    expect(info['#text']).toContain('does not raise the status')
  })

  it('escapes markup and replaces control characters in messages', () => {
    const failure = caseFor('PSP-CONF-002', '/etc/pulse-sensor-proxy/config.yaml').failure!
    expect(failure['@_message']).toBe(NASTY_MESSAGE.replace('\u001b', '\\x1b'))
    expect(failure['#text']).toContain('"0.0.0.0/0" & \'any\' <unrestricted> |')
    expect(failure['#text']).toContain('/etc/pulse-sensor-proxy/config.yaml:7: ')
  })

  it('reports checks that could not decide as errors', () => {
    const error = caseFor('PVE-USER-001', '/etc/pve/user.cfg').error!
    expect(error['@_message']).toBe('cannot read /etc/pve/user.cfg: EACCES (permission denied)')
    expect(error['#text']).not.toContain('fix:')
    expect(caseFor('PVE-USER-001', '/etc/pve/user.cfg').failure).toBeUndefined()
  })

  it('skips checks that do not apply and waived failures', () => {
    expect(caseFor('PCT-MOUNT-001').skipped!['@_message']).toBe('no Pulse container on this host')
    const waived = caseFor('PCP-ACCESS-002', '/etc/pcp/pmcd/pmcd.conf')
    expect(waived.skipped!['@_message']).toBe('waived: lab network, tracked in OPS-1234')
    expect(waived.failure).toBeUndefined()
  })

  it('passes the rest', () => {
    const passed = caseFor('PCP-FILE-003', '/etc/pcp/pmcd/pmcd.conf')
    expect(passed.failure ?? passed.error ?? passed.skipped).toBeUndefined()
  })

  it('merges several results for the same check and path into one testcase', () => {
    const twice = {
      ...report,
      results: [
        ...report.results,
        {
          ...report.results.find((r) => r.check === 'PSP-FILE-001')!,
          message: 'the key is a symlink',
          line: 1,
        },
      ],
    }
    const merged: TestCase[] = new XMLParser({ignoreAttributes: false, attributeNamePrefix: '@_'}).parse(
      formatJunit(twice),
    ).testsuites.testsuite.testcase
    expect(merged).toHaveLength(cases.length)
    const failure = merged.find((c) => c['@_classname'] === 'PSP-FILE-001')!.failure!
    expect(failure['@_message']).toBe('the private key is readable by group and others (and 1 more)')
    expect(failure['#text']).toContain('id_ed25519:1: the key is a symlink')
  })
})
