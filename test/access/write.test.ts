import {readFileSync} from 'node:fs'
import path from 'node:path'

import {describe, expect, it} from 'vitest'

import {InputError} from '../../src/engine/errors.js'
import {parsePmcdConf} from '../../src/parsers/pmcd-conf.js'
import {
  accessStatements,
  spliceAccessSection,
  toPcpNames,
  translateSeedPolicy,
} from '../../src/pcp/access-writer.js'
import {REPO} from '../cli/run-cli.js'

describe('toPcpNames', () => {
  it.each([
    ['10.0.0.0/8', ['10.*']],
    ['192.168.1.0/24', ['192.168.1.*']],
    ['192.168.2.0/23', ['192.168.2.*', '192.168.3.*']],
    ['10.1.2.3', ['10.1.2.3']],
    ['10.1.*', ['10.1.*']],
    ['monitor-1.example.com', ['monitor-1.example.com']],
    ['::1', ['"::1"']],
    ['*', ['.*', '":*"']],
  ])('%s', (input, expected) => {
    expect(toPcpNames(input)).toEqual(expected)
  })

  it.each(['10.0.0.0/2', 'bad name!', '300.*', '10.0.0.0/33'])('rejects %s with a clear error', (input) => {
    expect(() => toPcpNames(input)).toThrow(InputError)
  })
})

describe('accessStatements', () => {
  it('denies remote hosts, then allows the monitors with a limit, then local clients', () => {
    const texts = accessStatements({
      fetch: ['10.1.2.0/24', 'mon.example.com'],
      store: [],
      all: ['10.1.9.7'],
      maxConnections: 20,
      denyRemote: true,
      local: 'all',
    }).map((s) => s.text)
    expect(texts).toEqual([
      'disallow ".*" : all;',
      'disallow ":*" : all;',
      'allow 10.1.2.*, mon.example.com : fetch, maximum 20 connections;',
      'allow 10.1.9.7 : all, maximum 20 connections;',
      'allow "local:*" : all;',
    ])
  })

  it('no default deny for a family a rule opens to everyone (pmcd would call it a clash)', () => {
    const texts = accessStatements({fetch: ['*'], store: [], all: [], denyRemote: true, local: 'fetch'}).map(
      (s) => s.text,
    )
    expect(texts).toEqual(['allow .*, ":*" : fetch;', 'allow "local:*" : fetch;'])
  })
})

describe('spliceAccessSection keeps the agents table byte for byte', () => {
  const original =
    '# agents\r\npmcd\t2\tdso\tpmcd_init\t/x/pmda_pmcd.so   # trailing\n\n# before access\n[access]\nallow * : all;\n'

  it('replaces from the [access] header to the end', () => {
    const result = spliceAccessSection(
      original,
      '[access]\nallow "local:*" : all;\n',
      parsePmcdConf(original).accessLine,
    )
    expect(result.startsWith(original.slice(0, original.indexOf('[access]')))).toBe(true)
    expect(result.endsWith('[access]\nallow "local:*" : all;\n')).toBe(true)
  })

  it('appends a section to a file without one', () => {
    expect(spliceAccessSection('pmcd 2 dso i /x.so', '[access]\n', undefined)).toBe(
      'pmcd 2 dso i /x.so\n\n[access]\n',
    )
  })
})

describe('translateSeedPolicy: seed 000 pmcd.access lines to what PCP enforces', () => {
  it('translates each line and says what cannot be enforced', () => {
    const seed = [
      '# Format: host_pattern authentication_type',
      'localhost cert',
      '10.0.0.0/8 sasl',
      'viewer-host cert readonly',
      '* sasl metrics=pmcd.*,kernel.*',
      '* reject',
    ].join('\n')
    const {rules, notes, refusals} = translateSeedPolicy(seed, 'pmcd.access')
    expect(rules.map((r) => [r.names, r.ops, r.auth])).toEqual([
      [['localhost'], 'all', 'cert'],
      [['10.0.0.0/8'], 'all', 'sasl'],
      [['viewer-host'], 'fetch', 'cert'],
      [['*'], 'deny', 'reject'],
    ])
    expect(notes.map((n) => n.line)).toEqual([2, 3, 4])
    // Allowing "*" every metric is more than "these metrics only": refused, not translated.
    expect(refusals).toEqual([{line: 5, message: expect.stringMatching(/no per-metric access control/)}])
  })

  it('refuses a line with a word it does not understand rather than guess (read-only is not readonly)', () => {
    const {rules, refusals} = translateSeedPolicy('viewer sasl read-only\n', 'p')
    expect(rules).toEqual([])
    expect(refusals[0]).toMatchObject({
      line: 1,
      message: expect.stringContaining('"read-only" is not understood'),
    })
  })

  it('a reject line with metrics= denies every metric, and says so', () => {
    const {rules, notes} = translateSeedPolicy('* reject metrics=proc.*\n', 'p')
    expect(rules.map((r) => r.ops)).toEqual(['deny'])
    expect(notes[0]?.message).toMatch(/denied every metric instead/)
  })

  it('rejects lines that are not seed-style, naming file and line', () => {
    expect(() => translateSeedPolicy('10.0.0.0/8 kerberos\n', 'p')).toThrow(
      'p:1: expected "HOST cert|sasl|reject',
    )
  })

  it('the template exists in the package', () => {
    expect(readFileSync(path.join(REPO, 'templates/pmcd-access.eta'), 'utf8')).toContain('it.statements')
  })
})

describe('looksLikeSeedPolicy', () => {
  it('tells seed-style policy files from pmcd syntax', async () => {
    const {looksLikeSeedPolicy} = await import('../../src/pcp/access-writer.js')
    expect(looksLikeSeedPolicy('# x\nlocalhost cert\n10.0.0.0/8 sasl\n* reject\n')).toBe(true)
    expect(looksLikeSeedPolicy('[access]\nallow * : all;\n')).toBe(false)
    expect(looksLikeSeedPolicy('# only comments\n')).toBe(false)
  })
})
