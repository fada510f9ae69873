import {execFileSync, spawnSync} from 'node:child_process'
import {
  chownSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  utimesSync,
  writeFileSync,
} from 'node:fs'
import {tmpdir} from 'node:os'
import path from 'node:path'

import {afterEach, beforeEach, describe, expect, it} from 'vitest'

import {type Argv, remoteScript} from '../../src/rotate/exec.js'
import {sessionCommand, SESSION_SCRIPT, sha256, WRITE_SCRIPT, writeRequest} from '../../src/rotate/remote.js'
import {LineSession, SESSION_READY, SessionError} from '../../src/rotate/session.js'

/** The write script as the node's shell runs it (what ssh hands over), here on local files. */
function write(args: string[], content: string) {
  const input = Buffer.from(content).toString('base64')
  const result = spawnSync(
    'sh',
    ['-c', remoteScript(WRITE_SCRIPT, [...args, sha256(Buffer.from(content))])],
    {
      input,
    },
  )
  return {code: result.status, stdout: result.stdout, stderr: result.stderr.toString()}
}

let dir: string
beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'pcp-harden-remote-'))
})
afterEach(() => rmSync(dir, {recursive: true, force: true}))

/** The shell session as a node's shell runs it, here on a local file, with `before` run first. */
function sessionArgv(file: string, before = ''): Argv {
  return ['sh', '-c', `${before}${remoteScript(SESSION_SCRIPT, [file, WRITE_SCRIPT])}`]
}

/** What ssh hands over (the Perl session here, perl being installed), with `before` run first. */
function perlSessionArgv(file: string, before = ''): Argv {
  return ['sh', '-c', `${before}${sessionCommand(file)}`]
}

/** Both implementations of the session speak the same protocol with the same guarantees. */
const IMPLEMENTATIONS = [
  ['the shell session', sessionArgv],
  ['the Perl session', perlSessionArgv],
] as const

const T = 10_000

/** A file's content, permission bits and owner. */
function fileState(file: string) {
  const st = lstatSync(file)
  return {content: readFileSync(file, 'utf8'), mode: st.mode & 0o777, uid: st.uid, gid: st.gid}
}

/** A directory of root and group 4243 with the setgid bit (new files there get group 4243), holding authorized_keys of root:root. */
function setgidKeys(name: string): string {
  const sub = path.join(dir, name)
  mkdirSync(sub)
  chownSync(sub, 0, 4243)
  execFileSync('chmod', ['2700', sub])
  const file = path.join(sub, 'authorized_keys')
  writeFileSync(file, 'old\n', {mode: 0o600})
  chownSync(file, 0, 0)
  return file
}

/** Sessions a test opens, each closed after it: call in a describe block, open with what it returns. */
function useSessions(): (...args: ConstructorParameters<typeof LineSession>) => LineSession {
  const sessions: LineSession[] = []
  afterEach(async () => {
    await Promise.all(sessions.splice(0).map((s) => s.close()))
  })
  return (...args) => {
    const session = new LineSession(...args)
    sessions.push(session)
    return session
  }
}

describe('the remote session', () => {
  const open = useSessions()

  it('ends when its input does: close() returns once the shell has exited', async () => {
    const file = path.join(dir, 'authorized_keys')
    const marker = path.join(dir, 'ended')
    const session = open(['sh', '-c', `${sessionArgv(file)[2]}; touch ${marker}`])
    expect(await session.request('read', T)).toBe('absent')
    await session.close()
    expect(lstatSync(marker).isFile()).toBe(true)
  })

  it("a connection that fails is the request's error (its last stderr line); the next request connects again", async () => {
    const file = path.join(dir, 'authorized_keys')
    const tried = path.join(dir, 'tried')
    const flaky = `if [ ! -e ${tried} ]; then touch ${tried}; echo "debug noise" >&2; echo "ssh: connect to host pve2 port 22: No route to host" >&2; exit 255; fi; `
    const session = open(sessionArgv(file, flaky))
    await expect(session.request('read', T)).rejects.toEqual(
      new SessionError('ssh: connect to host pve2 port 22: No route to host'),
    )
    expect(await session.request('read', T)).toBe('absent')
  })

  it('a request that times out kills the program and says so; the next request starts a new one', async () => {
    const file = path.join(dir, 'authorized_keys')
    const first = path.join(dir, 'first')
    const hang = `if [ ! -e ${first} ]; then touch ${first}; echo '${SESSION_READY}'; exec sleep 60; fi; `
    const session = open(sessionArgv(file, hang))
    const started = Date.now()
    const error = await session.request('read', 300).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(SessionError)
    expect(error).toMatchObject({message: 'timed out', timedOut: true})
    expect(Date.now() - started).toBeLessThan(5000)
    expect(await session.request('read', T)).toBe('absent')
  })

  it('a shell that never starts the session (a login script waiting for input) times out saying so', async () => {
    const session = open(sessionArgv(path.join(dir, 'authorized_keys'), 'read x; '))
    await expect(session.request('read', 300)).rejects.toMatchObject({
      message: expect.stringMatching(/^timed out before the node's shell started the session/),
      timedOut: true,
    })
  })

  it('a reply longer than the bound ends the session with an error, not an ever-growing buffer', async () => {
    const flood = `printf '\\n%s\\n' '${SESSION_READY}'; head -c 5000 /dev/zero | tr '\\0' a; exec sleep 60`
    const session = open(['sh', '-c', flood], {replyMax: 1000})
    await expect(session.request('read', T)).rejects.toEqual(
      new SessionError('a reply of more than 1000 bytes without a line end'),
    )
  })

  it('a write under bash as sh (which ignores set -e in an if): a failure midway still stops it and answers fail', async () => {
    const file = path.join(dir, 'authorized_keys')
    writeFileSync(file, 'old\n')
    const bash = (target: string) =>
      open(['bash', '--posix', '-c', SESSION_SCRIPT, 'pcp-harden-rotate', target, WRITE_SCRIPT])
    const content = Buffer.from('new\n')
    const session = bash(file)
    expect(await session.request(writeRequest(sha256(Buffer.from('other\n')), content), T)).toBe(
      `fail 92 ${file} changed since it was read; nothing written`,
    )
    expect(await session.request(writeRequest(sha256(Buffer.from('old\n')), content), T)).toBe('ok')
    expect(readFileSync(file, 'utf8')).toBe('new\n')
    writeFileSync(path.join(dir, 'not-a-dir'), '')
    const blocked = bash(path.join(dir, 'not-a-dir', 'authorized_keys'))
    expect(await blocked.request(writeRequest('absent', content), T)).toMatch(/^fail 1 mkdir: .*not-a-dir/)
    expect(execFileSync('ls', ['-A', dir], {encoding: 'utf8'}).split('\n').filter(Boolean)).toEqual([
      'authorized_keys',
      'authorized_keys.pcp-harden.bak',
      'not-a-dir',
    ])
  })

  it("connects ahead of the first request; a connection that fails ahead is that request's error, tried once", async () => {
    const file = path.join(dir, 'authorized_keys')
    writeFileSync(file, 'k\n')
    const started = path.join(dir, 'started')
    const ahead = open(sessionArgv(file, `touch ${started}; `))
    ahead.connect()
    await expect.poll(() => lstatSync(started, {throwIfNoEntry: false})?.isFile()).toBe(true)
    expect(await ahead.request('read', T)).toBe(`ok ${Buffer.from('k\n').toString('base64')}`)
    const tries = path.join(dir, 'tries')
    const down = open(
      sessionArgv(
        file,
        `echo x >> ${tries}; echo "ssh: connect to host pve2 port 22: Connection refused" >&2; exit 255; `,
      ),
    )
    down.connect()
    await expect.poll(() => lstatSync(tries, {throwIfNoEntry: false})?.isFile()).toBe(true)
    // Let the program end before the request comes.
    await new Promise((resolve) => setTimeout(resolve, 200))
    await expect(down.request('read', T)).rejects.toEqual(
      new SessionError('ssh: connect to host pve2 port 22: Connection refused'),
    )
    expect(readFileSync(tries, 'utf8')).toBe('x\n')
    // The next request connects again.
    await expect(down.request('read', T)).rejects.toBeInstanceOf(SessionError)
    expect(readFileSync(tries, 'utf8')).toBe('x\nx\n')
  })
})

describe.each(IMPLEMENTATIONS)('%s', (_name, argvOf) => {
  const open = useSessions()

  it('reads the file byte for byte (base64 on one line), says when there is none, and writes', async () => {
    const file = path.join(dir, 'authorized_keys')
    const bytes = Buffer.from([0x23, 0xe9, 0x0d, 0x0a, 0x00, 0x0a])
    writeFileSync(file, bytes)
    const session = open(argvOf(file))
    expect(await session.request('read', T)).toBe(`ok ${bytes.toString('base64')}`)
    const next = Buffer.from('ssh-ed25519 AAAA new\n')
    expect(await session.request(writeRequest(sha256(bytes), next), T)).toBe('ok')
    expect(readFileSync(file)).toEqual(next)
    expect(readFileSync(`${file}.pcp-harden.bak`)).toEqual(bytes)
    expect(await session.request('read', T)).toBe(`ok ${next.toString('base64')}`)
    rmSync(file)
    expect(await session.request('read', T)).toBe('absent')
    expect(await session.request(writeRequest('absent', Buffer.from('x\n')), T)).toBe('ok')
    expect(readFileSync(file, 'utf8')).toBe('x\n')
  })

  it('an empty file reads as empty, and writing an empty content empties the file', async () => {
    const file = path.join(dir, 'authorized_keys')
    writeFileSync(file, 'a\n')
    const session = open(argvOf(file))
    expect(await session.request(writeRequest(sha256(Buffer.from('a\n')), Buffer.alloc(0)), T)).toBe('ok')
    expect(readFileSync(file, 'utf8')).toBe('')
    expect(await session.request('read', T)).toBe('ok ')
  })

  it('a failed write answers `fail STATUS MESSAGE` and the session goes on, in step', async () => {
    const file = path.join(dir, 'authorized_keys')
    writeFileSync(file, 'edited by someone else\n')
    const session = open(argvOf(file))
    const content = Buffer.from('new\n')
    expect(await session.request(writeRequest(sha256(Buffer.from('old\n')), content), T)).toBe(
      `fail 92 ${file} changed since it was read; nothing written`,
    )
    expect(readFileSync(file, 'utf8')).toBe('edited by someone else\n')
    // A file where its directory should be: the write script stops at mkdir.
    const blocked = path.join(dir, 'not-a-dir', 'authorized_keys')
    writeFileSync(path.join(dir, 'not-a-dir'), '')
    const other = open(argvOf(blocked))
    expect(await other.request('read', T)).toBe('absent')
    expect(await other.request(writeRequest('absent', content), T)).toMatch(/^fail 1 mkdir: .*not-a-dir/)
    expect(await session.request('read', T)).toBe(
      `ok ${Buffer.from('edited by someone else\n').toString('base64')}`,
    )
  })

  it('a dangling symlink is a failure to read, not an absent file', async () => {
    const link = path.join(dir, 'authorized_keys')
    symlinkSync(path.join(dir, 'gone'), link)
    expect(await open(argvOf(link)).request('read', T)).toBe(`fail 1 ${link}: a dangling symlink`)
  })

  it('carries a 1 MB file both ways', async () => {
    const file = path.join(dir, 'authorized_keys')
    const big = Buffer.alloc(1 << 20, 'ssh-ed25519 AAAA line\n')
    writeFileSync(file, big)
    const session = open(argvOf(file))
    const read = await session.request('read', 60_000)
    // equals(), not toEqual(): vitest compares a 1 MB Buffer byte by byte for seconds.
    expect(Buffer.from(read.slice(3), 'base64').equals(big)).toBe(true)
    const bigger = Buffer.concat([big, Buffer.from('one more\n')])
    expect(await session.request(writeRequest(sha256(big), bigger), 60_000)).toBe('ok')
    expect(readFileSync(file).equals(bigger)).toBe(true)
  })

  it("skips what the node's shell prints before the session starts (a noisy rc file)", async () => {
    const file = path.join(dir, 'authorized_keys')
    writeFileSync(file, 'k\n')
    const session = open(argvOf(file, 'echo "Welcome to pve1"; echo ok; '))
    expect(await session.request('read', T)).toBe(`ok ${Buffer.from('k\n').toString('base64')}`)
    // A banner (or a terminal title) printed without a newline does not hide the ready line.
    const unfinished = open(argvOf(file, "printf 'Welcome'; printf '\\033]0;pve1\\007'; "))
    expect(await unfinished.request('read', T)).toBe(`ok ${Buffer.from('k\n').toString('base64')}`)
  })

  it('a request the shell does not know ends the session with a failure', async () => {
    const session = open(argvOf(path.join(dir, 'authorized_keys')))
    expect(await session.request('remove everything', T)).toBe('fail 2 not a request: remove')
  })

  it('writes as the write script does: mode 0600, the old owner, the old content kept as .bak with its mode, owner and times', async () => {
    const file = path.join(dir, 'authorized_keys')
    writeFileSync(file, 'old\n', {mode: 0o644})
    chownSync(file, 4242, 4243)
    utimesSync(file, 1_000_000, 1_000_000)
    const session = open(argvOf(file))
    const content = Buffer.from('new\n')
    expect(await session.request(writeRequest(sha256(Buffer.from('old\n')), content), T)).toBe('ok')
    expect(fileState(file)).toEqual({content: 'new\n', mode: 0o600, uid: 4242, gid: 4243})
    const bak = lstatSync(`${file}.pcp-harden.bak`)
    expect({
      content: readFileSync(`${file}.pcp-harden.bak`, 'utf8'),
      mode: bak.mode & 0o777,
      uid: bak.uid,
      gid: bak.gid,
      mtime: bak.mtimeMs,
    }).toEqual({content: 'old\n', mode: 0o644, uid: 4242, gid: 4243, mtime: 1_000_000_000})
    expect(execFileSync('ls', ['-A', dir], {encoding: 'utf8'}).split('\n').filter(Boolean)).toEqual([
      'authorized_keys',
      'authorized_keys.pcp-harden.bak',
    ])
  })

  it('creates a missing file and its 0700 directory only if absent when read; follows a symlink and keeps it; keeps its own group in a setgid directory', async () => {
    const missing = path.join(dir, '.ssh', 'authorized_keys')
    const content = Buffer.from('new\n')
    const created = open(argvOf(missing))
    expect(await created.request(writeRequest('absent', content), T)).toBe('ok')
    expect(lstatSync(path.dirname(missing)).mode & 0o777).toBe(0o700)
    expect(readFileSync(missing, 'utf8')).toBe('new\n')
    expect(await created.request(writeRequest('absent', content), T)).toBe(
      `fail 92 ${missing} changed since it was read; nothing written`,
    )
    const target = setgidKeys('priv')
    const priv = path.dirname(target)
    const link = path.join(dir, 'authorized_keys')
    symlinkSync('priv/authorized_keys', link)
    const linked = open(argvOf(link))
    expect(await linked.request(writeRequest(sha256(Buffer.from('old\n')), content), T)).toBe('ok')
    expect(lstatSync(link).isSymbolicLink()).toBe(true)
    const st = lstatSync(target)
    expect({content: readFileSync(target, 'utf8'), uid: st.uid, gid: st.gid}).toEqual({
      content: 'new\n',
      uid: 0,
      gid: 0,
    })
    expect(readFileSync(`${target}.pcp-harden.bak`, 'utf8')).toBe('old\n')
    expect(execFileSync('ls', ['-A', priv], {encoding: 'utf8'})).toBe(
      'authorized_keys\nauthorized_keys.pcp-harden.bak\n',
    )
  })
  it('a request cut short (the input ends mid-line: a connection lost) writes nothing', () => {
    const file = path.join(dir, 'authorized_keys')
    writeFileSync(file, 'line1\nline2\nroot-key\n')
    const request = writeRequest(
      sha256(Buffer.from('line1\nline2\nroot-key\n')),
      Buffer.from('line1\nline2\nnew\n'),
    )
    const [command, ...args] = argvOf(file)
    // Half the line, then the end of the input, as sshd gives it when the client dies mid-request.
    const run = spawnSync(command!, args, {input: request.slice(0, request.length - 8), timeout: T})
    expect(run.status).toBe(0)
    expect(readFileSync(file, 'utf8')).toBe('line1\nline2\nroot-key\n')
    expect(execFileSync('ls', ['-A', dir], {encoding: 'utf8'})).toBe('authorized_keys\n')
  })

  it('a content that is not what its SHA-256 says (cut or altered on the way) is not written', async () => {
    const file = path.join(dir, 'authorized_keys')
    writeFileSync(file, 'old\n')
    const session = open(argvOf(file))
    const request = writeRequest(sha256(Buffer.from('old\n')), Buffer.from('old\nnew key\n'))
    const cut = request.slice(0, request.length - 4)
    expect(await session.request(cut, T)).toBe(
      'fail 1 the new content arrived incomplete or altered; nothing written',
    )
    expect(readFileSync(file, 'utf8')).toBe('old\n')
    expect(execFileSync('ls', ['-A', dir], {encoding: 'utf8'})).toBe('authorized_keys\n')
    expect(await session.request(request, T)).toBe('ok')
    expect(readFileSync(file, 'utf8')).toBe('old\nnew key\n')
  })

  it('a symlink planted where the .bak goes is replaced by the copy, never written through', async () => {
    const file = path.join(dir, 'authorized_keys')
    writeFileSync(file, 'old\n', {mode: 0o600})
    const victim = path.join(dir, 'victim')
    writeFileSync(victim, 'victim\n', {mode: 0o644})
    chownSync(victim, 4242, 4243)
    symlinkSync(victim, `${file}.pcp-harden.bak`)
    const session = open(argvOf(file))
    expect(await session.request(writeRequest(sha256(Buffer.from('old\n')), Buffer.from('new\n')), T)).toBe(
      'ok',
    )
    const st = lstatSync(victim)
    expect({content: readFileSync(victim, 'utf8'), mode: st.mode & 0o777, uid: st.uid}).toEqual({
      content: 'victim\n',
      mode: 0o644,
      uid: 4242,
    })
    expect(lstatSync(`${file}.pcp-harden.bak`).isFile()).toBe(true)
    expect(readFileSync(`${file}.pcp-harden.bak`, 'utf8')).toBe('old\n')
    // A dangling one: what it points to is not created.
    rmSync(`${file}.pcp-harden.bak`)
    symlinkSync(path.join(dir, 'made-by-link'), `${file}.pcp-harden.bak`)
    expect(await session.request(writeRequest(sha256(Buffer.from('new\n')), Buffer.from('newer\n')), T)).toBe(
      'ok',
    )
    expect(lstatSync(path.join(dir, 'made-by-link'), {throwIfNoEntry: false})).toBeUndefined()
    expect(readFileSync(`${file}.pcp-harden.bak`, 'utf8')).toBe('new\n')
    expect(execFileSync('ls', ['-A', dir], {encoding: 'utf8'})).toBe(
      'authorized_keys\nauthorized_keys.pcp-harden.bak\nvictim\n',
    )
  })

  it('creates every missing directory 0700, a newline in a name included', async () => {
    const file = path.join(dir, 'a\nb', 'c', 'authorized_keys')
    const session = open(argvOf(file))
    expect(await session.request(writeRequest('absent', Buffer.from('new\n')), T)).toBe('ok')
    expect(readFileSync(file, 'utf8')).toBe('new\n')
    expect(lstatSync(path.join(dir, 'a\nb')).mode & 0o777).toBe(0o700)
    expect(lstatSync(path.join(dir, 'a\nb', 'c')).mode & 0o777).toBe(0o700)
    expect(execFileSync('ls', ['-A', path.join(dir, 'a\nb', 'c')], {encoding: 'utf8'})).toBe(
      'authorized_keys\n',
    )
  })
})

describe('the session on a node without a full perl', () => {
  it('runs the shell session when perl lacks Digest::SHA (a minimal Debian has only perl-base), the Perl one otherwise', async () => {
    const lib = path.join(dir, 'lib')
    mkdirSync(path.join(lib, 'Digest'), {recursive: true})
    writeFileSync(path.join(lib, 'Digest', 'SHA.pm'), 'die "Can\'t locate Digest/SHA.pm\\n";\n')
    const file = path.join(dir, 'not-a-dir', 'authorized_keys')
    writeFileSync(path.join(dir, 'not-a-dir'), '')
    const session = new LineSession(['env', `PERL5LIB=${lib}`, ...perlSessionArgv(file)])
    const perl = new LineSession(perlSessionArgv(file))
    try {
      // With the modules, the Perl session answers in its own words.
      expect(await perl.request(writeRequest('absent', Buffer.from('x\n')), T)).toBe(
        `fail 1 mkdir: ${path.join(dir, 'not-a-dir')}: Not a directory`,
      )
      expect(await session.request('read', T)).toBe('absent')
      // GNU mkdir's words: the shell session's write script, not the Perl session.
      expect(await session.request(writeRequest('absent', Buffer.from('x\n')), T)).toMatch(
        /^fail 1 mkdir: cannot create directory .*not-a-dir/,
      )
    } finally {
      await Promise.all([session.close(), perl.close()])
    }
  })
})

describe('the remote write script', () => {
  it('replaces the file if it is what was read: mode 0600, the old owner, the old content kept as .bak', () => {
    const file = path.join(dir, 'authorized_keys')
    writeFileSync(file, 'old\n', {mode: 0o644})
    chownSync(file, 4242, 4243)
    expect(write([file, sha256(Buffer.from('old\n'))], 'new\n')).toMatchObject({
      code: 0,
      stderr: '',
    })
    expect(fileState(file)).toEqual({content: 'new\n', mode: 0o600, uid: 4242, gid: 4243})
    expect(readFileSync(`${file}.pcp-harden.bak`, 'utf8')).toBe('old\n')
    expect(execFileSync('ls', ['-A', dir], {encoding: 'utf8'}).split('\n').filter(Boolean)).toEqual([
      'authorized_keys',
      'authorized_keys.pcp-harden.bak',
    ])
  })

  it('writes nothing (exit 92) when the file changed since it was read', () => {
    const file = path.join(dir, 'authorized_keys')
    writeFileSync(file, 'edited by someone else\n')
    const result = write([file, sha256(Buffer.from('old\n'))], 'new\n')
    expect(result).toMatchObject({code: 92, stderr: `${file} changed since it was read; nothing written\n`})
    expect(readFileSync(file, 'utf8')).toBe('edited by someone else\n')
    expect(execFileSync('ls', ['-A', dir], {encoding: 'utf8'})).toBe('authorized_keys\n')
  })

  it('creates a missing file (and its 0700 directory) only if it was absent when read', () => {
    const file = path.join(dir, '.ssh', 'authorized_keys')
    expect(write([file, 'absent'], 'new\n').code).toBe(0)
    expect(lstatSync(path.dirname(file)).mode & 0o777).toBe(0o700)
    expect(readFileSync(file, 'utf8')).toBe('new\n')
    expect(write([file, 'absent'], 'again\n').code).toBe(92)
  })

  it("in a setgid directory, a file of the admin keeps its own group, not the directory's", () => {
    const file = setgidKeys('setgid')
    expect(write([file, sha256(Buffer.from('old\n'))], 'new\n')).toMatchObject({code: 0, stderr: ''})
    const st = lstatSync(file)
    expect({content: readFileSync(file, 'utf8'), uid: st.uid, gid: st.gid}).toEqual({
      content: 'new\n',
      uid: 0,
      gid: 0,
    })
  })

  it("follows a symlink (Proxmox's /root/.ssh/authorized_keys -> /etc/pve/priv/authorized_keys) and keeps it", () => {
    mkdirSync(path.join(dir, 'priv'))
    const target = path.join(dir, 'priv', 'authorized_keys')
    const link = path.join(dir, 'authorized_keys')
    writeFileSync(target, 'old\n', {mode: 0o600})
    symlinkSync(target, link)
    expect(write([link, sha256(Buffer.from('old\n'))], 'new\n').code).toBe(0)
    expect(lstatSync(link).isSymbolicLink()).toBe(true)
    expect(readFileSync(target, 'utf8')).toBe('new\n')
    expect(readFileSync(`${target}.pcp-harden.bak`, 'utf8')).toBe('old\n')
  })
})
