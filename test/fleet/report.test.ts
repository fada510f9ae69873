import {readFileSync} from 'node:fs'

import Ajv2020 from 'ajv/dist/2020.js'
import AjvDraft04 from 'ajv-draft-04'
import addFormats from 'ajv-formats'
import {XMLParser, XMLValidator} from 'fast-xml-parser'
import {describe, expect, it} from 'vitest'

import {fleetReport, NODE_AUDITED, type NodeAudit} from '../../src/fleet/audit.js'
import {formatReport} from '../../src/report/index.js'
import {reportOf, report as single, resultsWhere} from '../report/fixture.js'

const node = (label: string) => ({host: label, port: 22, label})
const clean = reportOf(resultsWhere((r) => r.status === 'pass'))

/** pve1 as the fixture host (CRITICAL), pve2 with only passes (OK), pve3 unreachable (UNKNOWN). */
const audits: NodeAudit[] = [
  {node: node('pve1'), report: single},
  {node: node('pve2'), report: clean},
  {node: node('pve3'), error: 'ssh: connect to host pve3 port 22: Connection refused'},
]
const fleet = fleetReport(audits, {failOn: 'low', tool: single.tool})

const json = JSON.parse(await formatReport(fleet, 'json'))

describe('fleetReport', () => {
  it("keeps every node's results with its host, and each node's own state", () => {
    expect(fleet.results.filter((r) => r.host === 'pve1')).toEqual(
      single.results.map((r) => ({...r, host: 'pve1'})),
    )
    expect(fleet.hosts?.map((h) => [h.host, h.status])).toEqual([
      ['pve1', single.summary.status],
      ['pve2', 'OK'],
      ['pve3', 'UNKNOWN'],
    ])
    expect(fleet.hosts?.[0]?.counts).toEqual(single.summary.counts)
    expect(fleet.results.filter((r) => r.host === 'pve3')).toEqual([
      expect.objectContaining({
        check: NODE_AUDITED.id,
        status: 'error',
        message: expect.stringMatching(/refused/),
      }),
    ])
  })

  it('is as bad as its worst node: a failing node outranks an unreachable one, which outranks OK', () => {
    expect(single.summary.status).toBe('CRITICAL')
    expect(fleet.summary.status).toBe('CRITICAL')
    expect(fleetReport(audits.slice(1), {failOn: 'low', tool: single.tool}).summary.status).toBe('UNKNOWN')
    expect(fleetReport(audits.slice(1, 2), {failOn: 'low', tool: single.tool}).summary.status).toBe('OK')
  })
})

describe('fleet output', () => {
  it('json: each result has its host first, `hosts` at the end, and the documented schema accepts it', async () => {
    const schema = JSON.parse(
      readFileSync(new URL('../../schema/report.schema.json', import.meta.url), 'utf8'),
    )
    const ajv = new Ajv2020.default({allErrors: true, strict: true})
    addFormats.default(ajv)
    const validate = ajv.compile(schema)
    expect(validate(json), JSON.stringify(validate.errors, null, 2)).toBe(true)
    expect(Object.keys(json).at(-1)).toBe('hosts')
    expect(Object.keys(json.results[0])[0]).toBe('host')
    expect(json.hosts[2]).toEqual(
      expect.objectContaining({host: 'pve3', status: 'UNKNOWN', error: expect.any(String)}),
    )
    // A node's identities are those of its own report.
    const own = JSON.parse(await formatReport(single, 'json'))
    expect(
      json.results
        .filter((r: {host: string}) => r.host === 'pve1')
        .map((r: {identity: string}) => r.identity),
    ).toEqual(own.results.map((r: {identity: string}) => r.identity))
  })

  it("text: one block per node, as verify prints that node, then the fleet's status line last", async () => {
    const text = await formatReport(fleet, 'text', {color: false})
    const alone = await formatReport({...single, root: 'ssh://pve1'}, 'text', {color: false})
    expect(text.startsWith(alone)).toBe(true)
    expect(text).toContain('audit of ssh://pve2')
    expect(text).toContain(
      'audit of ssh://pve3\n  [UNKNOWN] not audited: ssh: connect to host pve3 port 22: Connection refused\n',
    )
    const lines = text.trimEnd().split('\n')
    expect(lines.slice(-2)).toEqual([
      'Fleet: 3 nodes: 1 CRITICAL (pve1), 1 UNKNOWN (pve3), 1 OK (pve2)',
      "Status: CRITICAL (exit 2, the worst node's; fail-on: low)",
    ])
  })

  it('nagios: one line for the fleet, then one per node that is not OK, worst first', async () => {
    const lines = (await formatReport(fleet, 'nagios')).trimEnd().split('\n')
    expect(lines).toHaveLength(3)
    expect(lines[0]).toMatch(
      /^PCP-HARDEN CRITICAL - 3 nodes: 1 critical, 1 unknown, 1 ok \| nodes=3;;;0 nodes_critical=1;;;0 nodes_warning=0;;;0 nodes_unknown=1;;;0 nodes_ok=1;;;0 critical_findings=\d+;;;0/,
    )
    const single1 = (await formatReport(single, 'nagios')).split('\n')[0]!
    expect(lines[1]).toBe(`[CRITICAL] pve1: ${/^PCP-HARDEN CRITICAL - (.*?) \|/.exec(single1)?.[1]}`)
    expect(lines[2]).toBe(
      '[UNKNOWN] pve3: not audited: ssh: connect to host pve3 port 22: Connection refused',
    )
  })

  it('sarif: one run per node, each result with its host, valid SARIF 2.1.0', async () => {
    const sarif = JSON.parse(await formatReport(fleet, 'sarif'))
    const schema = JSON.parse(
      readFileSync(
        new URL(
          '../../node_modules/@microsoft/jest-sarif/lib/schemas/sarif-2.1.0-rtm.5.json',
          import.meta.url,
        ),
        'utf8',
      ),
    )
    const ajv = new AjvDraft04.default({allErrors: true, strict: false, unicodeRegExp: false})
    addFormats.default(ajv)
    const validate = ajv.compile(schema)
    expect(validate(sarif), JSON.stringify(validate.errors, null, 2)).toBe(true)
    expect(sarif.runs.map((r: {properties: {host: string}}) => r.properties.host)).toEqual([
      'pve1',
      'pve2',
      'pve3',
    ])
    const hosts = sarif.runs.flatMap((run: {results: {properties: {host: string}}[]}) =>
      run.results.map((r) => r.properties.host),
    )
    expect(new Set(hosts)).toEqual(new Set(['pve1', 'pve3']))
    const alone = JSON.parse(await formatReport(single, 'sarif'))
    expect(sarif.runs[0].results.length).toBe(alone.runs[0].results.length)
  })

  it('junit: one testsuite per node, named by its hostname', async () => {
    const xml = await formatReport(fleet, 'junit')
    expect(XMLValidator.validate(xml)).toBe(true)
    const parsed = new XMLParser({ignoreAttributes: false, isArray: (name) => name === 'testsuite'}).parse(
      xml,
    )
    const suites = parsed.testsuites.testsuite as {'@_hostname': string; '@_errors': string}[]
    expect(suites.map((s) => s['@_hostname'])).toEqual(['pve1', 'pve2', 'pve3'])
    expect(suites[2]?.['@_errors']).toBe('1')
  })
})
