import {execFileSync} from 'node:child_process'
import {mkdir, mkdtemp, rm, symlink, truncate, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import path from 'node:path'

import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {DiskBackend} from '../../src/host/backend.js'
import {Host} from '../../src/host/host.js'
import {MemoryBackend, parseTreeSpec} from '../../src/host/tree.js'
import {ACCOUNTS, buildTree, removeTree} from '../helpers/tree.js'

const SPEC = `
entries:
${ACCOUNTS}
  - {path: /etc/pcp/tls.conf, content: "tls-key-file = /etc/pcp/tls/server.key\\n"}
  - {path: /etc/pcp/tls/server.key, mode: "0600", owner: pcp, content: "key\\n"}
  - {path: /etc/pcp/tls/odd.key, mode: "0640", owner: "4242", group: "4343", content: "x\\n"}
  - {path: /etc/ssl/private, target: ../pcp/tls}
  - {path: /etc/abs-link, target: /etc/pcp/tls.conf}
  - {path: /etc/escape, target: ../../../../../../etc/passwd}
  - {path: /etc/loop-a, target: loop-b}
  - {path: /etc/loop-b, target: loop-a}
  - {path: /etc/dangling, target: /nowhere}
  - {path: /run/app/app.sock, type: socket, mode: "0777"}
  - {path: /var/lib/app/old.pub, content: "old\\n", mtime: -100d}
  - {path: /var/lib/app/dated.pub, content: "dated\\n", mtime: "2025-10-13T12:00:00Z"}
`

const spec = parseTreeSpec(SPEC, 'host.test')
let diskRoot: string
let outside: string

beforeAll(async () => {
  diskRoot = await buildTree(spec)
  // A file outside the root that a link must never reach.
  outside = await mkdtemp(path.join(tmpdir(), 'pcp-harden-outside-'))
  await writeFile(path.join(outside, 'secret'), 'outside\n')
  await mkdir(path.join(diskRoot, 'var'), {recursive: true})
  await symlink(path.join(outside, 'secret'), path.join(diskRoot, 'var/outside-link'))
})

afterAll(async () => {
  await removeTree(diskRoot)
  await rm(outside, {recursive: true, force: true})
})

const backends = () =>
  [
    ['disk', new Host(new DiskBackend(diskRoot))],
    ['memory', new Host(new MemoryBackend(spec, 'memory'))],
  ] as const

describe.each(['disk', 'memory'] as const)('Host over the %s backend', (kind) => {
  const host = () => backends().find(([k]) => k === kind)![1]

  it('reports modes, types and owners by name, with numbers for unknown ids', async () => {
    const h = host()
    const key = await h.stat('/etc/pcp/tls/server.key')
    expect(key.ok && key.value.type).toBe('file')
    expect(key.ok && key.value.mode).toBe(0o600)
    expect(key.ok && (await h.ownerOf(key.value))).toBe('pcp:pcp')
    const odd = await h.stat('/etc/pcp/tls/odd.key')
    expect(odd.ok && (await h.ownerOf(odd.value))).toBe('4242:4343')
    const sock = await h.stat('/run/app/app.sock')
    expect(sock.ok && sock.value.type).toBe('socket')
  })

  it('resolves symlinks inside the root, absolute targets from the root', async () => {
    const h = host()
    const viaDir = await h.readText('/etc/ssl/private/server.key')
    expect(viaDir).toEqual({ok: true, value: 'key\n'})
    const abs = await h.readText('/etc/abs-link')
    expect(abs.ok && abs.value).toContain('tls-key-file')
    const followed = await h.stat('/etc/ssl/private/server.key')
    expect(followed.ok && followed.value.resolved).toBe('/etc/pcp/tls/server.key')
    const link = await h.stat('/etc/abs-link')
    expect(link.ok && link.value.type).toBe('symlink')
  })

  it('never climbs above the root with ..', async () => {
    const text = await host().readText('/etc/escape')
    // ../../.. stops at the root: the link reads the tree's own /etc/passwd.
    expect(text.ok && text.value).toContain('pulse-sensor-proxy:x:997')
  })

  it('reports loops, dangling links and missing files as results', async () => {
    const h = host()
    const loop = await h.readText('/etc/loop-a')
    expect(loop).toMatchObject({ok: false, missing: false})
    expect(!loop.ok && loop.message).toMatch(/^\/etc\/loop-a: too many levels of symbolic links$/)
    expect(await h.readText('/etc/dangling')).toMatchObject({ok: false, missing: true})
    expect(await h.stat('/etc/nothing/here')).toMatchObject({ok: false, missing: true})
    expect(await h.exists('/etc/dangling')).toBe(true)
  })

  it('answers a lookup in a directory it has resolved before as a fresh view does', async () => {
    // The directories of these paths are resolved once and kept; each answer must still be the
    // one a Host that never saw them gives: through links, dangling, looping, missing, through a file.
    const lookups = [
      '/etc/pcp/tls/server.key',
      '/etc/pcp/tls/odd.key',
      '/etc/pcp/tls/none.key',
      '/etc/pcp/tls.conf/inside',
      '/etc/ssl/private/server.key',
      '/etc/ssl/private',
      '/etc/abs-link',
      '/etc/escape',
      '/etc/loop-a',
      '/etc/dangling',
      '/etc/nothing/here',
      '/var/outside-link',
      '/run/app/app.sock',
    ]
    const warm = host()
    const fresh = () => new Host(warm.backend)
    for (const p of lookups)
      for (const follow of [false, true]) {
        expect(await warm.stat(p, {follow}), `${p} follow=${follow}`).toEqual(await fresh().stat(p, {follow}))
        expect(await warm.readText(p), p).toEqual(await fresh().readText(p))
      }
  })

  it('lists directories sorted and reads accounts from the root', async () => {
    const h = host()
    const names = await h.list('/etc/pcp/tls')
    expect(names.ok && names.value).toEqual(['odd.key', 'server.key'])
    expect((await h.user('pulse-sensor-proxy'))?.id).toBe(997)
  })

  it('gives entries the mtime the spec says, and others the time the tree was made', async () => {
    const h = host()
    const mtime = async (p: string) => {
      const st = await h.stat(p)
      return st.ok ? st.value.mtimeMs : Number.NaN
    }
    const days = (ms: number) => (Date.now() - ms) / 86_400_000
    expect(days(await mtime('/var/lib/app/old.pub'))).toBeCloseTo(100, 1)
    expect(await mtime('/var/lib/app/dated.pub')).toBe(Date.parse('2025-10-13T12:00:00Z'))
    expect(days(await mtime('/etc/pcp/tls.conf'))).toBeLessThan(0.1)
  })
})

describe('Host text reads', () => {
  /** A backend over the memory one that counts its file reads. */
  function counting(files: Record<string, string>) {
    const backend = new MemoryBackend(
      parseTreeSpec(
        `entries:\n${Object.entries(files)
          .map(([p, content]) => `  - {path: ${p}, content: ${JSON.stringify(content)}}`)
          .join('\n')}\n`,
        'counting',
      ),
      'counting',
    )
    const reads: string[] = []
    const readFile = backend.readFile.bind(backend)
    backend.readFile = async (p: string) => {
      reads.push(p)
      return readFile(p)
    }
    return {host: new Host(backend), reads}
  }

  it('keep a text of 1 MiB or more once read (several checks read one large authorized_keys), not a small one', async () => {
    const large = `${'x'.repeat(1023)}\n`.repeat(1024)
    const {host, reads} = counting({'/root/.ssh/authorized_keys': large, '/etc/small': 'small\n'})
    for (let i = 0; i < 3; i++) {
      expect(await host.readText('/root/.ssh/authorized_keys')).toEqual({ok: true, value: large})
      expect(await host.readText('/etc/small')).toEqual({ok: true, value: 'small\n'})
    }
    expect(reads.filter((p) => p === '/root/.ssh/authorized_keys')).toHaveLength(1)
    expect(reads.filter((p) => p === '/etc/small')).toHaveLength(3)
  })
})

describe('tree specs', () => {
  it('refuse an mtime that is neither a date nor days ago', () => {
    for (const mtime of ['yesterday', '100d', '-3w', '2025-13-45'])
      expect(() => parseTreeSpec(`entries:\n  - {path: /a, mtime: "${mtime}"}\n`, 'spec')).toThrow(
        `spec: entry 1: mtime ${mtime} is neither an ISO date`,
      )
  })
})

describe('Host on disk', () => {
  it('re-roots an absolute link that points outside the root', async () => {
    const host = new Host(new DiskBackend(diskRoot))
    const text = await host.readText('/var/outside-link')
    // The link's absolute target is looked up under the root, where it does not exist.
    expect(text).toMatchObject({ok: false, missing: true})
  })

  it('paths in results are host paths, never prefixed with the root', async () => {
    const host = new Host(new DiskBackend(diskRoot))
    const st = await host.stat('etc//pcp/../pcp/tls.conf')
    expect(st.ok && st.value.path).toBe('/etc/pcp/tls.conf')
    const missing = await host.readText('/etc/none')
    expect(!missing.ok && missing.message).toBe('/etc/none: not found')
  })

  it('reads only regular files: a FIFO or a device planted in an image is refused, not waited on', async () => {
    const root = await mkdtemp(path.join(tmpdir(), 'pcp-harden-special-'))
    try {
      await mkdir(path.join(root, 'etc/pcp'), {recursive: true})
      await mkdir(path.join(root, 'dev'))
      execFileSync('mkfifo', [path.join(root, 'etc/pcp/tls.conf')])
      execFileSync('mknod', [path.join(root, 'dev/zero'), 'c', '1', '5'])
      await symlink('/dev/zero', path.join(root, 'etc/pcp/pmcd.options'))
      const host = new Host(new DiskBackend(root))
      expect(await host.readText('/etc/pcp/tls.conf')).toEqual({
        ok: false,
        missing: false,
        message: '/etc/pcp/tls.conf: not a regular file (a FIFO)',
      })
      expect(await host.readText('/etc/pcp/pmcd.options')).toMatchObject({
        ok: false,
        message: '/etc/pcp/pmcd.options: not a regular file (a character device)',
      })
      expect(await host.readText('/etc/pcp')).toMatchObject({ok: false, message: '/etc/pcp: is a directory'})
      await writeFile(path.join(root, 'etc/pcp/big.conf'), '')
      await truncate(path.join(root, 'etc/pcp/big.conf'), 52 * 1024 * 1024)
      expect(await host.readText('/etc/pcp/big.conf')).toEqual({
        ok: false,
        missing: false,
        message: '/etc/pcp/big.conf: is 52 MB, larger than the 16 MiB pcp-harden reads',
      })
    } finally {
      await rm(root, {recursive: true, force: true})
    }
  })
})
