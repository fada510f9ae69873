import {cp, mkdtemp, readdir, rm, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import path from 'node:path'

import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {parseTreeSpec} from '../../src/host/tree.js'
import {DOC_FORM, INSTALLER_FORM, OLD_PROXY_KEY, PROXY_KEY, RPC_FORM} from '../checks/pulse/keys.js'
import {SEED_TREE} from '../checks/seed-tree.js'
import {cli} from '../cli/run-cli.js'
import {buildTree, removeTree} from '../helpers/tree.js'

const CORPUS = path.resolve(import.meta.dirname, '../fixtures/field/authorized_keys')

let dir: string
let image: string
const file = (name: string) => path.join(dir, name)

/** The failing results of a JSON report: `check:line`. */
const failures = (stdout: string) =>
  (JSON.parse(stdout) as {results: {check: string; status: string; line?: number}[]}).results
    .filter((r) => r.status === 'fail')
    .map((r) => `${r.check}:${r.line}`)

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'pcp-harden-keys-lint-'))
  await cp(CORPUS, file('corpus'), {recursive: true})
  await writeFile(file('doc'), `${DOC_FORM}\n`)
  await writeFile(file('installer'), `${INSTALLER_FORM}\n`)
  await writeFile(file('rpc'), `${RPC_FORM}\n`)
  await writeFile(file('unmarked'), `${PROXY_KEY} root@pve1\n${DOC_FORM.replace(PROXY_KEY, OLD_PROXY_KEY)}\n`)
  await writeFile(file('proxy.pub'), `${PROXY_KEY} pulse-sensor-proxy\n`)
  image = await buildTree(parseTreeSpec(SEED_TREE, 'seed'))
})

afterAll(async () => {
  await rm(dir, {recursive: true, force: true})
  await removeTree(image)
})

describe('keys lint', () => {
  it("passes the doc's proxy line: OK", async () => {
    const run = await cli(['keys', 'lint', file('doc')])
    expect(run).toMatchObject({code: 0, stderr: ''})
    expect(run.stdout).toContain('Status: OK (exit 0')
  })

  it("fails the installer's line without from= (CRITICAL) and the RPC's unquoted line (WARNING)", async () => {
    const installer = await cli(['keys', 'lint', file('installer'), '--format', 'nagios'])
    expect(installer.code).toBe(2)
    expect(installer.stdout).toMatch(/^\[HIGH\] PSP-KEYS-001 .*installer:1: the proxy's key has no from=/m)
    const rpc = await cli(['keys', 'lint', file('rpc'), '--format', 'json'])
    expect(rpc.code).toBe(1)
    expect(failures(rpc.stdout)).toEqual(['PSP-KEYS-004:1'])
  })

  it("knows the proxy's lines by --proxy-key, and reports its stale keys", async () => {
    const plain = await cli(['keys', 'lint', file('unmarked'), '--format', 'json'])
    expect(failures(plain.stdout)).toEqual([])
    const keyed = await cli([
      'keys',
      'lint',
      file('unmarked'),
      '--proxy-key',
      file('proxy.pub'),
      '--format',
      'json',
    ])
    expect(keyed.code).toBe(2)
    expect(failures(keyed.stdout).sort()).toEqual([
      'PSP-KEYS-001:1',
      'PSP-KEYS-002:1',
      'PSP-KEYS-003:1',
      'PSP-KEYS-007:2',
    ])
  })

  it("reads FILE and the proxy's keys under --root", async () => {
    const run = await cli(['keys', 'lint', '--root', image, '/root/.ssh/authorized_keys', '--format', 'json'])
    expect(run.code).toBe(0)
    const results = JSON.parse(run.stdout).results as {check: string; path: string; status: string}[]
    expect(results.map((r) => `${r.check} ${r.status} ${r.path}`)).toEqual(
      [1, 2, 3, 4, 5, 6, 7].map((n) => `PSP-KEYS-00${n} pass /root/.ssh/authorized_keys`),
    )
  })

  it('lints every field-shaped file without an error, in every format', async () => {
    for (const name of await readdir(file('corpus')))
      for (const format of ['text', 'json', 'nagios', 'sarif', 'junit']) {
        const run = await cli(['keys', 'lint', file(`corpus/${name}`), '--format', format])
        expect(run.stderr, `${name} ${format}`).toBe('')
        expect([0, 1], `${name} ${format}`).toContain(run.code)
      }
  }, 120_000)

  it('says in one line that a file is missing or a --proxy-key holds no key: exit 3', async () => {
    const missing = await cli(['keys', 'lint', file('none')])
    expect(missing.code).toBe(3)
    expect(missing.stderr.trim()).toBe(`pcp-harden: error: ${file('none')}: not found`)
    const noKey = await cli(['keys', 'lint', file('doc'), '--proxy-key', file('rpc')])
    expect(noKey.code).toBe(3)
    expect(noKey.stderr.trim()).toBe(`pcp-harden: error: --proxy-key ${file('rpc')}: no public key in it`)
  })
})
