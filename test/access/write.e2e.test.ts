import {execFile, spawnSync} from 'node:child_process'
import {mkdtemp, readFile, rm, stat, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import path from 'node:path'

import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {cli} from '../cli/run-cli.js'
import {hostAccessList, PMCD, type RunningPmcd, startPmcd} from '../helpers/pmcd.js'
import {buildTree, removeTree} from '../helpers/tree.js'

const AGENTS =
  '# Name\tId\tIPC\tIPC Params\tFile/Cmd\npmcd\t2\tdso\tpmcd_init\t/var/lib/pcp/pmdas/pmcd/pmda_pmcd.so\n\n'
const ORIGINAL = `${AGENTS}[access]\ndisallow ".*" : store;\ndisallow ":*" : store;\nallow "local:*" : all;\n`
const CONF = '/etc/pcp/pmcd/pmcd.conf'

function run(file: string, args: string[]): Promise<{code: number; out: string}> {
  return new Promise((resolve) => {
    execFile(file, args, {timeout: 20_000}, (error, stdout, stderr) =>
      resolve({code: error ? Number(error.code ?? 1) : 0, out: `${stdout}${stderr}`}),
    )
  })
}

let root: string

beforeAll(async () => {
  root = await buildTree(`
entries:
  - path: ${CONF}
    mode: "0640"
    content: ${JSON.stringify(ORIGINAL)}
`)
})

afterAll(async () => {
  await removeTree(root)
})

describe('access write', () => {
  it('--dry-run prints the plan and diff and changes nothing', async () => {
    const before = await stat(path.join(root, CONF))
    const dry = await cli(['access', 'write', '--root', root, '--allow-fetch', '10.1.2.0/24', '--dry-run'])
    expect(dry.code).toBe(0)
    expect(dry.stdout).toContain(`--- a${CONF}`)
    expect(dry.stdout).toContain('+allow 10.1.2.* : fetch;')
    expect(dry.stdout).toContain('dry run: nothing written')
    const after = await stat(path.join(root, CONF))
    expect(after.mtimeMs).toBe(before.mtimeMs)
    expect(await readFile(path.join(root, CONF), 'utf8')).toBe(ORIGINAL)
  })

  it('writes atomically, keeps the agents table, mode and a backup, and pmcd -v accepts the result', async () => {
    const wrote = await cli([
      'access',
      'write',
      '--root',
      root,
      '--allow-fetch',
      '10.1.2.0/23',
      '--max-connections',
      '20',
    ])
    expect(wrote.stderr).toBe('')
    expect(wrote.code).toBe(0)
    const text = await readFile(path.join(root, CONF), 'utf8')
    expect(text.startsWith(AGENTS)).toBe(true)
    expect(text).toContain('allow 10.1.2.*, 10.1.3.* : fetch, maximum 20 connections;')
    expect(await readFile(path.join(root, `${CONF}.pcp-harden.bak`), 'utf8')).toBe(ORIGINAL)
    expect((await stat(path.join(root, CONF))).mode & 0o7777).toBe(0o640)
    expect((await run(PMCD, ['-v', '-c', path.join(root, CONF)])).code).toBe(0)
    const again = await cli([
      'access',
      'write',
      '--root',
      root,
      '--allow-fetch',
      '10.1.2.0/23',
      '--max-connections',
      '20',
    ])
    expect(again.stdout).toContain('already says this: nothing written')
  })

  it('refuses what pmcd would reject, writing nothing', async () => {
    const before = await readFile(path.join(root, CONF), 'utf8')
    const bad = await cli(['access', 'write', '--root', root, '--allow-fetch', '10.0.0.0/3'])
    expect(bad.code).toBe(3)
    expect(bad.stderr).toMatch(/^pcp-harden: error: 10\.0\.0\.0\/3: not a CIDR pmcd wildcards can express/)
    expect(await readFile(path.join(root, CONF), 'utf8')).toBe(before)
  })
})

describe('a real pmcd started with the written section', () => {
  let dir: string
  let pmcd: RunningPmcd | undefined

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'pcp-harden-pmcd-'))
    const tree = await buildTree(`
entries:
  - {path: ${CONF}, content: ${JSON.stringify(ORIGINAL)}}
`)
    try {
      // Loopback may fetch but not store; remote hosts nothing but the monitoring network.
      const wrote = await cli([
        'access',
        'write',
        '--root',
        tree,
        '--local',
        'fetch',
        '--allow-fetch',
        '10.1.2.0/24',
        '--max-connections',
        '7',
      ])
      expect(wrote.code).toBe(0)
      await writeFile(path.join(dir, 'pmcd.conf'), await readFile(path.join(tree, CONF)))
    } finally {
      await removeTree(tree)
    }
    pmcd = await startPmcd(dir, path.join(dir, 'pmcd.conf'))
  }, 60_000)

  afterAll(async () => {
    await pmcd?.stop()
    await rm(dir, {recursive: true, force: true})
  })

  it('accepts fetch from 127.0.0.1', async () => {
    const fetch = await run('pminfo', ['-h', `127.0.0.1:${pmcd!.port}`, '-f', 'pmcd.version'])
    expect(fetch.out).toMatch(/value "\d+\.\d+\.\d+"/)
    expect(fetch.code).toBe(0)
  })

  it('refuses store from 127.0.0.1', async () => {
    const store = await run('pmstore', ['-h', `127.0.0.1:${pmcd!.port}`, 'pmcd.control.timeout', '7'])
    expect(store.out).toMatch(/No permission to perform requested operation/)
    expect(store.code).not.toBe(0)
  })

  it("pmcd's host access list is the policy access lint --explain reports", async () => {
    const log = await readFile(pmcd!.log, 'utf8')
    const theirs = hostAccessList(log)
      .map((e) => `${e.spec}/${e.mask} fetch=${e.fetch || '-'} store=${e.store || '-'} max=${e.maxCons}`)
      .sort()
    const lint = await cli(['access', 'lint', path.join(dir, 'pmcd.conf'), '--format', 'json'])
    const ours = (
      JSON.parse(lint.stdout).rules as {
        key: string
        fetch: string | null
        store: string | null
        maxConnections: number | null
      }[]
    )
      .map((r) => {
        const [spec, mask] = keyToLog(r.key)
        const yn = (v: string | null) => (v === null ? '-' : v === 'allow' ? 'y' : 'n')
        return `${spec}/${mask} fetch=${yn(r.fetch)} store=${yn(r.store)} max=${r.maxConnections ?? 0}`
      })
      .sort()
    expect(theirs.length).toBeGreaterThanOrEqual(5)
    expect(ours).toEqual(theirs)
  })
})

/** Our rule keys in the form pmcd prints them: address and mask. */
function keyToLog(key: string): [string, string] {
  if (key === 'unix') return ['/', '/']
  const [, family, net = '', bits = '0'] = /^(ipv4|ipv6):(.+)\/(\d+)$/.exec(key) ?? []
  const n = Number(bits)
  if (family === 'ipv4') {
    const mask = Array.from({length: 4}, (_, i) => 256 - 2 ** (8 - Math.min(8, Math.max(0, n - 8 * i))))
    return [net, mask.join('.')]
  }
  if (n === 0) return ['::', '::']
  if (n === 128) return [net, 'ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff']
  throw new Error(`no IPv6 prefix /${n} in these tests`)
}

// pmcd must be installed for these tests (.ci/run installs Debian's pcp).
if (spawnSync(PMCD, ['-v', '-c', '/dev/null']).error)
  throw new Error(`${PMCD} is missing: install Debian's pcp`)
