import {mkdtemp, rm} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import path from 'node:path'
import {stripVTControlCharacters} from 'node:util'

import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {cli} from './run-cli.js'

/** The summary, last: what was found by severity, then the Nagios state apart (one line each). */
const FOUND =
  /^Found: \d+ critical, \d+ high, \d+ medium, \d+ low; \d+ could not be checked; \d+ passed, \d+ skipped, \d+ waived/
const STATUS = /^Status: CRITICAL \(exit 2, fail-on: low\)$/
const summaryOf = (all: string[]) => all.slice(-2)
const ESC = '\u001B['

let scratch: string
beforeAll(async () => {
  scratch = await mkdtemp(path.join(tmpdir(), 'pcp-harden-habits-'))
})
afterAll(() => rm(scratch, {recursive: true, force: true}))

const lines = (text: string) => text.replace(/\n$/, '').split('\n')

describe('text output', () => {
  it('wraps to 80 columns when not a terminal, the summary last', async () => {
    const {code, stdout} = await cli(['verify', '--sample'], {env: {COLUMNS: ''}})
    expect(code).toBe(2)
    const all = lines(stdout)
    // A word wider than the line (a long path, a sed program) goes past it, alone on its line.
    expect(all.slice(0, -2).filter((l) => l.length > 80 && !/^ *\S+$/.test(l))).toEqual([])
    // The long first finding goes on under its message, not at column 0.
    const first = all.findIndex((l) => l.includes('PCP-PMPROXY-001'))
    expect(all[first + 1]).toMatch(/^ {13}\S/)
    expect(summaryOf(all)[0]).toMatch(FOUND)
    expect(summaryOf(all)[1]).toMatch(STATUS)
    const narrow = lines((await cli(['verify', '--sample'], {env: {COLUMNS: '60'}})).stdout)
    // Only a word wider than the line itself (a long path) goes past it, alone on its line.
    expect(narrow.slice(0, -2).filter((l) => l.length > 60 && !/^ *\S+$/.test(l))).toEqual([])
  })

  it('-q/--quiet: one line per failure, then the summary', async () => {
    const full = await cli(['verify', '--sample', '--format', 'json'])
    const results = (
      JSON.parse(full.stdout) as {results: {status: string; check: string; waived?: unknown}[]}
    ).results
    const quiet = await cli(['verify', '--sample', '-q'])
    expect(quiet.code).toBe(2)
    const out = lines(quiet.stdout)
    expect(summaryOf(out)[0]).toMatch(FOUND)
    expect(summaryOf(out)[1]).toMatch(STATUS)
    const failures = out.slice(0, -2)
    expect(failures.length).toBe(results.filter((r) => r.status === 'fail' && !r.waived).length)
    for (const line of failures)
      expect(line).toMatch(/^ {2}\[(CRITICAL|HIGH|MEDIUM|LOW)\] +[A-Z]+-[A-Z]+-\d{3}\b/)
    expect((await cli(['verify', '--sample', '--quiet'])).stdout).toBe(quiet.stdout)
  })

  it('--color and --no-color win over NO_COLOR and FORCE_COLOR; text only', async () => {
    const forced = await cli(['verify', '--sample', '-q', '--color'], {env: {NO_COLOR: '1'}})
    expect(forced.stdout).toContain(ESC)
    expect(stripVTControlCharacters(forced.stdout)).toBe((await cli(['verify', '--sample', '-q'])).stdout)
    const plain = await cli(['verify', '--sample', '-q', '--no-color'], {env: {FORCE_COLOR: '1'}})
    expect(plain.stdout).not.toContain(ESC)
    expect((await cli(['verify', '--sample', '-q'], {env: {FORCE_COLOR: '1'}})).stdout).toContain(ESC)
    expect((await cli(['verify', '--sample', '--format', 'json', '--color'])).stdout).not.toContain(ESC)
  })
})

describe('errors are words, on one line', () => {
  it('--output naming a directory', async () => {
    const result = await cli(['verify', '--sample', '--output', scratch])
    expect(result).toEqual({
      code: 3,
      stdout: '',
      stderr: `pcp-harden: error: --output ${scratch}: is a directory\n`,
    })
  })

  it('--output in a directory that does not exist', async () => {
    const file = path.join(scratch, 'nope', 'report.txt')
    const result = await cli(['verify', '--sample', '--output', file])
    expect(result.stderr).toBe(`pcp-harden: error: --output ${file}: no such file or directory\n`)
    expect(result.code).toBe(3)
  })

  it('--sample with --root', async () => {
    const result = await cli(['verify', '--sample', '--root', scratch])
    expect(result.code).toBe(3)
    expect(result.stdout).toBe('')
    expect(result.stderr).toBe(
      `pcp-harden: error: --root=${scratch} cannot also be provided when using --sample\n`,
    )
  })

  it('--quiet with --verbose', async () => {
    const result = await cli(['verify', '--sample', '-q', '-v'])
    expect(result.code).toBe(3)
    expect(lines(result.stderr)).toHaveLength(1)
  })
})
