import {constants} from 'node:fs'
import {link, open, readFile, rm} from 'node:fs/promises'

import {InputError} from '../engine/errors.js'

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
    const temp = `${file}.${process.pid}.tmp`
    const holder: Holder = {pid: process.pid, start: (await startOf(process.pid)) ?? ''}
    const handle = await open(temp, constants.O_WRONLY | constants.O_CREAT | constants.O_TRUNC, 0o600)
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
    let found: Holder | undefined
    try {
      found = JSON.parse(await readFile(file, 'utf8')) as Holder
    } catch {
      found = undefined
    }
    if (found && typeof found.pid === 'number' && (await alive(found)))
      throw new InputError(`${shownAs}: another rotate-keys run (pid ${found.pid}) holds the lock`)
    staleFrom = found?.pid
    await rm(file, {force: true})
  }
  throw new InputError(`${shownAs}: the lock was taken by another run while a stale one was removed`)
}
