import {readdirSync, readFileSync, readlinkSync} from 'node:fs'
import path from 'node:path'

/**
 * The running machine's process table and sockets as /proc shows them. Behind an interface so
 * that a test can give fixture files (a directory laid out like /proc) to the same reader.
 */
export interface ProcSource {
  /** Shown in messages: `/proc`, or the fixture directory. */
  readonly description: string
  /** A file under /proc (`net/tcp`, `123/cmdline`), or undefined when it cannot be read. */
  read(relative: string): Buffer | undefined
  /** The names in a directory under /proc (`''` for /proc itself), empty when unreadable. */
  list(relative: string): string[]
  /** Where a symbolic link under /proc points (`123/fd/4` -> `socket:[5678]`). */
  link(relative: string): string | undefined
}

/** Largest /proc file read (a cmdline or environ is at most a few pages; /proc/net/tcp grows with sockets). */
const MAX_PROC_FILE = 16 * 1024 * 1024

/** A directory laid out like /proc: the real one, or a fixture. */
export class DirProc implements ProcSource {
  readonly description: string

  constructor(readonly dir: string) {
    this.description = dir
  }

  read(relative: string): Buffer | undefined {
    try {
      const data = readFileSync(path.join(this.dir, relative))
      return data.length > MAX_PROC_FILE ? data.subarray(0, MAX_PROC_FILE) : data
    } catch {
      return undefined
    }
  }

  list(relative: string): string[] {
    try {
      return readdirSync(path.join(this.dir, relative))
    } catch {
      return []
    }
  }

  link(relative: string): string | undefined {
    try {
      return readlinkSync(path.join(this.dir, relative))
    } catch {
      return undefined
    }
  }
}

/** This machine's /proc. */
export const SYSTEM_PROC: ProcSource = new DirProc('/proc')
