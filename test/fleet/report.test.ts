import {spawnSync} from 'node:child_process'
import {readFileSync} from 'node:fs'

import Ajv2020 from 'ajv/dist/2020.js'
import AjvDraft04 from 'ajv-draft-04'
import addFormats from 'ajv-formats'
import {XMLParser, XMLValidator} from 'fast-xml-parser'
import {describe, expect, it} from 'vitest'

import {fleetReport, NODE_AUDITED, type NodeAudit} from '../../src/fleet/audit.js'
import {applyBaseline, parseBaseline} from '../../src/engine/baseline.js'
import {formatReport} from '../../src/report/index.js'
import {formatPrometheus} from '../../src/report/prometheus.js'
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

describe('a fleet compared with a fleet baseline (--baseline with --nodes)', () => {
  // The baseline: pve1 and pve2 failing, pve3 clean, pve4 unreachable, pve5 failing.
  const old = fleetReport(
    [
      {node: node('pve1'), report: single},
      {node: node('pve2'), report: single},
      {node: node('pve3'), report: clean},
      {node: node('pve4'), error: 'ssh: connect to host pve4 port 22: Connection refused'},
      {node: node('pve5'), report: single},
    ],
    {failOn: 'low', tool: single.tool},
  )
  // Now: pve1 unchanged, pve2 fixed, pve3 failing, pve4 still unreachable, pve5 unreachable, pve6 new to the fleet.
  const now = fleetReport(
    [
      {node: node('pve1'), report: single},
      {node: node('pve2'), report: clean},
      {node: node('pve3'), report: single},
      {node: node('pve4'), error: 'ssh: connect to host pve4 port 22: Connection refused'},
      {node: node('pve5'), error: 'ssh: connect to host pve5 port 22: Connection timed out'},
      {node: node('pve6'), report: single},
    ],
    {failOn: 'low', tool: single.tool},
  )
  const failures = single.results.filter((r) => r.status === 'fail' || r.status === 'error').length

  it("matches each failure with the same node's findings: unchanged, new, resolved only where audited", async () => {
    const baseline = parseBaseline(await formatReport(old, 'json'), 'old.json')
    const compared = applyBaseline(now, baseline, 'old.json', false)
    const states = (host: string) => [
      ...new Set(compared.results.filter((r) => r.host === host && r.baseline).map((r) => r.baseline)),
    ]
    expect(states('pve1')).toEqual(['unchanged'])
    expect(states('pve3')).toEqual(['new'])
    // Not audited now: whether it has new failures is unknown, so its error is new (UNKNOWN).
    expect(states('pve4')).toEqual(['new'])
    expect(states('pve5')).toEqual(['new'])
    expect(states('pve6')).toEqual(['new'])
    // pve2's failures are resolved; pve5's are not known to be gone (not audited now).
    expect(new Set(compared.baseline?.resolved.map((f) => f.host))).toEqual(new Set(['pve2']))
    expect(compared.baseline?.resolved).toHaveLength(failures)
    expect(compared.baseline?.unchanged).toBe(failures)
    expect(compared.baseline?.new).toBe(2 * failures + 2)
  })

  it('--fail-on-new: each node is judged by its new failures, the fleet by the worst node', async () => {
    const baseline = parseBaseline(await formatReport(old, 'json'), 'old.json')
    const gated = applyBaseline(now, baseline, 'old.json', true)
    expect(gated.hosts?.map((h) => [h.host, h.status])).toEqual([
      ['pve1', 'OK'],
      ['pve2', 'OK'],
      ['pve3', 'CRITICAL'],
      ['pve4', 'UNKNOWN'],
      ['pve5', 'UNKNOWN'],
      ['pve6', 'CRITICAL'],
    ])
    expect(gated.summary.status).toBe('CRITICAL')
    const onlyOld = fleetReport(audits.slice(0, 1), {failOn: 'low', tool: single.tool})
    expect(applyBaseline(onlyOld, baseline, 'old.json', true).summary.status).toBe('OK')
  })

  it('refuses a baseline of one host for a fleet, and a fleet baseline for one host, in one line', async () => {
    const one = parseBaseline(await formatReport(single, 'json'), 'one.json')
    expect(() => applyBaseline(now, one, 'one.json', false)).toThrow(
      "--baseline one.json: a report of one host; a fleet audit (--nodes, --cluster) compares with a fleet audit's JSON report",
    )
    const many = parseBaseline(await formatReport(old, 'json'), 'old.json')
    expect(() => applyBaseline(single, many, 'old.json', false)).toThrow(
      /^--baseline old\.json: a fleet audit's report \(verify --nodes\); /,
    )
  })

  it('every format says it per node: json (schema), text, nagios, sarif, junit', async () => {
    const compared = applyBaseline(
      now,
      parseBaseline(await formatReport(old, 'json'), 'old.json'),
      'old.json',
      false,
    )
    const schema = JSON.parse(
      readFileSync(new URL('../../schema/report.schema.json', import.meta.url), 'utf8'),
    )
    const ajv = new Ajv2020.default({allErrors: true, strict: true})
    addFormats.default(ajv)
    const validate = ajv.compile(schema)
    const out = JSON.parse(await formatReport(compared, 'json'))
    expect(validate(out), JSON.stringify(validate.errors, null, 2)).toBe(true)
    expect(out.baseline.resolved[0]).toEqual(expect.objectContaining({host: 'pve2'}))

    const text = await formatReport(compared, 'text', {color: false})
    expect(text).toContain(`since the baseline: 0 new, 0 unchanged, ${failures} resolved`)
    expect(text).toContain(`since the baseline: ${failures} new, 0 unchanged, 0 resolved`)
    expect(text).toContain(
      `Fleet: 6 nodes: 3 CRITICAL (pve1, pve3, pve6), 2 UNKNOWN (pve4, pve5), 1 OK (pve2); since the baseline: ${2 * failures + 2} new, ${failures} unchanged, ${failures} resolved\n`,
    )

    const nagiosLines = (await formatReport(compared, 'nagios')).trimEnd().split('\n')
    expect(nagiosLines.find((l) => l.startsWith('[CRITICAL] pve3: '))).toMatch(
      new RegExp(`; since the baseline: ${failures} new, 0 resolved$`),
    )
    const nagios = nagiosLines[0]!
    expect(nagios).toContain(`; since the baseline: ${2 * failures + 2} new, ${failures} resolved | `)
    expect(nagios).toContain(
      ` new=${2 * failures + 2};;;0 unchanged=${failures};;;0 resolved=${failures};;;0`,
    )

    const sarif = JSON.parse(await formatReport(compared, 'sarif'))
    const states = (i: number) =>
      new Set(sarif.runs[i].results.map((r: {baselineState: string}) => r.baselineState))
    expect(states(0)).toEqual(new Set(['unchanged']))
    expect(states(1)).toEqual(new Set(['absent']))
    expect(states(2)).toEqual(new Set(['new']))

    const xml = new XMLParser({ignoreAttributes: false, isArray: (name) => name === 'testsuite'}).parse(
      await formatReport(compared, 'junit'),
    )
    const props = (i: number) =>
      Object.fromEntries(
        (xml.testsuites.testsuite[i].properties.property as {'@_name': string; '@_value': string}[]).map(
          (p) => [p['@_name'], p['@_value']],
        ),
      )
    expect(props(1)).toMatchObject({'baseline-new': '0', 'baseline-resolved': String(failures)})
    expect(props(2)).toMatchObject({'baseline-new': String(failures), 'baseline-resolved': '0'})
  })
})

describe('prometheus output of a fleet', () => {
  const PROMTOOL = '/usr/bin/promtool'
  const text = formatPrometheus(fleet, {now: new Date('2026-12-07T12:00:00Z')})

  it('is accepted by promtool check metrics without a lint remark', () => {
    const run = spawnSync(PROMTOOL, ['check', 'metrics'], {input: text, encoding: 'utf8', timeout: 20_000})
    expect(run.stdout + run.stderr).toBe('')
    expect(run.status).toBe(0)
  })

  it('gives each audited node a host label on the series a local audit gives, and pcp_harden_up', () => {
    const alone = formatPrometheus(single).split('\n')
    const withHost = (line: string, host: string) =>
      line.includes('{') ? line.replace('{', `{host="${host}",`) : line.replace(' ', `{host="${host}"} `)
    for (const family of ['check_status', 'findings', 'errors', 'status']) {
      const own = alone.filter(
        (l) => l.startsWith(`pcp_harden_${family}{`) || l.startsWith(`pcp_harden_${family} `),
      )
      expect(own.length).toBeGreaterThan(0)
      for (const line of own) expect(text).toContain(`${withHost(line, 'pve1')}\n`)
    }
    expect(text).toContain(
      'pcp_harden_up{host="pve1"} 1\npcp_harden_up{host="pve2"} 1\npcp_harden_up{host="pve3"} 0\n',
    )
    // An unreachable node: no findings (unknown, not zero), its verdict UNKNOWN.
    expect(text).toContain('pcp_harden_status{host="pve3"} 3\n')
    expect(text).not.toMatch(/pcp_harden_(findings|check_status|errors)\{host="pve3"/)
  })

  it('labels carry only the node name, check ids, severities and the version', () => {
    for (const [, name, value] of text.matchAll(/([a-z]+)="([^"]*)"/g)) {
      expect(['host', 'check', 'severity', 'version']).toContain(name)
      if (name === 'host') expect(['pve1', 'pve2', 'pve3']).toContain(value)
    }
  })
})
