import {randomBytes} from 'node:crypto'
import {constants} from 'node:fs'
import {chown, type FileHandle, lstat, mkdir, open, readdir, rename, rm} from 'node:fs/promises'
import path from 'node:path'

import {InputError} from '../engine/errors.js'
import {openDirAt, openRoot, readFileAt, UnsafePathError, walkDir} from '../host/safe-open.js'
import {type PublicKey} from '../parsers/authorized-keys.js'
import {applyPlan, BACKUP_SUFFIX, planChanges, WriteError} from '../render/writer.js'
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

/** A .pub line or a journal is small: anything larger is not one (and is not read whole). */
const MAX_PUBLIC_KEY_BYTES = 64 * 1024
const MAX_JOURNAL_BYTES = 1024 * 1024

/**
 * The key directories of one proxy under a root, and the journal and lock beside them.
 *
 * The service user owns the proxy's state directory, so every path in it is one that user can
 * change under us. The key directory is opened once, from the root down (src/host/safe-open.ts:
 * a symlink root owns is followed inside the root, one any other user owns is refused), and every
 * later path is taken relative to that descriptor (`/proc/PID/fd/N/...`, which ssh-keygen, a child,
 * can open too); files are read without following a symlink, never blocking on a FIFO, size-capped.
 */
export class KeyStore {
  private handle?: Promise<FileHandle>
  private base?: string
  /** ssh.d, opened once too (through the key directory's descriptor, never through a symlink). */
  private state?: FileHandle

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

  /** Where a path relative to the key directory is on this machine: under its open descriptor once opened. */
  disk(relative: string): string {
    if (this.base === undefined) return path.join(this.root, this.hostPath(relative))
    if (relative !== 'ssh.d' && !relative.startsWith('ssh.d/')) return path.join(this.base, relative)
    // Never ssh.d by its name once opened: the service user could have swapped it for a symlink.
    if (!this.state) throw new Error(`${this.hostPath('ssh.d')}: used before it was opened`)
    return path.join(`/proc/${process.pid}/fd/${this.state.fd}`, relative.slice('ssh.d'.length))
  }

  /** Open ssh.d once, without following a symlink; false when it does not exist. */
  private async openState(): Promise<boolean> {
    await this.open()
    if (this.state) return true
    const keyDir = await this.handle!
    const shown = this.hostPath('ssh.d')
    this.state = await openDirAt(keyDir, 'ssh.d', shown).catch((error: unknown) => {
      if (error instanceof UnsafePathError) throw new InputError(`${shown}: refusing it: ${error.message}`)
      throw error
    })
    return this.state !== undefined
  }

  /** Open the key directory once (see the class comment); bad input when it is not a safe directory. */
  private async open(): Promise<void> {
    this.handle ??= (async () => {
      const rootDir = await openRoot(this.root)
      try {
        const walked = await walkDir(rootDir, this.keyDir, 'root-owned').catch((error: unknown) => {
          if (error instanceof UnsafePathError) throw new InputError(`${this.keyDir}: ${error.message}`)
          throw error
        })
        if (walked.missing.length > 0) {
          await walked.handle.close()
          throw new InputError(`${this.keyDir}: no such directory under --root`)
        }
        this.base = `/proc/${process.pid}/fd/${walked.handle.fd}`
        return walked.handle
      } finally {
        await rootDir.close()
      }
    })()
    await this.handle
  }

  /** Close the key directory's descriptor (paths are then taken from the root again). */
  async close(): Promise<void> {
    const handle = await this.handle?.catch(() => undefined)
    this.handle = undefined
    this.base = undefined
    await this.state?.close()
    this.state = undefined
    await handle?.close()
  }

  /**
   * The regular file at `relative` (inside the key directory), read through descriptors that never
   * follow a symlink; undefined when it or a directory on the way is missing. A symlink, FIFO or
   * oversized file there is bad input, named without its content.
   */
  private async readSmall(relative: string, maxBytes: number): Promise<Buffer | undefined> {
    await this.open()
    const handle = await this.handle!
    const shown = this.hostPath(relative)
    try {
      const walked = await walkDir(handle, path.posix.dirname(`/${relative}`))
      try {
        if (walked.missing.length > 0) return undefined
        return (await readFileAt(walked.handle, path.posix.basename(relative), shown, maxBytes))?.content
      } finally {
        await walked.handle.close()
      }
    } catch (error) {
      if (error instanceof UnsafePathError) {
        throw new InputError(
          `${shown}: refusing to read it: ${error.message.replace(`${error.component} `, '')}`,
        )
      }
      throw error
    }
  }

  get journalPath(): string {
    return this.hostPath('ssh.d/rotation.json')
  }

  get lockPath(): string {
    return this.disk(LOCK_FILE)
  }

  /** The key in a slot; undefined when the slot is empty or holds no readable public key. */
  async read(slot: Slot): Promise<SlotKey | undefined> {
    await this.open()
    if (slot !== 'active' && !(await this.openState())) return undefined
    const dir = this.disk(SLOTS[slot])
    try {
      const st = await lstat(dir)
      if (!st.isDirectory()) return undefined
      await lstat(path.join(dir, KEY_FILE))
      const pub = await this.readSmall(`${SLOTS[slot]}/${KEY_FILE}.pub`, MAX_PUBLIC_KEY_BYTES)
      if (!pub) return undefined
      const publicLine = pub.toString('utf8').trim()
      const key = readPublicKey(publicLine)
      return key ? {slot, key, publicLine} : undefined
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined
      throw error
    }
  }

  /** Refuse a --key-dir that is not a directory (before the lock is taken in it). */
  async checkKeyDir(): Promise<void> {
    await this.open()
  }

  /** The active key, which must be there: bad input otherwise. */
  async active(): Promise<SlotKey & {uid: number; gid: number}> {
    await this.open()
    const found = await this.read('active')
    const file = this.hostPath(`${SLOTS.active}/${KEY_FILE}`)
    if (!found) throw new InputError(`${file}: no active key (with its .pub) to rotate`)
    const st = await lstat(this.disk(`${SLOTS.active}/${KEY_FILE}`))
    return {...found, uid: st.uid, gid: st.gid}
  }

  /** Make ssh.d (0700, the service user's) when missing; refuse anything but a directory there. */
  async ensureStateDir(uid: number, gid: number): Promise<void> {
    if (await this.openState()) return
    const dir = path.join(this.base!, 'ssh.d')
    await mkdir(dir, {mode: 0o700})
    if (!(await this.openState())) throw new Error(`${this.hostPath('ssh.d')}: disappeared once made`)
    // Through the descriptor: whatever is at the name now, the directory made is what is handed over.
    await this.state!.chown(uid, gid)
  }

  /**
   * A new key pair in ssh.d/next: made by ssh-keygen in a fresh 0700 directory beside it (the
   * private key is 0600 from its creation and never readable by anyone but root and then the
   * service user), handed to the service user, then renamed into place whole.
   */
  async stage(uid: number, gid: number, timeoutMs: number): Promise<SlotKey> {
    if (!(await this.openState())) throw new Error(`${this.hostPath('ssh.d')}: missing`)
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
    if (slot !== 'active' && !(await this.openState())) return
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
    if (!(await this.openState())) throw new Error(`${this.hostPath('ssh.d')}: missing`)
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
    await this.openState()
    const content = `${JSON.stringify(journal, null, 2)}\n`
    // Through the key directory's descriptor, as if it were the root: the writer walks from there.
    // Its messages name paths from there too: put the key directory back in front of them.
    const base = this.disk('.')
    try {
      const plan = await planChanges(base, [
        {path: '/ssh.d/rotation.json', content, mode: 0o600, owner: uid, group: gid},
      ])
      await applyPlan(base, plan)
    } catch (error) {
      if (!(error instanceof WriteError)) throw error
      const message = error.message.replaceAll(' /ssh.d', ` ${this.keyDir}/ssh.d`)
      throw new WriteError(this.journalPath, message, {cause: error.cause})
    }
    if (await this.openState()) await rm(this.disk(`ssh.d/rotation.json${BACKUP_SUFFIX}`), {force: true})
  }

  /** The journal; its content never appears in a message (it may be a link to anything, or garbage). */
  async readJournal(): Promise<Journal | undefined> {
    const content = await this.readSmall('ssh.d/rotation.json', MAX_JOURNAL_BYTES)
    if (!content) return undefined
    let journal: Journal
    try {
      journal = JSON.parse(content.toString('utf8')) as Journal
    } catch {
      throw new InputError(`${this.journalPath}: not a rotation journal (not JSON)`)
    }
    if (typeof journal !== 'object' || journal === null || journal.version !== 1) {
      const version = typeof journal?.version === 'number' ? `version ${journal.version}` : 'no version 1'
      throw new InputError(`${this.journalPath}: not a rotation journal (${version})`)
    }
    return journal
  }

  async removeJournal(): Promise<void> {
    if (!(await this.openState())) return
    await rm(this.disk('ssh.d/rotation.json'), {force: true})
    await rm(this.disk(`ssh.d/rotation.json${BACKUP_SUFFIX}`), {force: true})
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
