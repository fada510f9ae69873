import {constants} from 'node:fs'
import {link, open, readFile, rm} from 'node:fs/promises'
import path from 'node:path'

import {InputError} from '../engine/errors.js'
import {readFileAt, UnsafePathError} from '../host/safe-open.js'

/** A lock holds a pid and a start time: anything larger is not one. */
const MAX_LOCK_BYTES = 4096

/**
 * The holder recorded in a lock file, read without following a symlink or blocking on a FIFO;
 * undefined when it is not a lock (that one is stale: it is removed, which never touches a target).
 */
async function readHolder(file: string, shownAs: string): Promise<Holder | undefined> {
  const dir = await open(path.dirname(file), constants.O_RDONLY | constants.O_DIRECTORY)
  try {
    const read = await readFileAt(dir, path.basename(file), shownAs, MAX_LOCK_BYTES)
    const holder = read && (JSON.parse(read.content.toString('utf8')) as unknown)
    return holder && typeof holder === 'object' ? (holder as Holder) : undefined
  } catch (error) {
    if (error instanceof UnsafePathError || error instanceof SyntaxError) return undefined
    throw error
  } finally {
    await dir.close()
  }
}

/** Who holds the lock: a process and when it started (its start time tells a reused pid apart). */
interface Holder {
  pid: number
  /** Field 22 of /proc/PID/stat: clock ticks after boot; empty when unknown. */
  start: string
}

async function startOf(pid: number): Promise<string | undefined> {
  try {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8')
    // The command name (field 2) is in parentheses and may hold spaces: count after its ")".
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]
  } catch {
    return undefined
  }
}

/** Whether the holder is still running (the same process, not a later one with its pid). */
async function alive(holder: Holder): Promise<boolean> {
  const start = await startOf(holder.pid)
  return start !== undefined && (holder.start === '' || holder.start === start)
}

export interface Lock {
  /** A stale lock of a run that died was found and taken over: its pid. */
  staleFrom?: number
  release(): Promise<void>
}

/**
 * Take the lock file (made whole, by link): a second run refuses while the first runs; a lock whose
 * process is gone (killed) is stale and taken over, and said so.
 */
export async function takeLock(file: string, shownAs: string): Promise<Lock> {
  let staleFrom: number | undefined
  for (let attempt = 0; attempt < 2; attempt++) {
    // The lock appears whole or not at all: written to a temporary file, then linked into place
    // (link fails if the lock exists), so no run ever reads a lock that is still empty.
    // O_EXCL|O_NOFOLLOW: in a directory the service user owns, a name planted there (a symlink to
    // a victim, a FIFO) is refused, never written through. A leftover of a killed run of ours is
    // removed first (unlink removes a symlink itself, never its target).
    const temp = `${file}.${process.pid}.tmp`
    const holder: Holder = {pid: process.pid, start: (await startOf(process.pid)) ?? ''}
    await rm(temp, {force: true})
    const flags = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW
    const handle = await open(temp, flags, 0o600).catch((error: unknown) => {
      throw new InputError(`${shownAs}: cannot create its temporary file: ${(error as Error).message}`)
    })
    try {
      await handle.writeFile(`${JSON.stringify(holder)}\n`)
      await handle.sync()
    } finally {
      await handle.close()
    }
    try {
      await link(temp, file)
      return {staleFrom, release: () => rm(file, {force: true})}
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error
    } finally {
      await rm(temp, {force: true})
    }
    const found = await readHolder(file, shownAs)
    if (found && typeof found.pid === 'number' && (await alive(found)))
      throw new InputError(`${shownAs}: another rotate-keys run (pid ${found.pid}) holds the lock`)
    staleFrom = found?.pid
    await rm(file, {force: true})
  }
  throw new InputError(`${shownAs}: the lock was taken by another run while a stale one was removed`)
}
