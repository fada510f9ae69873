import {mkdtempSync, rmSync} from 'node:fs'
import {rm} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import path from 'node:path'

/** Scratch directories in use, removed if the process is interrupted (SIGINT, SIGTERM). */
const live = new Set<string>()
const SIGNALS = ['SIGINT', 'SIGTERM'] as const

function onSignal(signal: NodeJS.Signals): void {
  for (const dir of live) rmSync(dir, {recursive: true, force: true})
  live.clear()
  for (const s of SIGNALS) process.removeListener(s, onSignal)
  // Die of the signal as if it had not been caught (exit status 128 + its number).
  process.kill(process.pid, signal)
}

/**
 * A new private directory under the system's temporary directory (TMPDIR), for files handed to
 * another program (systemd-analyze, pmcd -v). Pair it with removeScratchDir in a finally; if
 * the process is killed by SIGINT or SIGTERM meanwhile, the directory is removed before it dies.
 */
export function makeScratchDir(prefix: string): string {
  // Listen first: a signal is handled on a later turn of the event loop, when the set holds the dir.
  if (live.size === 0) for (const s of SIGNALS) process.on(s, onSignal)
  let dir: string
  try {
    dir = mkdtempSync(path.join(tmpdir(), prefix))
  } catch (error) {
    if (live.size === 0) for (const s of SIGNALS) process.removeListener(s, onSignal)
    throw error
  }
  live.add(dir)
  return dir
}

export async function removeScratchDir(dir: string): Promise<void> {
  live.delete(dir)
  if (live.size === 0) for (const s of SIGNALS) process.removeListener(s, onSignal)
  await rm(dir, {recursive: true, force: true})
}
