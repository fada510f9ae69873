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

describe('access write --policy never grants more than the policy says', () => {
  // The pmcd.access lines of a widely copied PCP security guide.
  const POLICY =
    '# Format: host_pattern authentication_type\n10.0.0.0/8 sasl\nviewer.example.invalid sasl readonly\n* reject\n'
  let tree: string
  let policy: string

  beforeAll(async () => {
    tree = await buildTree(`
entries:
  - {path: ${CONF}, content: ${JSON.stringify(ORIGINAL)}}
  - {path: /etc/pcp/pmcd/pmcd.options, content: "-A\\n"}
`)
    policy = path.join(tree, 'pmcd.access')
    await writeFile(policy, POLICY)
  })

  afterAll(async () => {
    await removeTree(tree)
  })

  it('"sasl" lines: host rules plus a user rule (SASL of every client); pmcd -v accepts it; nothing unauthenticated may store', async () => {
    const wrote = await cli(['access', 'write', '--root', tree, '--policy', policy])
    expect(wrote.stderr).toBe('')
    expect(wrote.code).toBe(0)
    const text = await readFile(path.join(tree, CONF), 'utf8')
    expect(text).toContain('allow 10.* : all;')
    expect(text).toContain('allow viewer.example.invalid : fetch;')
    expect(text).toContain('allow users * : all;')
    expect((await run(PMCD, ['-v', '-c', path.join(tree, CONF)])).code).toBe(0)
    const lint = JSON.parse((await cli(['access', 'lint', '--root', tree, '--format', 'json'])).stdout)
    expect(lint).toMatchObject({valid: true, credentialsRequired: true})
    const severe = lint.findings.filter((f: {severity: string}) => ['critical', 'high'].includes(f.severity))
    expect(severe).toEqual([])
    expect(lint.findings.map((f: {check: string}) => f.check)).not.toContain('PCP-ACCESS-002')
  })

  it('a "cert" line without pmcd -Q: refused, naming the line, nothing written', async () => {
    const before = await readFile(path.join(tree, CONF), 'utf8')
    await writeFile(policy, 'localhost cert\n10.1.2.0/24 cert readonly\n* reject\n')
    const refused = await cli(['access', 'write', '--root', tree, '--policy', policy])
    expect(refused.code).toBe(3)
    expect(refused.stderr).toMatch(
      new RegExp(`${policy}:1: "cert" lets localhost in only with a client certificate`),
    )
    expect(refused.stderr.trim().split('\n')).toHaveLength(1)
    expect(await readFile(path.join(tree, CONF), 'utf8')).toBe(before)
  })

  it('a "cert" line with pmcd -Q: written; "readonly" is fetch only', async () => {
    await writeFile(path.join(tree, '/etc/pcp/pmcd/pmcd.options'), '-A\n-Q\n')
    await writeFile(policy, 'localhost cert\n10.1.2.0/24 cert readonly\n* reject\n')
    const wrote = await cli(['access', 'write', '--root', tree, '--policy', policy])
    expect(wrote.code).toBe(0)
    const text = await readFile(path.join(tree, CONF), 'utf8')
    expect(text).toContain('allow 10.1.2.* : fetch;')
    expect(text).not.toContain('users')
    expect((await run(PMCD, ['-v', '-c', path.join(tree, CONF)])).code).toBe(0)
  })

  it('a metrics= filter on a line that allows: refused (PCP would grant every metric)', async () => {
    await writeFile(policy, '* sasl metrics=pmcd.*,kernel.*\n')
    const refused = await cli(['access', 'write', '--root', tree, '--policy', policy, '--dry-run'])
    expect(refused.code).toBe(3)
    expect(refused.stderr).toContain(
      `${policy}:1: metrics=pmcd.*,kernel.*: PCP has no per-metric access control`,
    )
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
