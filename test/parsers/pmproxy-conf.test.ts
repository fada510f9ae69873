import {readFileSync} from 'node:fs'
import path from 'node:path'

import fc from 'fast-check'
import {describe, expect, it} from 'vitest'

import {
  effectiveSettings,
  lookupSetting,
  parsePmproxyConf,
  pmproxyConfPaths,
} from '../../src/parsers/pmproxy-conf.js'
import {REPO} from '../cli/run-cli.js'
import {fuzzTexts} from './mutate.js'

const PBENCH = readFileSync(path.resolve(REPO, 'test/fixtures/field/pmcd/deployed-pmproxy.conf'), 'utf8')

const value = (text: string, section: string, key: string) =>
  lookupSetting(effectiveSettings([parsePmproxyConf(text)]), section, key)?.value

describe('parsePmproxyConf: a deployed file', () => {
  const conf = parsePmproxyConf(PBENCH, 'deployed-pmproxy.conf')

  it('parses without a problem, with its sections and settings where they are', () => {
    expect(conf.problems).toEqual([])
    expect(conf.sections.map((s) => s.name)).toEqual(['pmproxy', 'discover', 'pmsearch', 'pmseries'])
    expect(conf.settings.find((s) => s.key === 'pcp.enabled')).toEqual({
      section: 'pmproxy',
      key: 'pcp.enabled',
      value: 'true',
      line: 26,
      continuation: false,
    })
    expect(conf.settings.filter((s) => s.section === 'pmproxy').map((s) => s.key)).toEqual([
      'pcp.enabled',
      'http.enabled',
      'redis.enabled',
      'secure.enabled',
    ])
  })

  it('reads "#" comments and commented-out keys as comments', () => {
    expect(conf.settings.some((s) => s.key.includes('certificates'))).toBe(false)
    const settings = effectiveSettings([conf])
    expect(lookupSetting(settings, 'pmseries', 'servers')?.value).toBe('localhost:6379')
    expect(lookupSetting(settings, 'discover', 'exclude.metrics')?.value).toBe('proc.*,hinv.*')
  })
})

describe('parsePmproxyConf: inih as pmproxy uses it', () => {
  it.each([
    ['a ";" after a blank starts a comment', '[s]\nk = v ; note\n', 'v'],
    ['a ";" inside a word does not', '[s]\nk = a;b\n', 'a;b'],
    ['a "#" after the value is part of it', '[s]\nk = v # not a comment\n', 'v # not a comment'],
    ['":" separates like "="', '[s]\nk: v\n', 'v'],
    ['the first "=" or ":" separates', '[s]\nk = redis://host:6379\n', 'redis://host:6379'],
    ['blanks around key and value go', '[s]\n  k   =   v  \n', 'v'],
    ['the last of two settings wins', '[s]\nk = 1\nk = 2\n', '2'],
    ['a repeated section adds to it', '[s]\nk = 1\n[t]\n[s]\nk = 3\n', '3'],
    ['an indented line replaces the value', '[s]\nk = first\n   second\n', 'second'],
    ['an empty value', '[s]\nk =\n', ''],
    ['CRLF line ends', '[s]\r\nk = v\r\n', 'v'],
  ])('%s', (_name, text, expected) => {
    expect(value(text, 's', 'k')).toBe(expected)
  })

  it('looks sections and keys up case-sensitively', () => {
    expect(value('[PMPROXY]\nsecure.enabled = false\n', 'pmproxy', 'secure.enabled')).toBeUndefined()
    expect(value('[pmproxy]\nSecure.Enabled = false\n', 'pmproxy', 'secure.enabled')).toBeUndefined()
  })

  it('keeps keys before the first section under the empty section, where pmproxy never looks', () => {
    const conf = parsePmproxyConf('bind=127.0.0.1\nport=44322\n[pmproxy]\n')
    expect(conf.settings.map((s) => [s.section, s.key, s.value])).toEqual([
      ['', 'bind', '127.0.0.1'],
      ['', 'port', '44322'],
    ])
  })

  it('reports the lines inih rejects, and the lines it reads otherwise than written', () => {
    const long = `k = ${'x'.repeat(300)}`
    const conf = parsePmproxyConf(`[s\nno separator\n[t]\nk = v\n  more\n${long}\n`)
    expect(conf.problems.map((p) => p.line)).toEqual([1, 2, 5, 6])
    expect(conf.problems[0]?.message).toMatch(/no "\]"/)
    expect(conf.problems[1]?.message).toMatch(/no "=" or ":"/)
    expect(conf.problems[2]?.message).toBe(
      'an indented line continues "k": pmproxy keeps only "more" as its value',
    )
    expect(conf.problems[3]?.message).toMatch(/only the first 199/)
    expect(conf.settings.at(-1)?.value).toHaveLength(199 - 'k = '.length)
  })

  it('an indented line with no key before it is a setting of its own', () => {
    expect(parsePmproxyConf('[s]\n  k = v\n').settings).toEqual([
      {section: 's', key: 'k', value: 'v', line: 2, continuation: false},
    ])
  })

  it('skips a byte order mark on the first line', () => {
    expect(value('\uFEFF[s]\nk = v\n', 's', 'k')).toBe('v')
  })

  it('later files win, as pmproxy reads them in order', () => {
    const system = parsePmproxyConf('[pmproxy]\nsecure.enabled = true\n', '/etc/pcp/pmproxy/pmproxy.conf')
    const local = parsePmproxyConf('[pmproxy]\nsecure.enabled = false\n', '/var/log/pcp/pmproxy/pmproxy.conf')
    expect(lookupSetting(effectiveSettings([system, local]), 'pmproxy', 'secure.enabled')).toMatchObject({
      value: 'false',
      file: '/var/log/pcp/pmproxy/pmproxy.conf',
      line: 2,
    })
  })

  it('reads the system file, two in the home directory, then the working directory', () => {
    expect(pmproxyConfPaths('/var/lib/pcp')).toEqual([
      '/etc/pcp/pmproxy/pmproxy.conf',
      '/var/lib/pcp/.pmproxy.conf',
      '/var/lib/pcp/.pcp/pmproxy.conf',
      '/var/log/pcp/pmproxy/pmproxy.conf',
    ])
  })
})

describe('parsePmproxyConf never throws, and every line it names is in the file', () => {
  const lineCount = (text: string) => text.split('\n').length

  it('random and mutated pmproxy.conf files', () => {
    const seeds = [
      PBENCH,
      '[pmproxy]\nsecure.enabled = true\n  false\n[keys]\npassword = x ; c\n',
      'bind=1\n[s\n',
    ]
    fc.assert(
      fc.property(fuzzTexts(seeds, '[]=:;# \n\tpmproxy.secure'), (text) => {
        const conf = parsePmproxyConf(text)
        for (const item of [...conf.settings, ...conf.sections, ...conf.problems]) {
          expect(item.line).toBeGreaterThanOrEqual(1)
          expect(item.line).toBeLessThanOrEqual(lineCount(text))
        }
        for (const s of conf.settings) expect(s.value).not.toContain('\n')
        effectiveSettings([conf, conf])
      }),
      {numRuns: 200},
    )
  })
})
