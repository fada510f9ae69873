import {describe, expect, it} from 'vitest'

import {CATALOGUE} from '../../src/checks/index.js'
import type {Severity} from '../../src/checks/types.js'
import {runAudit, selectChecks} from '../../src/engine/audit.js'
import {InputError} from '../../src/engine/errors.js'
import type {ReportResult} from '../../src/engine/model.js'
import {raisedState, summarize} from '../../src/engine/status.js'
import {parseWaivers} from '../../src/engine/waivers-file.js'
import {Host} from '../../src/host/host.js'
import {MemoryBackend, parseTreeSpec} from '../../src/host/tree.js'
import {seedTreeWith} from '../checks/seed-tree.js'

const result = (severity: Severity, status: ReportResult['status'], waived = false): ReportResult => ({
  check: 'X',
  title: 't',
  severity,
  status,
  message: 'm',
  remediation: 'r',
  ...(waived ? {waived: {reason: 'r', source: 'w:1'}} : {}),
})

describe('Nagios state', () => {
  it('follows CRITICAL > WARNING > UNKNOWN > OK', () => {
    expect(summarize([result('low', 'fail'), result('high', 'error')], 'low').status).toBe('WARNING')
    expect(summarize([result('low', 'fail'), result('critical', 'fail')], 'low').status).toBe('CRITICAL')
    expect(summarize([result('high', 'error'), result('info', 'fail')], 'low').status).toBe('UNKNOWN')
    expect(summarize([result('high', 'pass'), result('high', 'skip')], 'low').status).toBe('OK')
    expect(summarize([], 'low').status).toBe('OK')
  })

  it('high and critical failures are CRITICAL, medium and low WARNING, info never counts', () => {
    expect(raisedState(result('critical', 'fail'), 'low')).toBe('CRITICAL')
    expect(raisedState(result('high', 'fail'), 'low')).toBe('CRITICAL')
    expect(raisedState(result('medium', 'fail'), 'low')).toBe('WARNING')
    expect(raisedState(result('low', 'fail'), 'low')).toBe('WARNING')
    expect(raisedState(result('info', 'fail'), 'info')).toBe('OK')
  })

  it('--fail-on moves the line between OK and WARNING', () => {
    const results = [result('low', 'fail'), result('medium', 'fail')]
    expect(summarize(results, 'low')).toMatchObject({status: 'WARNING', counts: {warning: 2, ignored: 0}})
    expect(summarize(results, 'medium')).toMatchObject({status: 'WARNING', counts: {warning: 1, ignored: 1}})
    expect(summarize(results, 'high')).toMatchObject({status: 'OK', counts: {warning: 0, ignored: 2}})
    expect(summarize([result('high', 'fail')], 'high').status).toBe('CRITICAL')
  })

  it('waived failures are shown but not counted', () => {
    expect(summarize([result('critical', 'fail', true)], 'low')).toMatchObject({
      status: 'OK',
      counts: {waived: 1, critical: 0},
    })
  })
})

describe('selecting checks', () => {
  it('by profile, with --check and --skip', () => {
    const proxy = selectChecks({profiles: ['pulse-proxy']}).map((e) => e.id)
    expect(proxy).toEqual(
      expect.arrayContaining([
        'PSP-FILE-001',
        'PSP-FILE-002',
        'PSP-FILE-003',
        'PSP-FILE-004',
        'PSP-FILE-005',
      ]),
    )
    expect(proxy.filter((id) => !id.startsWith('PSP-') && !id.startsWith('PULSE-'))).toEqual([])
    expect(proxy).toEqual(CATALOGUE.filter((e) => e.profiles.includes('pulse-proxy')).map((e) => e.id))
    expect(selectChecks({profiles: [], only: ['psp-file-003']}).map((e) => e.id)).toEqual(['PSP-FILE-003'])
    expect(selectChecks({profiles: ['pulse-proxy'], skip: ['PSP-FILE-005']}).map((e) => e.id)).not.toContain(
      'PSP-FILE-005',
    )
  })

  it('an unknown id is bad input', () => {
    expect(() => selectChecks({profiles: [], only: ['NOPE-1']})).toThrow(InputError)
    expect(() => selectChecks({profiles: [], skip: ['NOPE-1']})).toThrow('--skip NOPE-1: no such check')
  })
})

describe('runAudit with waivers', () => {
  const host = () =>
    new Host(
      new MemoryBackend(seedTreeWith({path: '/var/lib/pulse-sensor-proxy/ssh/id_ed25519', mode: 0o644}), 'm'),
    )
  const options = (waiversYaml: string) => ({
    rootLabel: 'm',
    profiles: ['pulse-proxy' as const],
    // The seed tree runs the proxy, which Pulse no longer supports; that finding is not what these tests are about.
    skip: ['PULSE-LEGACY-001'],
    failOn: 'low' as const,
    waivers: parseWaivers(waiversYaml, '/etc/pcp-harden/waivers.yaml'),
    now: new Date('2026-11-23T12:00:00Z'),
    tool: {name: 'pcp-harden', version: 'test'},
  })

  it('a matching waiver marks the failure waived and the host OK', async () => {
    const report = await runAudit(
      host(),
      options(
        '- {check: PSP-FILE-001, path: /var/lib/pulse-sensor-proxy/ssh/*, reason: lab, expires: 2026-12-01}\n',
      ),
    )
    const fail = report.results.find((r) => r.status === 'fail')
    expect(fail?.waived).toEqual({
      reason: 'lab',
      expires: '2026-12-01',
      source: '/etc/pcp-harden/waivers.yaml:1',
    })
    expect(report.summary).toMatchObject({status: 'OK', counts: {waived: 1, critical: 0}})
  })

  it('runs the checks it is given instead of the catalogue selection', async () => {
    const given = {
      ...(await (
        await import('../../src/checks/files/psp-file-001.js')
      ).check),
      id: 'TEST-GIVEN-001',
      run: async () => [{status: 'fail' as const, path: '/x', message: 'given'}],
    }
    const report = await runAudit(host(), {...options(''), checks: [given]})
    expect(report.results).toEqual([expect.objectContaining({check: 'TEST-GIVEN-001', message: 'given'})])
    expect(report.checks.map((c) => c.id)).toEqual(['TEST-GIVEN-001'])
  })

  it('an expired waiver no longer applies and is itself reported', async () => {
    const report = await runAudit(
      host(),
      options('- {check: PSP-FILE-001, reason: lab, expires: 2026-11-22}\n'),
    )
    expect(report.summary.status).toBe('CRITICAL')
    const expired = report.results.find((r) => r.check === 'PCPH-WAIVER-001')
    expect(expired).toMatchObject({
      status: 'fail',
      severity: 'low',
      path: '/etc/pcp-harden/waivers.yaml',
      line: 1,
    })
    expect(expired?.message).toBe(
      'the waiver for PSP-FILE-001 expired on 2026-11-22 and no longer applies ("lab")',
    )
    expect(report.checks.map((c) => c.id)).toContain('PCPH-WAIVER-001')
  })

  it('--check selects exactly the named checks: the expired-waiver check only when named', async () => {
    const expiredYaml = '- {check: PSP-FILE-001, reason: lab, expires: 2026-11-22}\n'
    const ids = (report: {results: ReportResult[]}) => [...new Set(report.results.map((r) => r.check))]
    const onlyFile = await runAudit(host(), {...options(expiredYaml), only: ['PSP-FILE-001']})
    expect(ids(onlyFile)).toEqual(['PSP-FILE-001'])
    expect(onlyFile.checks.map((c) => c.id)).toEqual(['PSP-FILE-001'])
    const onlyWaiver = await runAudit(host(), {...options(expiredYaml), only: ['pcph-waiver-001']})
    expect(ids(onlyWaiver)).toEqual(['PCPH-WAIVER-001'])
    const both = await runAudit(host(), {...options(expiredYaml), only: ['PSP-FILE-001', 'PCPH-WAIVER-001']})
    expect(ids(both)).toEqual(['PSP-FILE-001', 'PCPH-WAIVER-001'])
    const skipped = await runAudit(host(), {...options(expiredYaml), skip: ['PCPH-WAIVER-001']})
    expect(ids(skipped)).not.toContain('PCPH-WAIVER-001')
    // The expired waiver still does not apply when its check is not run.
    expect(
      skipped.results.find((r) => r.check === 'PSP-FILE-001' && r.status === 'fail')?.waived,
    ).toBeUndefined()
  })

  it('a check that throws becomes an error result (UNKNOWN), not a crash', async () => {
    const broken = new Host({
      description: 'broken',
      lstat: async () => {
        throw Object.assign(new Error('EIO: i/o error'), {code: 'EIO'})
      },
      readlink: async () => '',
      readFile: async () => Buffer.from(''),
      readdir: async () => [],
    })
    const report = await runAudit(broken, {...options(''), profiles: ['pulse-proxy']})
    expect(report.results.every((r) => r.status === 'error')).toBe(true)
    expect(report.results[0]?.message).toMatch(/EIO/)
    expect(report.summary.status).toBe('UNKNOWN')
  })
})

describe('the sample tree description', () => {
  it('parses', () => {
    expect(parseTreeSpec('entries: []', 's').entries).toEqual([])
  })
})
