import {spawnSync} from 'node:child_process'
import {existsSync, readFileSync} from 'node:fs'
import {mkdtemp, rm, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import path from 'node:path'

import fc from 'fast-check'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {parsePmproxyConf} from '../../src/parsers/pmproxy-conf.js'
import {REPO} from '../cli/run-cli.js'
import {fuzzTexts} from './mutate.js'

/**
 * Our reading of pmproxy.conf against the real thing: Debian's pcp 6.0.3 pmseries reads a -c file
 * with the same pmIniFileSetup, inih and dict_handler as pmproxy, and with -D libweb prints every
 * setting the handler stores ("pmIniFileParse set section.key = value"), in order. -p 1 points it
 * at a Redis port nothing listens on, so it gives up at once.
 */
const PMSERIES = '/usr/bin/pmseries'
const PBENCH = readFileSync(path.resolve(REPO, 'test/fixtures/field/pmcd/deployed-pmproxy.conf'), 'utf8')
const SHIPPED = existsSync('/etc/pcp/pmproxy/pmproxy.conf')
  ? readFileSync('/etc/pcp/pmproxy/pmproxy.conf', 'utf8')
  : PBENCH

let dir: string

beforeAll(async () => {
  if (!existsSync(PMSERIES))
    throw new Error(`${PMSERIES} is missing: install Debian's pcp (SYSTEMD_OFFLINE=1 apt-get install pcp)`)
  dir = await mkdtemp(path.join(tmpdir(), 'pcp-harden-pmproxy-conf-'))
})

afterAll(async () => {
  await rm(dir, {recursive: true, force: true})
})

/** What pmseries stores from a config file, one "section.key = value" a setting. */
async function realSettings(text: string): Promise<string[]> {
  const file = path.join(dir, 'pmproxy.conf')
  await writeFile(file, text)
  const run = spawnSync(PMSERIES, ['-D', 'libweb', '-c', file, '-p', '1', 'kernel.all.load'], {
    cwd: dir,
    env: {PATH: '/usr/bin:/bin', LC_ALL: 'C', HOME: dir},
    encoding: 'utf8',
    timeout: 10_000,
  })
  return run.stderr
    .split('\n')
    .filter((l) => l.startsWith('pmIniFileParse set '))
    .map((l) => l.slice('pmIniFileParse set '.length))
}

const ourSettings = (text: string) =>
  parsePmproxyConf(text).settings.map((s) => `${s.section}.${s.key} = ${s.value}`)

describe('pmproxy.conf: our parser stores what pmproxy stores', () => {
  it.each([
    ['a deployed file', PBENCH],
    ['the shipped file', SHIPPED],
    [
      'comments, continuations and bad lines',
      '[pmproxy]\nsecure.enabled = true\n  false\nk = a ; c\nk2 = a;c\nk3 = v # h\n[PMProxy]\nx=1\nbefore\n[s\n',
    ],
    ['keys before a section, a byte order mark', '\uFEFFbind=127.0.0.1\nport = 44322\n[pmproxy]\n'],
    [
      'long lines and NUL bytes',
      `[s]\nk = ${'x'.repeat(300)}\nj = 2\nm = a\u0000b\nn${'y'.repeat(250)}\u0000${'z'.repeat(10)}= q\nlast = 1\n`,
    ],
    ['long names', `[${'s'.repeat(60)}]\n${'k'.repeat(60)} = 1\n   2\n`],
  ])('%s', async (_name, text) => {
    expect(ourSettings(text)).toEqual(await realSettings(text))
  })

  it('200 random and mutated files (fixed seed: reproducible)', async () => {
    const seeds = [
      PBENCH,
      '[pmproxy]\nsecure.enabled = true\n  false\n[redis]\npassword = x ; c\n',
      'bind=1\n[s\n',
    ]
    await fc.assert(
      fc.asyncProperty(fuzzTexts(seeds, '[]=:;# \n\t\r\u0000pmproxy.secure'), async (text) => {
        expect(ourSettings(text)).toEqual(await realSettings(text))
      }),
      {numRuns: 200, seed: 20260523},
    )
  }, 60_000)
})
