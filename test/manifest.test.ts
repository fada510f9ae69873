import {execFileSync} from 'node:child_process'
import {cp, mkdtemp, readFile, rm, symlink} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import path from 'node:path'

import {expect, it} from 'vitest'

import {REPO} from './cli/run-cli.js'

it('oclif.manifest.json is what the build generates from the current commands', async () => {
  const dir = await mkdtemp(path.join(tmpdir(), 'pcp-harden-manifest-'))
  try {
    await cp(path.join(REPO, 'package.json'), path.join(dir, 'package.json'))
    await cp(path.join(REPO, 'dist'), path.join(dir, 'dist'), {recursive: true})
    await symlink(path.join(REPO, 'node_modules'), path.join(dir, 'node_modules'))
    execFileSync(process.execPath, [path.join(REPO, 'node_modules/oclif/bin/run.js'), 'manifest'], {
      cwd: dir,
      stdio: 'pipe',
      timeout: 60_000,
    })
    const fresh = JSON.parse(await readFile(path.join(dir, 'oclif.manifest.json'), 'utf8'))
    const committed = JSON.parse(await readFile(path.join(REPO, 'oclif.manifest.json'), 'utf8'))
    expect(Object.keys(fresh.commands).sort()).toEqual([
      'access:lint',
      'access:write',
      'cert:check',
      'cert:init',
      'cert:issue',
      'checks:explain',
      'checks:list',
      'decommission',
      'help',
      'keys:lint',
      'logs',
      'lxc:lint',
      'probe',
      'rotate-keys',
      'tls:write',
      'unit:lint',
      'unit:write',
      'verify',
      'version',
    ])
    expect(committed).toEqual(fresh)
  } finally {
    await rm(dir, {recursive: true, force: true})
  }
}, 90_000)

it("command ids sort the same by code point as by localeCompare (the build's edit of oclif's sort relies on it)", async () => {
  const ids = Object.keys(JSON.parse(await readFile(path.join(REPO, 'oclif.manifest.json'), 'utf8')).commands)
  for (const id of ids) expect(id).toMatch(/^[a-z]+(?:[-:][a-z]+)*$/)
  const byCodePoint = [...ids].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))
  expect(byCodePoint).toEqual([...ids].sort((a, b) => a.localeCompare(b)))
})

it("the bundle carries the edit: oclif's command sort no longer calls localeCompare", async () => {
  const bundle = await readFile(path.join(REPO, 'dist/pcp-harden.cjs'), 'utf8')
  expect(bundle).toContain('pluginType:')
  expect(bundle).not.toMatch(/\.id\.localeCompare\(/)
})

it('the bundle is pure ASCII, which bin/main.js reads as latin1', async () => {
  const bytes = await readFile(path.join(REPO, 'dist/pcp-harden.cjs'))
  expect(bytes.findIndex((b) => b > 0x7f)).toBe(-1)
})
