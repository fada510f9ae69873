import {execFile} from 'node:child_process'
import {mkdtemp, rm, writeFile, mkdir} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import path from 'node:path'
import {promisify} from 'node:util'

import {describe, expect, it} from 'vitest'

import {REPO} from './run-cli.js'

const run = promisify(execFile)
const SCRIPT = path.join(REPO, 'scripts/conformance.js')

async function conformance(dir: string): Promise<{code: number; stdout: string}> {
  try {
    const {stdout} = await run(process.execPath, [SCRIPT, dir], {timeout: 120_000})
    return {code: 0, stdout}
  } catch (error) {
    const e = error as {code: number; stdout: string}
    return {code: e.code, stdout: e.stdout}
  }
}

describe('npm run conformance', () => {
  it('lints every field-shaped fixture by its kind, with no parser error and no escaped exception', async () => {
    const {code, stdout} = await conformance(path.join(REPO, 'test/fixtures/field'))
    expect(stdout).toMatch(/^ok {4}lxc\/lxc-2\.conf: exit 2$/m)
    expect(stdout).toMatch(/^ok {4}authorized_keys\/backup-docs: exit 1$/m)
    expect(stdout).toMatch(/^ok {4}pmcd\/deployed-pmcd\.conf: exit 1$/m)
    expect(stdout).toMatch(/^ok {4}pmcd\/deployed-pmproxy\.conf: exit 1$/m)
    expect(stdout.trim().split('\n').at(-1)).toBe('14 files linted, 0 failures')
    expect(code).toBe(0)
  }, 180_000)

  it('fails on a file whose lint ends in UNKNOWN, and names it', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'pcp-harden-conformance-test-'))
    try {
      await mkdir(path.join(dir, 'authorized_keys'))
      // Larger than any file pcp-harden reads: the lint cannot judge it (UNKNOWN).
      await writeFile(path.join(dir, 'authorized_keys/huge'), Buffer.alloc(100 * 1024 * 1024, 'a'))
      const {code, stdout} = await conformance(dir)
      expect(stdout).toMatch(/^FAIL {2}authorized_keys\/huge: exit 3/m)
      expect(stdout.trim().split('\n').at(-1)).toBe('1 files linted, 1 failures')
      expect(code).toBe(1)
    } finally {
      await rm(dir, {recursive: true, force: true})
    }
  }, 120_000)
})
