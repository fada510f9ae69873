import {rmSync} from 'node:fs'
import {cp} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import path from 'node:path'

import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {pack, run, tarFiles} from './pack.js'
import {BIN, cli} from './run-cli.js'

let packed: {dir: string; tarball: string}

beforeAll(async () => {
  packed = await pack()
}, 90_000)

afterAll(() => rmSync(packed.dir, {recursive: true, force: true}))

describe('the npm package', () => {
  it('holds what runs and nothing else', async () => {
    expect(await tarFiles(packed.tarball)).toEqual(
      [
        'README.md',
        'bin/main.js',
        'bin/run.js',
        'completions/_pcp-harden',
        'completions/pcp-harden.bash',
        'dist/pcp-harden.cjs',
        'dist/pcp-harden.cjs.cache',
        'dist/sample-host.json',
        'man/pcp-harden.1',
        'oclif.manifest.json',
        'package.json',
        'sample/host.yaml',
        'schema/report.schema.json',
        'templates/lxc-access.conf.eta',
        'templates/pcp-harden-audit.service.eta',
        'templates/pcp-harden-audit.timer.eta',
        'templates/pcp-harden.rules.yml.eta',
        'templates/pcp-tls-profile.eta',
        'templates/pmcd-access.eta',
        'templates/pulse-sensor-proxy-rotate-keys.service.eta',
        'templates/pulse-sensor-proxy-rotate-keys.timer.eta',
        'templates/pulse-sensor-proxy.service.eta',
        'templates/tls-conf.eta',
      ].map((file) => `package/${file}`),
    )
  })

  it('installs offline into a prefix (no dependency left to fetch) and runs from another directory', async () => {
    const prefix = path.join(packed.dir, 'prefix')
    await run(
      'npm',
      ['install', '--global', '--prefix', prefix, '--offline', '--no-audit', '--no-fund', packed.tarball],
      {cwd: packed.dir, timeout: 60_000},
    )
    const sample = await cli(['verify', '--sample'], {
      bin: path.join(prefix, 'bin/pcp-harden'),
      cwd: tmpdir(),
    })
    expect(sample.stderr).toBe('')
    expect(sample.code).toBe(2)
    expect(sample.stdout).toMatch(/^Status: CRITICAL \(exit 2, fail-on: low\)$/m)
    expect(sample.stdout).toContain('PSP-')
  }, 90_000)
})

describe('bin/run.js on a checkout never built', () => {
  it('says so in one line and exits 3', async () => {
    const checkout = path.join(packed.dir, 'checkout')
    await cp(path.join(BIN, '..'), path.join(checkout, 'bin'), {recursive: true})
    const result = await cli([], {bin: path.join(checkout, 'bin/run.js')})
    expect(result).toEqual({code: 3, stdout: '', stderr: 'pcp-harden is not built: run npm run build\n'})
  })
})
