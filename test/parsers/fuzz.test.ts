import {readFileSync} from 'node:fs'
import path from 'node:path'

import fc from 'fast-check'
import {describe, expect, it} from 'vitest'

import {InputError} from '../../src/engine/errors.js'
import {parseWaivers} from '../../src/engine/waivers-file.js'
import {parsePmcdConf} from '../../src/parsers/pmcd-conf.js'
import {parseSaslConf} from '../../src/parsers/sasl-conf.js'
import {parseTlsConf} from '../../src/parsers/tls-conf.js'
import {lintPmcdConf} from '../../src/pcp/lint.js'
import {CASES, caseText} from '../access/cases.js'
import {REPO} from '../cli/run-cli.js'
import {fuzzTexts} from './mutate.js'

const CORPUS = path.resolve(REPO, 'test/fixtures/field')
const corpus = (file: string) => readFileSync(path.join(CORPUS, file), 'utf8')

/** Bounded: a few hundred inputs each, so the suite stays fast. */
const RUNS = {numRuns: 300}

const lineCount = (text: string) => text.split('\n').length

describe('parsers never throw, and every problem has a line in the file', () => {
  it('pmcd.conf', async () => {
    const seeds = [corpus('pmcd/deployed-pmcd.conf'), ...CASES.map(caseText)]
    const ctx = {
      resolveHost: async (name: string) => (name === 'localhost' ? ['127.0.0.1'] : undefined),
      users: [],
      groups: [],
    }
    await fc.assert(
      fc.asyncProperty(fuzzTexts(seeds), async (text) => {
        const conf = parsePmcdConf(text)
        for (const d of conf.diagnostics) {
          expect(d.line).toBeGreaterThanOrEqual(1)
          expect(d.line).toBeLessThanOrEqual(lineCount(text))
        }
        for (const s of conf.statements) expect(s.endLine).toBeLessThanOrEqual(lineCount(text))
        const lint = await lintPmcdConf(text, ctx)
        expect(lint.valid).toBe(!lint.diagnostics.some((d) => d.severity === 'error'))
      }),
      RUNS,
    )
  })

  it('tls.conf', () => {
    const seeds = [
      'tls-cert-file = /etc/pcp/tls/server.crt\ntls-key-file = /etc/pcp/tls/server.key\n# c\ntls-ciphers: HIGH:!aNULL\n',
      '  tls-ca = /ca.crt\ntls-verify-clients = true\ntls-unknown = x\n',
    ]
    fc.assert(
      fc.property(fuzzTexts(seeds, 'tls-cert-file=:# \n\t/ca'), (text) => {
        const conf = parseTlsConf(text)
        for (const s of [...conf.settings, ...conf.ignored]) {
          expect(s.line).toBeGreaterThanOrEqual(1)
          expect(s.line).toBeLessThanOrEqual(lineCount(text))
        }
        for (const s of conf.settings) expect(s.value).not.toMatch(/[\s#]/)
      }),
      RUNS,
    )
  })

  it('/etc/sasl2/pmcd.conf', () => {
    const seeds = [
      'mech_list: plain login scram-sha-256\nsasldb_path: /etc/pcp/passwd.db\n',
      '# c\nmech_list:\n',
    ]
    fc.assert(
      fc.property(fuzzTexts(seeds, 'mech_list:sasldb_path #\n'), (text) => {
        const conf = parseSaslConf(text)
        for (const line of Object.values(conf.lines)) expect(line).toBeLessThanOrEqual(lineCount(text))
      }),
      RUNS,
    )
  })

  it('waivers: a list, or one InputError line naming file and line', () => {
    const seeds = [
      'waivers:\n  - check: PCP-FILE-006\n    path: /etc/pcp/*\n    reason: r\n    expires: 2027-01-31\n',
      '- {check: PSP-*, reason: lab}\n',
    ]
    fc.assert(
      fc.property(fuzzTexts(seeds, 'waivers:- {}check,reason:path/*\n "#'), (text) => {
        try {
          for (const w of parseWaivers(text, 'w.yaml')) expect(w.line).toBeLessThanOrEqual(lineCount(text))
        } catch (error) {
          expect(error).toBeInstanceOf(InputError)
          expect((error as Error).message).toMatch(/^w\.yaml:\d+: [^\n]+$/)
        }
      }),
      RUNS,
    )
  })
})

describe('configurations shaped like deployed ones', () => {
  it('a deployed pmcd.conf: nine agents and the shipped default access section', async () => {
    const text = corpus('pmcd/deployed-pmcd.conf')
    const conf = parsePmcdConf(text)
    expect(conf.diagnostics).toEqual([])
    expect(conf.agents.map((a) => a.name)).toContain('pmcd')
    expect(conf.statements.map((s) => [s.allow, s.names.map((n) => n.text)])).toEqual([
      [false, ['.*']],
      [false, [':*']],
      [true, ['local:*']],
    ])
  })
})
