import {constants} from 'node:fs'
import {open, readFile, rm} from 'node:fs/promises'

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
 * Take the lock file (O_CREAT|O_EXCL): a second run refuses while the first runs; a lock whose
 * process is gone (killed) is stale and taken over, and said so.
 */
export async function takeLock(file: string, shownAs: string): Promise<Lock> {
  let staleFrom: number | undefined
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const handle = await open(file, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, 0o600)
      const holder: Holder = {pid: process.pid, start: (await startOf(process.pid)) ?? ''}
      await handle.writeFile(`${JSON.stringify(holder)}\n`)
      await handle.sync()
      await handle.close()
      return {staleFrom, release: () => rm(file, {force: true})}
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error
    }
    let holder: Holder | undefined
    try {
      holder = JSON.parse(await readFile(file, 'utf8')) as Holder
    } catch {
      holder = undefined
    }
    if (holder && typeof holder.pid === 'number' && (await alive(holder)))
      throw new InputError(`${shownAs}: another rotate-keys run (pid ${holder.pid}) holds the lock`)
    staleFrom = holder?.pid
    await rm(file, {force: true})
  }
  throw new InputError(`${shownAs}: the lock was taken by another run while a stale one was removed`)
}
