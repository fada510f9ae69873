import {
  closeSync,
  constants,
  fstatSync,
  lstatSync,
  openSync,
  readdirSync,
  readFileSync,
  readlinkSync,
} from 'node:fs'
import path from 'node:path'

import {READ_LIMIT, tooLargeText} from '../parsers/limits.js'

export type FileType = 'file' | 'dir' | 'symlink' | 'socket' | 'fifo' | 'char' | 'block'

/** What lstat(2) says of one directory entry, without following it. */
export interface RawStat {
  type: FileType
  /** Permission bits including setuid, setgid and sticky (mode & 0o7777). */
  mode: number
  uid: number
  gid: number
  size: number
  mtimeMs: number
}

/**
 * Raw access to a machine's files by host path (absolute, normalised, with no symlink in it
 * but possibly the last component). Failures throw errors with a Node `code` (ENOENT, EACCES...).
 * The Host above it resolves symlinks inside the root; a backend never follows one itself.
 */
export interface FsBackend {
  /** Shown in messages: the directory the host lives in, or a description. */
  readonly description: string
  lstat(hostPath: string): Promise<RawStat>
  readlink(hostPath: string): Promise<string>
  readFile(hostPath: string): Promise<Buffer>
  readdir(hostPath: string): Promise<string[]>
}

/** What a file type is called in a sentence: "not a regular file (a FIFO)". */
export const KIND_NAMES: Record<FileType, string> = {
  file: 'a regular file',
  dir: 'a directory',
  symlink: 'a symbolic link',
  socket: 'a socket',
  fifo: 'a FIFO',
  char: 'a character device',
  block: 'a block device',
}

export function typeOf(st: import('node:fs').Stats): FileType {
  if (st.isSymbolicLink()) return 'symlink'
  if (st.isDirectory()) return 'dir'
  if (st.isSocket()) return 'socket'
  if (st.isFIFO()) return 'fifo'
  if (st.isCharacterDevice()) return 'char'
  if (st.isBlockDevice()) return 'block'
  return 'file'
}

/**
 * The real file system under a root directory. Its calls are synchronous behind the async
 * interface: an audit reads many small files (1,000 container configs, see bench/scale.js), and
 * each trip through libuv's thread pool costs more than the read itself.
 */
export class DiskBackend implements FsBackend {
  readonly description: string

  constructor(readonly root: string) {
    this.description = root
  }

  /** Where a host path lives on this machine. */
  local(hostPath: string): string {
    return path.join(this.root, hostPath)
  }

  async lstat(hostPath: string): Promise<RawStat> {
    const st = lstatSync(this.local(hostPath))
    return {
      type: typeOf(st),
      mode: st.mode & 0o7777,
      uid: st.uid,
      gid: st.gid,
      size: st.size,
      mtimeMs: st.mtimeMs,
    }
  }

  async readlink(hostPath: string): Promise<string> {
    return readlinkSync(this.local(hostPath))
  }

  async readFile(hostPath: string): Promise<Buffer> {
    // O_NOFOLLOW: the Host resolved every link already; a link that appears now is a race we refuse.
    // O_NONBLOCK: opening a FIFO planted in an image must not hang the audit; only a regular file
    // is read (a device such as /dev/zero would never end).
    const fd = openSync(
      this.local(hostPath),
      constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK,
    )
    try {
      const st = fstatSync(fd)
      if (st.isDirectory()) throw Object.assign(new Error('is a directory'), {code: 'EISDIR'})
      if (!st.isFile()) throw new Error(`not a regular file (${KIND_NAMES[typeOf(st)]})`)
      if (st.size > READ_LIMIT) throw new Error(tooLargeText(st.size, READ_LIMIT))
      return readFileSync(fd)
    } finally {
      closeSync(fd)
    }
  }

  async readdir(hostPath: string): Promise<string[]> {
    return readdirSync(this.local(hostPath)).sort()
  }
}
