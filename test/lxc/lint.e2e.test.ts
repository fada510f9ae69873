import {readdirSync} from 'node:fs'
import path from 'node:path'

import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {parseTreeSpec} from '../../src/host/tree.js'
import {SEED_TREE} from '../checks/seed-tree.js'
import {buildTree, removeTree} from '../helpers/tree.js'
import {cli, REPO} from '../cli/run-cli.js'

const CORPUS = path.resolve(REPO, 'test/fixtures/field/lxc')

interface JsonResult {
  check: string
  status: string
  path?: string
  line?: number
}

let image: string

beforeAll(async () => {
  image = await buildTree(parseTreeSpec(SEED_TREE, 'seed'))
})

afterAll(async () => {
  await removeTree(image)
})

const failures = (stdout: string) =>
  (JSON.parse(stdout) as {results: JsonResult[]}).results
    .filter((r) => r.status === 'fail')
    .map((r) => `${r.check} ${r.line ?? '-'}`)

describe('lxc lint on the field-shaped configs', () => {
  it.each(readdirSync(CORPUS).sort())('%s: verify json, the file named in every result', async (name) => {
    const file = path.join(CORPUS, name)
    const run = await cli(['lxc', 'lint', file, '--format', 'json'])
    expect(run.stderr).toBe('')
    const report = JSON.parse(run.stdout) as {root: string; results: JsonResult[]}
    expect(report.root).toBe(file)
    expect(report.results.length).toBe(11)
    for (const r of report.results) expect(r.path).toBe(file)
    const privileged = ['lxc-2.conf', 'lxc-9.conf', 'lxc-15.conf'].includes(name)
    expect(run.code).toBe(privileged ? 2 : 0)
    expect(failures(run.stdout).every((f) => f.startsWith('PSP-LXC-001'))).toBe(true)
  })

  it('gives nagios output and its exit code', async () => {
    const run = await cli(['lxc', 'lint', path.join(CORPUS, 'lxc-2.conf'), '--format', 'nagios'])
    expect(run.code).toBe(2)
    expect(run.stdout).toMatch(
      /^PCP-HARDEN CRITICAL - 0 critical, 1 high, 0 medium, 0 low \| critical=1;;;0 /,
    )
  })
})

describe('lxc lint under --root', () => {
  it('reads the config through the root and passes seed 004 (mp0)', async () => {
    const run = await cli(['lxc', 'lint', '--root', image, '/etc/pve/lxc/105.conf', '--format', 'json'])
    expect([run.code, failures(run.stdout)]).toEqual([0, []])
  })

  it('passes the other form (lxc.mount.entry) with its snapshot', async () => {
    const run = await cli(['lxc', 'lint', '--root', image, '/etc/pve/nodes/pve2/lxc/205.conf', '-v'])
    expect(run.code).toBe(0)
    expect(run.stdout).toContain('PSP-LXC-011')
  })

  it('is bad input when the file is missing; under a root a relative path starts at the root', async () => {
    const missing = await cli(['lxc', 'lint', '--root', image, '/etc/pve/lxc/999.conf'])
    expect([missing.code, missing.stderr.trim()]).toEqual([
      3,
      expect.stringMatching(/\/etc\/pve\/lxc\/999.conf: not found$/),
    ])
    expect(missing.stderr.trim().split('\n')).toHaveLength(1)
    const relative = await cli(['lxc', 'lint', '--root', image, '105.conf'])
    expect(relative.code).toBe(3)
    expect(relative.stderr).toMatch(/^pcp-harden: error: \/105.conf: not found$/m)
    const fromRoot = await cli(['lxc', 'lint', '--root', image, 'etc/pve/lxc/105.conf', '--format', 'json'])
    const absolute = await cli(['lxc', 'lint', '--root', image, '/etc/pve/lxc/105.conf', '--format', 'json'])
    expect(fromRoot.stderr).toBe('')
    expect(JSON.parse(fromRoot.stdout).results).toEqual(JSON.parse(absolute.stdout).results)
  })
})
