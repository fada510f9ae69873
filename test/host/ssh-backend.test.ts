import {execFileSync, spawn} from 'node:child_process'
import {chmod, chown, mkdir, truncate, writeFile} from 'node:fs/promises'
import path from 'node:path'
import {createInterface} from 'node:readline'
import {fileURLToPath} from 'node:url'

import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {DiskBackend, type FsBackend} from '../../src/host/backend.js'
import {PipelineSession} from '../../src/host/pipeline-session.js'
import {
  NodeUnreachable,
  parseMode,
  parseMtime,
  READER_SCRIPT,
  readerCommand,
  SshBackend,
} from '../../src/host/ssh-backend.js'
import {READ_LIMIT} from '../../src/parsers/limits.js'
import {adminSshArgv} from '../../src/rotate/exec.js'
import {SESSION_READY} from '../../src/rotate/session.js'
import {buildTree, removeTree} from '../helpers/tree.js'

const NODE = {host: 'node1', port: 22, label: 'node1'}
const SSH = {options: [], connectTimeout: 5}

/** The reader script run by a local shell, as the node's shell runs it: the same program, no ssh. */
const localReader = (timeoutMs = 10_000) =>
  new SshBackend(NODE, SSH, {
    timeoutMs,
    argv: ['sh', '-c', READER_SCRIPT, 'pcp-harden-read', String(READ_LIMIT)],
  })

const SPEC = `
entries:
  - {path: /etc/pcp/pmcd/pmcd.conf, mode: "0640", owner: "998", group: "4", content: "pmcd 1 dso\\n"}
  - {path: /etc/pcp/empty, content: ""}
  - {path: "/etc/pcp/with space", content: "a b\\n"}
  - {path: /etc/pcp/binary, content: "\\u00ff\\u0000x"}
  - {path: /etc/pcp/tls, type: dir, mode: "0750"}
  - {path: /etc/pcp/tls/key, mode: "0600", content: "k\\n"}
  - {path: /etc/pcp/link, target: pmcd/pmcd.conf}
  - {path: /etc/pcp/dangling, target: /nowhere}
  - {path: /etc/pcp/dirlink, target: tls}
  - {path: /run/app.sock, type: socket, mode: "0777"}
  - {path: /var/lib/old.pub, content: "old\\n", mtime: "2025-10-13T12:00:00.123Z"}
`

let root: string
let disk: DiskBackend
let remote: SshBackend

/** What a backend call gives: its value, or its error's code and message (the local path replaced). */
async function outcome(run: () => Promise<unknown>): Promise<unknown> {
  try {
    const value = await run()
    return Buffer.isBuffer(value) ? {content: value.toString('base64')} : {value}
  } catch (error) {
    const e = error as NodeJS.ErrnoException
    return {code: e.code, ...(e.code === undefined ? {message: e.message} : {})}
  }
}

const calls = (b: FsBackend, p: string) => [
  () => b.lstat(p),
  () => b.readlink(p),
  () => b.readFile(p),
  () => b.readdir(p),
]

beforeAll(async () => {
  root = await buildTree(SPEC)
  execFileSync('mkfifo', [path.join(root, 'run/fifo')])
  await mkdir(path.join(root, 'etc/odd'), {recursive: true})
  await writeFile(path.join(root, 'etc/odd/new\nline'), 'n\n')
  await writeFile(path.join(root, 'etc/odd/.hidden'), 'h\n')
  await writeFile(path.join(root, 'etc/odd/..dots'), 'd\n')
  await writeFile(path.join(root, 'etc/odd/big'), '')
  await truncate(path.join(root, 'etc/odd/big'), READ_LIMIT + 1)
  disk = new DiskBackend('/')
  remote = localReader()
})

afterAll(async () => {
  await remote.close()
  await removeTree(root)
})

describe('SshBackend', () => {
  it('answers every call as DiskBackend does, file by file (a differential test over one session)', async () => {
    const paths = [
      'etc/pcp/pmcd/pmcd.conf',
      'etc/pcp/empty',
      'etc/pcp/with space',
      'etc/pcp/binary',
      'etc/pcp',
      'etc/pcp/tls',
      'etc/pcp/link',
      'etc/pcp/dangling',
      'etc/pcp/dirlink',
      'etc/pcp/missing',
      'etc/pcp/pmcd/pmcd.conf/below',
      'run/app.sock',
      'run/fifo',
      'var/lib/old.pub',
      'etc/odd',
      'etc/odd/new\nline',
      'etc/odd/big',
    ].map((p) => path.join(root, p))
    for (const p of paths) {
      const mine = calls(remote, p)
      const theirs = calls(disk, p)
      for (let i = 0; i < mine.length; i++) {
        const got = await outcome(mine[i]!)
        const want = await outcome(theirs[i]!)
        // A socket cannot be opened (ENXIO) by DiskBackend; both refuse it, the words differ.
        if (p.endsWith('app.sock') && i === 2) {
          expect(got).toEqual({message: 'not a regular file (a socket)'})
          expect(want).toMatchObject({code: 'ENXIO'})
          continue
        }
        expect({path: p, call: i, ...(got as object)}).toEqual({path: p, call: i, ...(want as object)})
      }
    }
    expect(await remote.readdir(path.join(root, 'etc/odd'))).toEqual([
      '..dots',
      '.hidden',
      'big',
      'new\nline',
    ])
    expect(remote.unreachable).toBeUndefined()
  })

  it('refuses a file over the read limit with the words DiskBackend uses', async () => {
    await expect(remote.readFile(path.join(root, 'etc/odd/big'))).rejects.toThrow(
      'is 16 MB, larger than the 16 MiB pcp-harden reads',
    )
  })

  it('turns a session that cannot start into NodeUnreachable, kept for every later call', async () => {
    const dead = new SshBackend(NODE, SSH, {
      timeoutMs: 5000,
      argv: ['sh', '-c', 'echo "ssh: connect to host node1 port 22: Connection refused" >&2; exit 255'],
    })
    await expect(dead.lstat('/etc')).rejects.toThrow(NodeUnreachable)
    expect(dead.unreachable?.message).toBe('ssh: connect to host node1 port 22: Connection refused')
    await expect(dead.readdir('/')).rejects.toBe(dead.unreachable)
    await dead.close()
  })

  it("bounds the node's whole session by its timeout", async () => {
    const slow = new SshBackend(NODE, SSH, {timeoutMs: 300, argv: ['sleep', '30']})
    const started = Date.now()
    await expect(slow.lstat('/etc')).rejects.toThrow(/timed out/)
    expect(Date.now() - started).toBeLessThan(3000)
    await expect(slow.lstat('/etc')).rejects.toThrow(/timed out/)
    await slow.close()
  })

  it('reads a file that changed while it was read again, and gives up after three tries', async () => {
    // A node whose reads change under it (a log written to): twice, or always.
    const node = (changes: number) =>
      new SshBackend(NODE, SSH, {
        timeoutMs: 10_000,
        argv: [
          'sh',
          '-c',
          `printf '\\n%s\\n' "$1"; n=0; while read -r l; do case $l in
          read*) n=$((n + 1)); if [ $n -le ${changes} ]; then echo 'err EIO changed while read'; else echo "ok $(printf log | base64)"; fi ;;
          *) echo 'err ENOENT No such file or directory' ;; esac; done`,
          'node',
          SESSION_READY,
        ],
      })
    const twice = node(2)
    expect((await twice.readFile('/var/log/pcp/pmcd/pmcd.log')).toString()).toBe('log')
    await twice.close()
    const always = node(99)
    await expect(always.readFile('/var/log/pcp/pmcd/pmcd.log')).rejects.toMatchObject({
      code: 'EIO',
      message: 'changed while read',
    })
    await always.close()
  })

  it('runs the reader script through the admin ssh command line', () => {
    const argv = adminSshArgv(NODE, {...SSH, identity: '/k'}, readerCommand())
    expect(argv.slice(0, 5)).toEqual(['ssh', '-i', '/k', '-o', 'IdentitiesOnly=yes'])
    expect(argv.at(-2)).toBe('node1')
    expect(argv.at(-1)).toMatch(/^'sh' '-c' 'export LC_ALL=C\n/)
    expect(argv.at(-1)?.endsWith(` 'pcp-harden-read' '${READ_LIMIT}'`)).toBe(true)
  })
})

describe('parseMode and parseMtime', () => {
  it('read stat -c %f and %.9Y as lstat(2) and Node give them', () => {
    expect(parseMode('81a4')).toEqual({type: 'file', mode: 0o644})
    expect(parseMode('41ed')).toEqual({type: 'dir', mode: 0o755})
    expect(parseMode('a1ff')).toEqual({type: 'symlink', mode: 0o777})
    expect(parseMode('8de4')).toEqual({type: 'file', mode: 0o6744})
    expect(() => parseMode('zz')).toThrow('not a file mode')
    expect(parseMtime('1760356800.123000000')).toBe(1760356800 * 1000 + 123000000 / 1e6)
    expect(parseMtime('1760356800')).toBe(1760356800000)
  })
})

describe('the session', () => {
  it("skips a login script's output, a last line without a newline included, before the ready line", async () => {
    const noisy = new SshBackend(NODE, SSH, {
      timeoutMs: 10_000,
      argv: [
        'sh',
        '-c',
        `printf 'Welcome to pve1\\nlast login: never'; exec sh -c "$0" pcp-harden-read ${READ_LIMIT}`,
        READER_SCRIPT,
      ],
    })
    const [one, two] = await Promise.all([noisy.lstat(root), noisy.readdir(path.join(root, 'etc/pcp'))])
    expect(one.type).toBe('dir')
    expect(two).toEqual(['binary', 'dangling', 'dirlink', 'empty', 'link', 'pmcd', 'tls', 'with space'])
    await noisy.close()
  })

  it('fails every request once a reply grows past the limit without a line end, and kills the program', async () => {
    const session = new PipelineSession(
      [
        'sh',
        '-c',
        `printf '\\npcp-harden-session 1\\n'; read -r x; head -c 5000 /dev/zero | tr '\\0' a; sleep 30`,
      ],
      Date.now() + 10_000,
      1000,
    )
    const started = Date.now()
    await expect(session.request('one')).rejects.toThrow('a reply of more than 1000 bytes without a line end')
    await expect(session.request('two')).rejects.toThrow('a reply of more than 1000 bytes')
    await session.close()
    expect(Date.now() - started).toBeLessThan(5000)
  })
})

describe('a FIFO swapped in between the type test and the read', () => {
  const swapLoop = fileURLToPath(new URL('../helpers/swap-loop.py', import.meta.url))
  const NOBODY = 65534

  it('is refused at once, never waited on: every read of the raced path answers within the second', async () => {
    // A directory its owner (nobody here) may rename in, as pcp owns /var/log/pcp: a regular file
    // and a FIFO exchanged with renameat2(RENAME_EXCHANGE) in a loop while the node's shell reads.
    const dir = path.join(root, 'var/log/race')
    await mkdir(dir, {recursive: true})
    await chmod(root, 0o755)
    await writeFile(path.join(dir, 'pmcd.log'), 'regular\n')
    execFileSync('mkfifo', [path.join(dir, 'decoy')])
    for (const p of [dir, path.join(dir, 'pmcd.log'), path.join(dir, 'decoy')]) await chown(p, NOBODY, NOBODY)
    const swapper = spawn(
      'python3',
      [swapLoop, String(NOBODY), path.join(dir, 'pmcd.log'), path.join(dir, 'decoy'), '20'],
      {
        stdio: ['pipe', 'pipe', 'inherit'],
      },
    )
    const lines = createInterface({input: swapper.stdout})[Symbol.asyncIterator]()
    const session = new PipelineSession(
      ['sh', '-c', READER_SCRIPT, 'pcp-harden-read', String(READ_LIMIT)],
      Date.now() + 25_000,
    )
    try {
      expect((await lines.next()).value).toBe('ready')
      const seen = new Map<string, number>()
      const end = Date.now() + 3000
      while (Date.now() < end) {
        const started = Date.now()
        const reply = await session.request(`read r ${path.join(dir, 'pmcd.log')}`)
        // The old `head -c` opened the FIFO and waited for a writer until the node's timeout.
        expect(Date.now() - started).toBeLessThan(1000)
        const kind = reply.startsWith('not ')
          ? `not ${parseMode(reply.slice(4)).type}`
          : reply === `ok ${Buffer.from('regular\n').toString('base64')}`
            ? 'the file'
            : reply
        seen.set(kind, (seen.get(kind) ?? 0) + 1)
      }
      // Only the regular file's content, a refusal of the FIFO, or a refusal of a path that changed
      // (a rename changes the file's ctime: a swap and a swap back during the read are seen too).
      expect(
        [...seen.keys()].filter((k) => !['the file', 'not fifo', 'err EIO changed while read'].includes(k)),
      ).toEqual([])
      expect((seen.get('not fifo') ?? 0) + (seen.get('err EIO changed while read') ?? 0)).toBeGreaterThan(0)
      swapper.stdin.end()
      expect(Number((await lines.next()).value)).toBeGreaterThan(0)
      expect(await session.request(`read r ${path.join(dir, 'pmcd.log')}`)).toBe(
        `ok ${Buffer.from('regular\n').toString('base64')}`,
      )
    } finally {
      swapper.stdin.end()
      await session.close(2000)
      if (swapper.exitCode === null) swapper.kill('SIGKILL')
    }
  })
})
