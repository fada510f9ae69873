import {spawnSync} from 'node:child_process'
import {existsSync} from 'node:fs'
import {mkdtemp, rm, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import path from 'node:path'

import fc from 'fast-check'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {DiskBackend} from '../../src/host/backend.js'
import {Host} from '../../src/host/host.js'
import {accessContext, lintPmcdConf} from '../../src/pcp/lint.js'
import {fuzzTexts} from '../parsers/mutate.js'
import {CASES, caseText} from './cases.js'

/**
 * Our verdict on each pmcd.conf against real `pmcd -v -c FILE` (Debian's pcp, installed by
 * .ci/run): the same accept/reject on every case, and the same line for the first problem.
 */
const PMCD = '/usr/lib/pcp/bin/pmcd'
let dir: string

beforeAll(async () => {
  if (!existsSync(PMCD))
    throw new Error(`${PMCD} is missing: install Debian's pcp (SYSTEMD_OFFLINE=1 apt-get install pcp)`)
  dir = await mkdtemp(path.join(tmpdir(), 'pcp-harden-pmcd-v-'))
})

afterAll(async () => {
  await rm(dir, {recursive: true, force: true})
})

function pmcdVerdict(file: string): {valid: boolean; line?: number; output: string} {
  const run = spawnSync(PMCD, ['-v', '-c', file], {encoding: 'utf8', timeout: 20_000})
  const output = `${run.stdout}${run.stderr}`
  const lines = [...output.matchAll(/pmcd config\[line (\d+)\]: (Error|Warning)/g)]
  const decisive = lines.find((m) => m[2] === 'Error') ?? lines.at(-1)
  return {valid: run.status === 0, line: decisive ? Number(decisive[1]) : undefined, output}
}

describe('access lint agrees with pmcd -v', () => {
  it('has at least 50 cases', () => {
    expect(CASES.length).toBeGreaterThanOrEqual(50)
  })

  it.each(CASES.map((c) => [c.name, c] as const))('%s', async (_name, c) => {
    const file = path.join(dir, `${c.name.replace(/\W+/g, '-')}.conf`)
    const text = caseText(c)
    await writeFile(file, text)
    const pmcd = pmcdVerdict(file)
    const ours = await lintPmcdConf(text, await accessContext(new Host(new DiskBackend('/')), true))
    expect(ours.valid, `pmcd said:\n${pmcd.output}\nwe said: ${JSON.stringify(ours.diagnostics)}`).toBe(
      pmcd.valid,
    )
    if (!pmcd.valid) {
      const firstError = ours.diagnostics.find((d) => d.severity === 'error')
      const decisiveWarning = ours.diagnostics.filter((d) => d.severity === 'warning').at(-1)
      expect((firstError ?? decisiveWarning)?.line, pmcd.output).toBe(pmcd.line)
    }
  })
})

describe('access lint agrees with pmcd -v on mutated configurations', () => {
  it('300 mutations of the cases above (fixed seed: reproducible)', async () => {
    const ctx = await accessContext(new Host(new DiskBackend('/')), true)
    const file = path.join(dir, 'fuzz.conf')
    await fc.assert(
      fc.asyncProperty(fuzzTexts(CASES.map(caseText)), async (text) => {
        await writeFile(file, text)
        const pmcd = pmcdVerdict(file)
        const ours = await lintPmcdConf(text, ctx)
        expect(ours.valid, `${JSON.stringify(text)}\npmcd said:\n${pmcd.output}`).toBe(pmcd.valid)
      }),
      {numRuns: 300, seed: 20261123},
    )
  }, 120_000)
})
