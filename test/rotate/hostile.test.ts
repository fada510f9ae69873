import {execFileSync} from 'node:child_process'
import {
  chownSync,
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs'
import {type AddressInfo, createServer, type Socket} from 'node:net'
import {tmpdir} from 'node:os'
import path from 'node:path'

import {afterEach, beforeEach, describe, expect, it} from 'vitest'

import {cli} from '../cli/run-cli.js'
import {KeyStore, LOCK_FILE} from '../../src/rotate/keystore.js'
import {takeLock} from '../../src/rotate/lock.js'

/**
 * rotate-keys in a key directory its service user owns, against that user's tricks (issue 13):
 * a planted lock temp file, a symlinked /var/lib, a journal linked to a secret, FIFOs.
 */

const KEY_DIR = '/var/lib/pulse-sensor-proxy'
const SERVICE = 4321
const SECRET = 'root:$y$j9T$SECRETHASHBYTES:19000:0:99999:7:::\n'

let root: string
let outside: string
const stores: KeyStore[] = []

beforeEach(() => {
  root = mkdtempSync(path.join(tmpdir(), 'pcp-harden-hostile-rotate-'))
  outside = mkdtempSync(path.join(tmpdir(), 'pcp-harden-outside-'))
  mkdirSync(path.join(root, KEY_DIR, 'ssh.d'), {recursive: true})
  chownSync(path.join(root, KEY_DIR), SERVICE, SERVICE)
})
afterEach(async () => {
  for (const store of stores.splice(0)) await store.close()
  rmSync(root, {recursive: true, force: true})
  rmSync(outside, {recursive: true, force: true})
})

function storeOf(keyDir = KEY_DIR): KeyStore {
  const store = new KeyStore(root, keyDir)
  stores.push(store)
  return store
}

function local(hostPath: string): string {
  return path.join(root, hostPath)
}

/** A key pair in a slot directory of the key directory. */
function keyIn(dir: string): void {
  mkdirSync(dir, {recursive: true})
  const file = path.join(dir, 'id_ed25519')
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'test', '-f', file])
}

/** Resolves to 'hung' when `promise` has not settled within `ms`. */
function within<T>(promise: Promise<T>, ms: number): Promise<T | 'hung'> {
  let timer: NodeJS.Timeout | undefined
  const late = new Promise<'hung'>((resolve) => {
    timer = setTimeout(() => resolve('hung'), ms)
  })
  return Promise.race([promise, late]).finally(() => clearTimeout(timer))
}

describe('connections made ahead', () => {
  it('a run that fails before its first request (no such --key-dir) does not wait for a node that never answers', async () => {
    const accepted: Socket[] = []
    // It reads (so it sees the other end close) and never says anything: ssh waits for its banner.
    const silent = createServer((socket) => {
      accepted.push(socket)
      socket.resume()
    })
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve))
    const {port} = silent.address() as AddressInfo
    try {
      const run = await within(
        cli([
          'rotate-keys',
          '--root',
          root,
          '--nodes',
          `127.0.0.1:${port}`,
          '--key-dir',
          '/var/lib/missing',
          '--connect-timeout',
          '60',
          '--dry-run',
        ]),
        8000,
      )
      expect(run).toMatchObject({
        code: 3,
        stderr: 'pcp-harden: error: /var/lib/missing: no such directory under --root\n',
      })
      // The connection made ahead (if ssh got as far as connecting before the run ended) is dropped.
      expect(accepted.length).toBeLessThanOrEqual(1)
      await expect.poll(() => accepted.every((socket) => socket.closed)).toBe(true)
    } finally {
      for (const socket of accepted) socket.destroy()
      silent.close()
    }
  })
})

describe('the lock', () => {
  it('never writes through a planted .rotate-keys.lock.<pid>.tmp symlink', async () => {
    const victim = path.join(outside, 'victim')
    writeFileSync(victim, 'precious\n')
    const store = storeOf()
    await store.checkKeyDir()
    symlinkSync(victim, local(`${KEY_DIR}/${LOCK_FILE}.${process.pid}.tmp`))
    const lock = await takeLock(store.lockPath, `${KEY_DIR}/${LOCK_FILE}`)
    expect(readFileSync(victim, 'utf8')).toBe('precious\n')
    expect(JSON.parse(readFileSync(local(`${KEY_DIR}/${LOCK_FILE}`), 'utf8')).pid).toBe(process.pid)
    await lock.release()
    expect(existsSync(local(`${KEY_DIR}/${LOCK_FILE}.${process.pid}.tmp`))).toBe(false)
  })

  it('a FIFO or a symlink to a secret as the lock is a stale lock, removed, never read or hung on', async () => {
    writeFileSync(path.join(outside, 'shadow'), SECRET)
    const store = storeOf()
    await store.checkKeyDir()
    for (const plant of [
      () => execFileSync('mkfifo', [local(`${KEY_DIR}/${LOCK_FILE}`)]),
      () => symlinkSync(path.join(outside, 'shadow'), local(`${KEY_DIR}/${LOCK_FILE}`)),
    ]) {
      plant()
      const lock = await within(takeLock(store.lockPath, `${KEY_DIR}/${LOCK_FILE}`), 5000)
      expect(lock).not.toBe('hung')
      if (lock === 'hung') return
      expect(lstatSync(local(`${KEY_DIR}/${LOCK_FILE}`)).isFile()).toBe(true)
      await lock.release()
    }
    expect(readFileSync(path.join(outside, 'shadow'), 'utf8')).toBe(SECRET)
  })
})

describe('the key directory', () => {
  it('a /var/lib symlinked out of the root is followed inside the root only: nothing outside is read or written', async () => {
    // The same layout outside the root, with a key the run must not find.
    keyIn(path.join(outside, 'var/lib/pulse-sensor-proxy/ssh'))
    rmSync(local('/var/lib'), {recursive: true})
    symlinkSync(path.join(outside, 'var/lib'), local('/var/lib'))
    const store = storeOf()
    await expect(store.checkKeyDir()).rejects.toThrow(`${KEY_DIR}: no such directory under --root`)
    expect(existsSync(path.join(outside, `var/lib/pulse-sensor-proxy/${LOCK_FILE}`))).toBe(false)
  })

  it('a symlink owned by the service user on the way is refused', async () => {
    mkdirSync(local('/srv/real-state'), {recursive: true})
    rmSync(local(KEY_DIR), {recursive: true})
    symlinkSync('/srv/real-state', local(KEY_DIR))
    execFileSync('chown', ['-h', `${SERVICE}:${SERVICE}`, local(KEY_DIR)])
    await expect(storeOf().checkKeyDir()).rejects.toThrow(
      `${KEY_DIR}: ${KEY_DIR} is a symlink owned by uid ${SERVICE}`,
    )
  })

  it('a symlink root owns is followed inside the root, as on the live machine', async () => {
    keyIn(local('/srv/real-state/ssh'))
    rmSync(local(KEY_DIR), {recursive: true})
    symlinkSync('/srv/real-state', local(KEY_DIR))
    expect((await storeOf().read('active'))?.publicLine).toMatch(/^ssh-ed25519 /)
  })

  it('ssh.d swapped for a symlink by the service user: nothing outside is removed or renamed', async () => {
    mkdirSync(path.join(outside, 'next'))
    writeFileSync(path.join(outside, 'next/keep'), "not the proxy's\n")
    rmSync(local(`${KEY_DIR}/ssh.d`), {recursive: true})
    symlinkSync(outside, local(`${KEY_DIR}/ssh.d`))
    execFileSync('chown', ['-h', `${SERVICE}:${SERVICE}`, local(`${KEY_DIR}/ssh.d`)])
    const store = storeOf()
    await expect(store.discard('next')).rejects.toThrow(
      `${KEY_DIR}/ssh.d: refusing it: ${KEY_DIR}/ssh.d is a symlink`,
    )
    await expect(store.ensureStateDir(SERVICE, SERVICE)).rejects.toThrow(/is a symlink/)
    expect(readFileSync(path.join(outside, 'next/keep'), 'utf8')).toBe("not the proxy's\n")
  })

  it('a FIFO as the active .pub does not hang the run and is named, not read', async () => {
    keyIn(local(`${KEY_DIR}/ssh`))
    rmSync(local(`${KEY_DIR}/ssh/id_ed25519.pub`))
    execFileSync('mkfifo', [local(`${KEY_DIR}/ssh/id_ed25519.pub`)])
    const result = await within(
      storeOf()
        .read('active')
        .catch((error: unknown) => error),
      5000,
    )
    expect(result).toBeInstanceOf(Error)
    expect((result as Error).message).toBe(
      `${KEY_DIR}/ssh/id_ed25519.pub: refusing to read it: is not a regular file`,
    )
  })
})

describe('the journal', () => {
  it('linked to a secret: refused without a byte of the secret in the message', async () => {
    writeFileSync(path.join(outside, 'shadow'), SECRET)
    symlinkSync(path.join(outside, 'shadow'), local(`${KEY_DIR}/ssh.d/rotation.json`))
    const error = await storeOf()
      .readJournal()
      .catch((e: unknown) => e as Error)
    expect((error as Error).message).toBe(`${KEY_DIR}/ssh.d/rotation.json: refusing to read it: is a symlink`)
  })

  it('written through a symlinked ssh.d: refused, named by its host path, nothing written outside', async () => {
    const journal = {version: 1} as Parameters<KeyStore['writeJournal']>[0]
    // Swapped before the run opened ssh.d: refused when opening it.
    rmSync(local(`${KEY_DIR}/ssh.d`), {recursive: true})
    symlinkSync(outside, local(`${KEY_DIR}/ssh.d`))
    await expect(storeOf().writeJournal(journal, SERVICE, SERVICE)).rejects.toThrow(
      `${KEY_DIR}/ssh.d: refusing it: ${KEY_DIR}/ssh.d is a symlink`,
    )
    // Swapped after: the writer, walking from the key directory, refuses it.
    rmSync(local(`${KEY_DIR}/ssh.d`))
    mkdirSync(local(`${KEY_DIR}/ssh.d`))
    const store = storeOf()
    await store.read('next')
    rmSync(local(`${KEY_DIR}/ssh.d`), {recursive: true})
    symlinkSync(outside, local(`${KEY_DIR}/ssh.d`))
    await expect(store.writeJournal(journal, SERVICE, SERVICE)).rejects.toThrow(
      `refusing to write ${KEY_DIR}/ssh.d/rotation.json: ${KEY_DIR}/ssh.d is a symlink`,
    )
    expect(readdirSync(outside)).toEqual([])
  })

  it('that is not JSON: named, its content never echoed', async () => {
    writeFileSync(local(`${KEY_DIR}/ssh.d/rotation.json`), SECRET)
    const error = await storeOf()
      .readJournal()
      .catch((e: unknown) => e as Error)
    expect((error as Error).message).toBe(`${KEY_DIR}/ssh.d/rotation.json: not a rotation journal (not JSON)`)
  })

  it(
    'a FIFO as the journal does not hang rotate-keys, and the run says which file',
    {timeout: 30_000},
    async () => {
      keyIn(local(`${KEY_DIR}/ssh`))
      execFileSync('mkfifo', [local(`${KEY_DIR}/ssh.d/rotation.json`)])
      const run = await cli(['rotate-keys', '--root', root, '--nodes', '127.0.0.1:9', '--dry-run'])
      expect(run.stderr).toBe(
        `pcp-harden: error: ${KEY_DIR}/ssh.d/rotation.json: refusing to read it: is not a regular file\n`,
      )
      expect(run.code).toBe(3)
    },
  )

  it('a journal linked to a secret: rotate-keys prints none of it', {timeout: 30_000}, async () => {
    keyIn(local(`${KEY_DIR}/ssh`))
    writeFileSync(path.join(outside, 'shadow'), SECRET)
    symlinkSync(path.join(outside, 'shadow'), local(`${KEY_DIR}/ssh.d/rotation.json`))
    const run = await cli(['rotate-keys', '--root', root, '--nodes', '127.0.0.1:9', '--dry-run'])
    expect(run.stdout + run.stderr).not.toContain('SECRET')
    expect(run.stdout + run.stderr).not.toContain('root:')
    expect(run.code).toBe(3)
  })
})
