import {execFileSync} from 'node:child_process'
import {
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  realpathSync,
  renameSync,
  rmSync,
} from 'node:fs'
import {tmpdir} from 'node:os'
import path from 'node:path'

import {afterEach, beforeEach, describe, expect, it} from 'vitest'

import {KeyStore, SLOTS} from '../../src/rotate/keystore.js'
import {readPublicKey} from '../../src/rotate/lines.js'

const KEY_DIR = '/var/lib/pulse-sensor-proxy'
let root: string
let store: KeyStore

beforeEach(() => {
  root = mkdtempSync(path.join(tmpdir(), 'pcp-harden-keystore-'))
  store = new KeyStore(root, KEY_DIR)
  mkdirSync(store.disk('ssh.d'), {recursive: true})
})
afterEach(async () => {
  // The store's descriptors are closed here, as rotate-keys closes them: a FileHandle left to the
  // garbage collector is closed with a warning on stderr (DEP0137) whenever the collector runs.
  await store.close()
  expect(descriptorsUnder(root)).toEqual([])
  rmSync(root, {recursive: true, force: true})
})

/** What this process holds open under `dir` (from /proc/self/fd), one path a descriptor. */
function descriptorsUnder(dir: string): string[] {
  const real = realpathSync(dir)
  const held: string[] = []
  for (const fd of readdirSync('/proc/self/fd')) {
    const target = (() => {
      try {
        return readlinkSync(`/proc/self/fd/${fd}`)
      } catch {
        return '' // the descriptor readdir itself used, closed by now
      }
    })()
    if (target === real || target.startsWith(`${real}/`)) held.push(target)
  }
  return held
}

/** A key pair in a slot; its key id. */
function keyIn(slot: keyof typeof SLOTS): string {
  const dir = store.disk(SLOTS[slot])
  mkdirSync(dir, {recursive: true})
  execFileSync('ssh-keygen', [
    '-q',
    '-t',
    'ed25519',
    '-N',
    '',
    '-C',
    slot,
    '-f',
    path.join(dir, 'id_ed25519'),
  ])
  return readPublicKey(readFileSync(path.join(dir, 'id_ed25519.pub'), 'utf8'))?.id as string
}

async function idIn(slot: keyof typeof SLOTS): Promise<string | undefined> {
  return (await store.read(slot))?.key.id
}

describe('KeyStore.close', () => {
  it('closes the key directory and ssh.d it opened, and the store opens them again when used after', async () => {
    const id = keyIn('prev')
    expect(await idIn('prev')).toBe(id)
    const keyDir = path.join(realpathSync(root), KEY_DIR)
    expect(descriptorsUnder(root).sort()).toEqual([keyDir, path.join(keyDir, 'ssh.d')])
    await store.close()
    expect(descriptorsUnder(root)).toEqual([])
    expect(await idIn('prev')).toBe(id)
  })
})

describe('KeyStore.switchTo', () => {
  it('rotation: next becomes ssh, ssh becomes prev, an older prev is removed', async () => {
    const [old, fresh] = [keyIn('active'), keyIn('next')]
    keyIn('prev')
    await store.switchTo(fresh, old)
    expect([await idIn('active'), await idIn('prev')]).toEqual([fresh, old])
    expect(readdirSync(store.disk('ssh.d'))).toEqual(['prev'])
  })

  it('finishes from every state an interrupted switch leaves', async () => {
    const [old, fresh] = [keyIn('active'), keyIn('next')]
    // Killed after ssh -> ssh.d/swap: no ssh at all.
    renameSync(store.disk(SLOTS.active), store.disk(SLOTS.swap))
    await store.switchTo(fresh, old)
    expect([await idIn('active'), await idIn('prev')]).toEqual([fresh, old])
    // Run again once done: nothing moves.
    await store.switchTo(fresh, old)
    expect([await idIn('active'), await idIn('prev')]).toEqual([fresh, old])
    expect(readdirSync(store.disk('ssh.d'))).toEqual(['prev'])
  })

  it('a half-removed prev (no key left in it) is removed', async () => {
    const [old, fresh] = [keyIn('active'), keyIn('next')]
    mkdirSync(store.disk(SLOTS.prev))
    await store.switchTo(fresh, old)
    expect(await idIn('prev')).toBe(old)
  })

  it('rollback: prev becomes ssh and ssh becomes prev', async () => {
    const [current, previous] = [keyIn('active'), keyIn('prev')]
    await store.switchTo(previous, current)
    expect([await idIn('active'), await idIn('prev')]).toEqual([previous, current])
  })
})

describe('KeyStore.discard', () => {
  it('discarding next also removes the directory a run killed while staging left', async () => {
    keyIn('next')
    keyIn('prev')
    mkdirSync(store.disk('ssh.d/.next-0a1b2c'))
    await store.discard('next')
    expect(readdirSync(store.disk('ssh.d'))).toEqual(['prev'])
  })
})

describe('KeyStore.stage', () => {
  it("makes an OpenSSH ed25519 key in ssh.d/next, 0600 and the active key's owner, in a 0700 directory", async () => {
    const staged = await store.stage(4242, 4243, 20_000)
    expect(staged.key.type).toBe('ssh-ed25519')
    const key = lstatSync(store.disk('ssh.d/next/id_ed25519'))
    const dir = lstatSync(store.disk('ssh.d/next'))
    expect({mode: key.mode & 0o777, uid: key.uid, gid: key.gid}).toEqual({mode: 0o600, uid: 4242, gid: 4243})
    expect({mode: dir.mode & 0o777, uid: dir.uid}).toEqual({mode: 0o700, uid: 4242})
    expect(readFileSync(store.disk('ssh.d/next/id_ed25519'), 'utf8')).toMatch(
      /^-----BEGIN OPENSSH PRIVATE KEY-----\n/,
    )
    expect(readdirSync(store.disk('ssh.d'))).toEqual(['next'])
  })
})
