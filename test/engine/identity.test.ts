import {describe, expect, it} from 'vitest'

import {applyBaseline, parseBaseline} from '../../src/engine/baseline.js'
import {identities, identityKey} from '../../src/engine/identity.js'
import {reportOf} from '../report/fixture.js'

const base = {check: 'PCP-TLS-001', path: '/etc/pcp/tls.conf', message: 'unknown key "tls-cipher-list"'}

describe('finding identities', () => {
  it('ignore whitespace, line references and, in messages, bare numbers', () => {
    const a = identityKey({...base, evidence: '/etc/pcp/tls.conf line 4: tls-cipher-list = HIGH'})
    const b = identityKey({...base, evidence: '/etc/pcp/tls.conf line 19:   tls-cipher-list=HIGH'})
    expect(a).toBe(b)
    const m1 = identityKey({check: 'PSP-FILE-007', path: '/k', message: 'kept (3 day(s) old)'})
    const m2 = identityKey({check: 'PSP-FILE-007', path: '/k', message: 'kept (40 day(s) old)'})
    expect(m1).toBe(m2)
  })

  it('differ by check, path and evidence, and number repeats of one key', () => {
    const ids = identities([
      {...base, evidence: 'tls-cipher-list = HIGH'},
      {...base, evidence: 'tls-cipher-list = HIGH'},
      {...base, evidence: 'tls-cipher-list = LOW'},
      {...base, path: '/home/alice/.pcp/tls.conf', evidence: 'tls-cipher-list = HIGH'},
    ])
    expect(ids[0]).toMatch(/^PCP-TLS-001:[0-9a-f]{16}$/)
    expect(ids[1]).toBe(`${ids[0]}#2`)
    expect(new Set(ids).size).toBe(4)
  })
})

describe('parseBaseline and applyBaseline', () => {
  const fail = (message: string) => ({
    check: 'PSP-FILE-001',
    title: 't',
    severity: 'critical' as const,
    status: 'fail' as const,
    path: '/k',
    message,
    remediation: 'r',
  })

  it('marks new and unchanged failures, lists resolved ones, and gates only on new ones', () => {
    const old = reportOf([fail('readable by every user'), fail('owned by nobody')])
    const json = JSON.stringify({results: old.results})
    const baseline = parseBaseline(json, 'old.json')
    const now = reportOf([fail('readable by every user'), fail('writable by every user')])
    const gated = applyBaseline(now, baseline, 'old.json', true)
    expect(gated.results.map((r) => r.baseline)).toEqual(['unchanged', 'new'])
    expect(gated.baseline?.resolved.map((f) => f.message)).toEqual(['owned by nobody'])
    expect(gated.summary.status).toBe('CRITICAL')
    const onlyOld = applyBaseline(reportOf([fail('readable by every user')]), baseline, 'old.json', true)
    expect(onlyOld.summary.status).toBe('OK')
    expect(onlyOld.summary.counts.ignored).toBe(1)
    expect(
      applyBaseline(reportOf([fail('readable by every user')]), baseline, 'old.json', false).summary.status,
    ).toBe('CRITICAL')
  })

  it('names bad input by file', () => {
    expect(() => parseBaseline('{', 'b.json')).toThrow(/^--baseline b\.json: not JSON/)
    expect(() => parseBaseline('[]', 'b.json')).toThrow(
      '--baseline b.json: not a pcp-harden JSON report (no "results" list)',
    )
  })
})
