import {execFileSync} from 'node:child_process'
import {mkdir, mkdtemp, rm, symlink, truncate, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import path from 'node:path'

import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {cli} from '../cli/run-cli.js'

/**
 * Hostile input to the reading commands (issue 13): each case is an attack that once hung the
 * command, exhausted its memory or printed raw control characters; the CLI run is bounded (30 s)
 * and each case asserts one clear line and the exit code.
 */
// eslint-disable-next-line no-control-regex
const RAW_CONTROL = /[\u001b\u009b\u202e]/

let dir: string
let fifo: string

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'pcp-harden-hostile-read-'))
  fifo = path.join(dir, 'fifo')
  execFileSync('mkfifo', [fifo])
})

afterAll(async () => {
  await rm(dir, {recursive: true, force: true})
})

/** A root with only a pmcd.conf of this content. */
async function rootWithPmcdConf(name: string, content: string | Buffer): Promise<string> {
  const root = path.join(dir, name)
  await mkdir(path.join(root, 'etc/pcp/pmcd'), {recursive: true})
  await writeFile(path.join(root, 'etc/pcp/pmcd/pmcd.conf'), content)
  return root
}

describe('a character pmcd keeps in a word never stalls the scanner', () => {
  it.each([
    ['a no-break space', '\u00a0'],
    ['a BOM', '\ufeff'],
    ['a line separator', '\u2028'],
  ])('%s after a name: pmcd rejects the file, and so do we, at once', async (_name, c) => {
    const root = await rootWithPmcdConf(`nbsp-${c.charCodeAt(0)}`, `[access]\nallow localhost${c}: all;\n`)
    const run = await cli(['access', 'lint', '--root', root])
    expect(run.code).toBe(2)
    expect(run.stdout).toContain('INVALID: pmcd rejects it')
    expect(run.stdout).toContain('no valid statements in [access] section')
  })
})

describe('a FILE argument that is not a regular file is one sentence, never a hang', () => {
  it.each([
    ['access lint', (f: string) => ['access', 'lint', f], ''],
    [
      'verify --waivers',
      (f: string) => ['verify', '--root', dir, '--allow-empty', '--waivers', f],
      '--waivers ',
    ],
    [
      'access write --policy',
      (f: string) => ['access', 'write', '--root', dir, '--policy', f, '--dry-run'],
      '--policy ',
    ],
    ['lxc lint', (f: string) => ['lxc', 'lint', f], ''],
    ['keys lint', (f: string) => ['keys', 'lint', f], ''],
  ])('%s', async (_name, argv, label) => {
    if (label === '--policy ') await rootWithPmcdConf('.', '[access]\nallow localhost : all;\n')
    const onFifo = await cli(argv(fifo))
    expect(onFifo.stderr).toBe(`pcp-harden: error: ${label}${fifo}: not a regular file (a FIFO)\n`)
    expect(onFifo.code).toBe(3)
    for (const device of ['/dev/urandom', '/dev/zero']) {
      const onDevice = await cli(argv(device))
      expect(onDevice.stderr).toBe(
        `pcp-harden: error: ${label}${device}: not a regular file (a character device)\n`,
      )
      expect(onDevice.code).toBe(3)
    }
  })

  it('a 50 MB file is too large, with its size', async () => {
    const big = path.join(dir, 'big.conf')
    await writeFile(big, '')
    await truncate(big, 50 * 1024 * 1024)
    const run = await cli(['access', 'lint', big])
    expect(run.stderr).toBe(
      `pcp-harden: error: ${big}: the file is 50 MB, larger than the 16 MiB pcp-harden reads\n`,
    )
    expect(run.code).toBe(3)
  })

  it('an empty --root is an error, not an audit of the working directory', async () => {
    const run = await cli(['verify', '--root', ''], {cwd: dir})
    expect(run.stderr).toBe(
      'pcp-harden: error: --root is empty: give the root directory (/ for this machine)\n',
    )
    expect(run.code).toBe(3)
  })
})

describe('no raw control character reaches the terminal', () => {
  it('an argument with an escape sequence is echoed escaped', async () => {
    const run = await cli(['access', 'lint', `${dir}/x\u001b[2J\u009b`])
    expect(run.stderr).toBe(`pcp-harden: error: ${dir}/x\\x1b[2J\\x9b: no such file\n`)
  })

  it('a host name holding ESC[2J ESC[H FAKE OK is printed escaped by access lint', async () => {
    const root = await rootWithPmcdConf(
      'escape',
      '[access]\nallow "local:*" : all;\nallow "evil\u001b[2J\u001b[H\u202eFAKE.invalid" : fetch;\n',
    )
    const text = await cli(['access', 'lint', '--root', root])
    expect(text.stdout).toContain('evil\\x1b[2J\\x1b[H\\u202eFAKE.invalid')
    expect(text.stdout).not.toMatch(RAW_CONTROL)
    const json = await cli(['access', 'lint', '--root', root, '--format', 'json'])
    expect(json.stdout).not.toMatch(RAW_CONTROL)
    expect(JSON.stringify(JSON.parse(json.stdout))).toContain('evil\\u001b[2J\\u001b[H\u202eFAKE')
  })
})

describe('a tls.conf that cannot be read is said to be so, never "OK"', () => {
  it.each([
    ['a directory', async (f: string) => void (await mkdir(f)), 'is a directory'],
    ['a FIFO', async (f: string) => void execFileSync('mkfifo', [f]), 'not a regular file (a FIFO)'],
    [
      'a symlink loop',
      async (f: string) => void (await symlink('tls.conf', f)),
      'too many levels of symbolic links',
    ],
  ])('cert check on %s', async (name, make, why) => {
    const root = path.join(dir, `tls-${name.replace(/\W+/g, '-')}`)
    await mkdir(path.join(root, 'etc/pcp'), {recursive: true})
    await make(path.join(root, 'etc/pcp/tls.conf'))
    const run = await cli(['cert', 'check', '--root', root])
    expect(run.stderr).toBe(
      `pcp-harden: error: /etc/pcp/tls.conf: ${why}: the certificates it names cannot be known, so none is checked\n`,
    )
    expect(run.code).toBe(3)
  })
})

describe('a container config that is not a regular file is an error result, never dropped', () => {
  it('a FIFO and a directory named <vmid>.conf', async () => {
    const root = path.join(dir, 'lxc')
    await mkdir(path.join(root, 'etc/pve/lxc/106.conf'), {recursive: true})
    execFileSync('mkfifo', [path.join(root, 'etc/pve/lxc/105.conf')])
    const run = await cli(['verify', '--root', root, '--format', 'json'])
    const report = JSON.parse(run.stdout) as {results: {status: string; path?: string; message: string}[]}
    const seen = new Set(
      report.results
        .filter((r) => r.path?.endsWith('.conf'))
        .map((r) => `${r.status} ${r.path}: ${r.message}`),
    )
    expect([...seen].sort()).toEqual([
      'error /etc/pve/lxc/105.conf: not a regular file (a FIFO)',
      'error /etc/pve/lxc/106.conf: not a regular file (a directory)',
    ])
    expect(run.code).toBe(3)
  })
})

describe('a unit file that is not a regular file is an error result, not "not applicable"', () => {
  it('pulse-sensor-proxy.service as a FIFO', async () => {
    const root = path.join(dir, 'unit')
    await mkdir(path.join(root, 'etc/systemd/system'), {recursive: true})
    execFileSync('mkfifo', [path.join(root, 'etc/systemd/system/pulse-sensor-proxy.service')])
    const run = await cli([
      'verify',
      '--root',
      root,
      '--profile',
      'pulse-proxy',
      '--check',
      'PSP-UNIT-001',
      '--format',
      'json',
    ])
    const report = JSON.parse(run.stdout) as {results: {status: string; path?: string; message: string}[]}
    expect(report.results).toMatchObject([
      {
        status: 'error',
        path: '/etc/systemd/system/pulse-sensor-proxy.service',
        message: 'cannot read: not a regular file (a FIFO)',
      },
    ])
    expect(run.code).toBe(3)
  })
})
