import {mkdir, mkdtemp, rm, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import path from 'node:path'

import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {parseTreeSpec} from '../../src/host/tree.js'
import {SEED_TREE} from '../checks/seed-tree.js'
import {cli} from '../cli/run-cli.js'
import {buildTree, removeTree} from '../helpers/tree.js'

const UNIT = '/etc/systemd/system/pulse-sensor-proxy.service'
let seed: string
let dir: string

beforeAll(async () => {
  seed = await buildTree(parseTreeSpec(SEED_TREE, 'seed'))
  dir = await mkdtemp(path.join(tmpdir(), 'pcp-harden-unit-lint-'))
})
afterAll(async () => {
  await removeTree(seed)
  await rm(dir, {recursive: true, force: true})
})

describe('unit lint', () => {
  it('passes the seed tree unit and its lxc-access.conf drop-in (exit 0)', async () => {
    const run = await cli(['unit', 'lint', '--root', seed, UNIT, '--format', 'json'])
    expect(run.stderr).toBe('')
    expect(run.code).toBe(0)
    const report = JSON.parse(run.stdout)
    expect(report.results.map((r: {check: string; status: string}) => `${r.check} ${r.status}`)).toEqual([
      'PSP-UNIT-001 pass',
      'PSP-UNIT-002 pass',
      'PSP-UNIT-003 pass',
      'PSP-UNIT-004 pass',
      'PSP-UNIT-005 pass',
      'PSP-UNIT-006 pass',
      'PSP-UNIT-008 pass',
    ])
  })

  it('applies the drop-ins beside a local file and names the line that weakens it (exit 2)', async () => {
    const file = path.join(dir, 'pulse-sensor-proxy.service')
    await writeFile(
      file,
      '[Service]\nUser=pulse-sensor-proxy\nSystemCallFilter=@system-service\nRuntimeDirectoryMode=0775\n',
    )
    await mkdir(`${file}.d`, {recursive: true})
    await writeFile(`${file}.d/debug.conf`, '[Service]\nSystemCallFilter=\n')
    const run = await cli(['unit', 'lint', 'pulse-sensor-proxy.service', '--format', 'json'], {cwd: dir})
    expect(run.stderr).toBe('')
    expect(run.code).toBe(2)
    const failed = JSON.parse(run.stdout).results.filter((r: {status: string}) => r.status === 'fail')
    expect(failed).toContainEqual(
      expect.objectContaining({
        check: 'PSP-UNIT-003',
        path: `${file}.d/debug.conf`,
        line: 2,
        message: 'SystemCallFilter= is reset by an empty assignment: every system call is allowed',
      }),
    )
    const nagios = await cli(['unit', 'lint', file, '--format', 'nagios'])
    expect(nagios.code).toBe(2)
    expect(nagios.stdout).toMatch(/^PCP-HARDEN CRITICAL/)
  })

  it('refuses what is not a service unit file, in one line (exit 3)', async () => {
    for (const [args, message] of [
      [['unit', 'lint', '--root', seed, '/etc/systemd/system/nope.service'], /no such file/],
      [['unit', 'lint', '--root', seed, '/etc/passwd'], /expected a service unit file/],
    ] as const) {
      const run = await cli([...args])
      expect(run.code).toBe(3)
      expect(run.stderr.trim().split('\n')).toEqual([expect.stringMatching(message)])
    }
  })
})
