import {mkdirSync, readdirSync, readFileSync, rmSync} from 'node:fs'
import path from 'node:path'

import {describe, expect, it} from 'vitest'

import {loadAll} from '../../src/checks/index.js'
import {pack, run, tarFiles} from './pack.js'
import {cli, REPO} from './run-cli.js'

/**
 * Users have neither the project's source documents nor its notes: nothing they read may send them
 * there. Words that name them, in anything a user sees.
 */
const PRIVATE = /\bseeds?\s*\/|\bseeds?\s+0\d\d\b|\bseed[- ]style\b|\bseed-guide\b|FACTS\.md|\.\.\/shared\b/i
/** In prose we write (not in the bundle, where a dependency may say "seed" of a random generator). */
const PRIVATE_PROSE = new RegExp(`${PRIVATE.source}|\\bseeds?\\b`, 'i')

function offending(text: string, pattern: RegExp): string[] {
  return text.split('\n').filter((line) => pattern.test(line))
}

const manifest = JSON.parse(readFileSync(path.join(REPO, 'oclif.manifest.json'), 'utf8')) as {
  commands: Record<string, unknown>
}

describe('what users read names only public documents', () => {
  it('the README', () => {
    expect(offending(readFileSync(path.join(REPO, 'README.md'), 'utf8'), PRIVATE_PROSE)).toEqual([])
  })

  it('templates, the sample host and the report schema', () => {
    const files = [
      ...readdirSync(path.join(REPO, 'templates')).map((f) => path.join('templates', f)),
      'sample/host.yaml',
      ...readdirSync(path.join(REPO, 'schema')).map((f) => path.join('schema', f)),
    ]
    const found = files.flatMap((file) =>
      offending(readFileSync(path.join(REPO, file), 'utf8'), PRIVATE_PROSE).map((line) => `${file}: ${line}`),
    )
    expect(found).toEqual([])
  })

  it('the bundle that runs', () => {
    expect(offending(readFileSync(path.join(REPO, 'dist/pcp-harden.cjs'), 'utf8'), PRIVATE)).toEqual([])
  })

  it('every check, as `checks list` and `checks explain` show it', async () => {
    const list = await cli(['checks', 'list', '--format', 'json'])
    expect(list.code).toBe(0)
    expect(offending(list.stdout, PRIVATE_PROSE)).toEqual([])
    const checks = await loadAll()
    expect(checks.length).toBeGreaterThan(50)
    const found = checks.flatMap((check) =>
      [
        check.title,
        check.rationale,
        check.remediation,
        check.reference,
        check.example.fail,
        check.example.pass,
      ]
        .flatMap((text) => offending(text, PRIVATE_PROSE))
        .map((line) => `${check.id}: ${line}`),
    )
    expect(found).toEqual([])
  })

  it("every command's --help", async () => {
    const ids = Object.keys(manifest.commands)
    expect(ids.length).toBeGreaterThan(10)
    const runs = await Promise.all(ids.map((id) => cli([...id.split(':'), '--help'])))
    const found = runs.flatMap((run, i) => offending(run.stdout, PRIVATE_PROSE).map((l) => `${ids[i]}: ${l}`))
    expect(found).toEqual([])
  })

  it('every text file of the npm package', async () => {
    const {dir, tarball} = await pack()
    try {
      mkdirSync(path.join(dir, 'x'))
      await run('tar', ['-xzf', tarball, '-C', path.join(dir, 'x')])
      const files = (await tarFiles(tarball)).filter((file) => !file.endsWith('.cache'))
      expect(files).toContain('package/dist/pcp-harden.cjs')
      const found = files.flatMap((file) => {
        // The bundle holds dependencies, where "seed" may be a random generator's.
        const pattern = file.endsWith('.cjs') ? PRIVATE : PRIVATE_PROSE
        return offending(readFileSync(path.join(dir, 'x', file), 'utf8'), pattern).map((l) => `${file}: ${l}`)
      })
      expect(found).toEqual([])
    } finally {
      rmSync(dir, {recursive: true, force: true})
    }
  }, 90_000)
})
