import {randomBytes} from 'node:crypto'
import {constants} from 'node:fs'
import {chown, lstat, mkdir, open, readdir, readFile, rename, rm} from 'node:fs/promises'
import path from 'node:path'

import {InputError} from '../engine/errors.js'
import {type PublicKey} from '../parsers/authorized-keys.js'
import {applyPlan, BACKUP_SUFFIX, planChanges} from '../render/writer.js'
import {keygenArgv, runTool} from './exec.js'
import {PROXY_COMMENT, readPublicKey} from './lines.js'

export const KEY_FILE = 'id_ed25519'
export const DEFAULT_KEY_DIR = '/var/lib/pulse-sensor-proxy'
/** The directory a new key is made in, in ssh.d, before it is renamed to ssh.d/next. */
const STAGING_PREFIX = '.next-'
/** The lock of a run, beside ssh/ (not in ssh.d, which a failed preflight must not create). */
export const LOCK_FILE = '.rotate-keys.lock'

/** The key directories of the proxy's state, as host paths relative to --key-dir. */
export const SLOTS = {active: 'ssh', next: 'ssh.d/next', prev: 'ssh.d/prev', swap: 'ssh.d/swap'} as const
export type Slot = keyof typeof SLOTS

export interface SlotKey {
  slot: Slot
  key: PublicKey
  /** The .pub line: `ssh-ed25519 AAAA... comment`. */
  publicLine: string
}

/** The key directories of one proxy under a root, and the journal and lock beside them. */
export class KeyStore {
  constructor(
    /** The root directory on disk (--root). */
    readonly root: string,
    /** The host path of the proxy's state (--key-dir). */
    readonly keyDir: string,
  ) {}

  /** The host path of a slot or a file in ssh.d. */
  hostPath(relative: string): string {
    return path.posix.join(this.keyDir, relative)
  }

  disk(relative: string): string {
    return path.join(this.root, this.hostPath(relative))
  }

  get journalPath(): string {
    return this.hostPath('ssh.d/rotation.json')
  }

  get lockPath(): string {
    return this.disk(LOCK_FILE)
  }

  /** The key in a slot; undefined when the slot is empty or holds no readable public key. */
  async read(slot: Slot): Promise<SlotKey | undefined> {
    const dir = this.disk(SLOTS[slot])
    try {
      const st = await lstat(dir)
      if (!st.isDirectory()) return undefined
      await lstat(path.join(dir, KEY_FILE))
      const publicLine = (await readFile(path.join(dir, `${KEY_FILE}.pub`), 'utf8')).trim()
      const key = readPublicKey(publicLine)
      return key ? {slot, key, publicLine} : undefined
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined
      throw error
    }
  }

  /** Refuse a --key-dir that is not a directory (before the lock is taken in it). */
  async checkKeyDir(): Promise<void> {
    const st = await lstat(this.disk('.')).catch(() => undefined)
    if (!st?.isDirectory()) throw new InputError(`${this.keyDir}: no such directory under --root`)
  }

  /** The active key, which must be there: bad input otherwise. */
  async active(): Promise<SlotKey & {uid: number; gid: number}> {
    const found = await this.read('active')
    const file = this.hostPath(`${SLOTS.active}/${KEY_FILE}`)
    if (!found) throw new InputError(`${file}: no active key (with its .pub) to rotate`)
    const st = await lstat(this.disk(`${SLOTS.active}/${KEY_FILE}`))
    return {...found, uid: st.uid, gid: st.gid}
  }

  /** Make ssh.d (0700, the service user's) when missing; refuse anything but a directory there. */
  async ensureStateDir(uid: number, gid: number): Promise<void> {
    const dir = this.disk('ssh.d')
    try {
      const st = await lstat(dir)
      if (!st.isDirectory()) throw new InputError(`${this.hostPath('ssh.d')}: not a directory`)
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error
      await mkdir(dir, {mode: 0o700})
      await chown(dir, uid, gid)
    }
  }

  /**
   * A new key pair in ssh.d/next: made by ssh-keygen in a fresh 0700 directory beside it (the
   * private key is 0600 from its creation and never readable by anyone but root and then the
   * service user), handed to the service user, then renamed into place whole.
   */
  async stage(uid: number, gid: number, timeoutMs: number): Promise<SlotKey> {
    await this.discard('next')
    const temp = this.disk(`ssh.d/${STAGING_PREFIX}${randomBytes(6).toString('hex')}`)
    await mkdir(temp, {mode: 0o700})
    try {
      const file = path.join(temp, KEY_FILE)
      const run = await runTool(keygenArgv(file, PROXY_COMMENT), {timeoutMs})
      if (run.exitCode !== 0) throw new Error(`ssh-keygen failed: ${run.stderr.trim()}`)
      for (const name of [KEY_FILE, `${KEY_FILE}.pub`, '.']) await chown(path.join(temp, name), uid, gid)
      await syncPath(temp)
      await rename(temp, this.disk(SLOTS.next))
      await syncPath(this.disk('ssh.d'))
    } catch (error) {
      await rm(temp, {recursive: true, force: true})
      throw error
    }
    const staged = await this.read('next')
    if (!staged) throw new Error(`${this.hostPath(SLOTS.next)}: the new key cannot be read back`)
    return staged
  }

  /** Remove a slot; discarding `next` also removes what a run killed while staging left (`.next-*`). */
  async discard(slot: Slot): Promise<void> {
    await rm(this.disk(SLOTS[slot]), {recursive: true, force: true})
    if (slot !== 'next') return
    const names = await readdir(this.disk('ssh.d')).catch(() => [])
    for (const name of names.filter((n) => n.startsWith(STAGING_PREFIX)))
      await rm(this.disk(`ssh.d/${name}`), {recursive: true, force: true})
  }

  /**
   * Make the key `active` (in some slot) the active one and `previous` the one in ssh.d/prev, by
   * renames only, from whatever state an interrupted run left: safe to run again at any point.
   * Any other key in ssh.d/prev is removed first.
   */
  async switchTo(active: string, previous: string | undefined): Promise<void> {
    const where = async () => {
      const found = new Map<string, Slot>()
      for (const slot of Object.keys(SLOTS) as Slot[]) {
        const key = await this.read(slot)
        if (key) found.set(key.key.id, slot)
      }
      return found
    }
    let found = await where()
    const prev = await this.read('prev')
    if (prev ? prev.key.id !== active && prev.key.id !== previous : await exists(this.disk(SLOTS.prev))) {
      await this.discard('prev')
    }
    found = await where()
    if (found.get(active) !== 'active') {
      const from = found.get(active)
      if (!from) throw new Error(`the key to make active is in none of ${Object.values(SLOTS).join(', ')}`)
      if (await exists(this.disk(SLOTS.active))) {
        if (await exists(this.disk(SLOTS.swap))) await this.discard('swap')
        await rename(this.disk(SLOTS.active), this.disk(SLOTS.swap))
      }
      await rename(this.disk(SLOTS[from]), this.disk(SLOTS.active))
      await syncPath(this.disk('.'))
      found = await where()
    }
    const held = previous === undefined ? undefined : found.get(previous)
    if (held && held !== 'prev' && held !== 'active') {
      if (await exists(this.disk(SLOTS.prev))) await this.discard('prev')
      await rename(this.disk(SLOTS[held]), this.disk(SLOTS.prev))
    }
    await syncPath(this.disk('ssh.d'))
    await syncPath(this.disk('.'))
  }

  /** Write the journal through the shared writer (0600, the service user's), no backup left behind. */
  async writeJournal(journal: Journal, uid: number, gid: number): Promise<void> {
    const content = `${JSON.stringify(journal, null, 2)}\n`
    const plan = await planChanges(this.root, [
      {path: this.journalPath, content, mode: 0o600, owner: uid, group: gid},
    ])
    await applyPlan(this.root, plan)
    await rm(path.join(this.root, this.journalPath + BACKUP_SUFFIX), {force: true})
  }

  async readJournal(): Promise<Journal | undefined> {
    let text: string
    try {
      text = await readFile(path.join(this.root, this.journalPath), 'utf8')
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined
      throw error
    }
    try {
      const journal = JSON.parse(text) as Journal
      if (journal.version !== 1) throw new Error(`version ${String(journal.version)}`)
      return journal
    } catch (error) {
      throw new InputError(`${this.journalPath}: not a rotation journal (${(error as Error).message})`)
    }
  }

  async removeJournal(): Promise<void> {
    await rm(path.join(this.root, this.journalPath), {force: true})
    await rm(path.join(this.root, this.journalPath + BACKUP_SUFFIX), {force: true})
    await syncPath(this.disk('ssh.d'))
  }
}

/** The record of a rotation or rollback in progress (ssh.d/rotation.json); public keys only. */
export interface Journal {
  version: 1
  kind: 'rotate' | 'rollback'
  /**
   * stage/push/verify: the new key may be on some nodes, not yet active (undo);
   * swap: every node accepts it (finish); retire: it is active (remove the old lines).
   */
  phase: 'stage' | 'push' | 'swap' | 'retire'
  startedAt: string
  nodes: {host: string; port: number; label: string}[]
  authorizedKeys: string
  /** The line every node gets for the new key. */
  line: string
  /** The key being made active and the one it replaces (.pub lines). */
  newKey?: string
  oldKey: string
  /** Keys whose lines are removed from every node once the new key is active. */
  retire: string[]
  /** --keep-old: the retire step leaves them (a resumed run keeps to what the first run was told). */
  keepOld: boolean
}

async function exists(file: string): Promise<boolean> {
  try {
    await lstat(file)
    return true
  } catch {
    return false
  }
}

async function syncPath(file: string): Promise<void> {
  const handle = await open(file, constants.O_RDONLY | constants.O_DIRECTORY)
  try {
    await handle.sync()
  } finally {
    await handle.close()
  }
}
