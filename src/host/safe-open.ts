import {constants} from 'node:fs'
import {type FileHandle, lstat, open, readlink} from 'node:fs/promises'
import path from 'node:path'

/**
 * Opening paths that a user who is not root can influence (their ~/.pcp, the proxy's state
 * directory its service user owns), for writers and for rotate-keys alike. Every directory is
 * opened once, from the root down, with O_DIRECTORY|O_NOFOLLOW, and everything after that works
 * relative to the open directory through `/proc/self/fd/N/NAME`: Linux resolves that magic link to
 * the directory the descriptor holds, whatever has been renamed, swapped or symlinked in its place
 * since. Node has no openat(2) or renameat(2); these paths give open, mkdir, rename (both names
 * under one descriptor), unlink and readdir the same guarantee. A path is never resolved twice.
 */

/** Flags that open a directory without following a symlink in its last component. */
export const DIR_FLAGS = constants.O_RDONLY | constants.O_DIRECTORY | constants.O_NOFOLLOW

/** The path of `name` inside an open directory (the directory itself without a name). */
export function at(dir: FileHandle, name?: string): string {
  return name === undefined ? `/proc/self/fd/${dir.fd}` : `/proc/self/fd/${dir.fd}/${name}`
}

/** Why a path is refused: a symlink, a non-directory on the way, or not a regular file at the end. */
export type UnsafeReason = 'symlink' | 'not-dir' | 'changed' | 'not-file' | 'too-large' | 'link-loop'

/** A refusal to open a host path; `component` is the host path of the entry that was refused. */
export class UnsafePathError extends Error {
  override name = 'UnsafePathError'

  constructor(
    readonly reason: UnsafeReason,
    readonly component: string,
    message: string,
  ) {
    super(message)
  }
}

function codeOf(error: unknown): string | undefined {
  return (error as NodeJS.ErrnoException).code
}

/** Open the root directory itself (--root may be a symlink: that is the caller's choice, not a user's). */
export function openRoot(root: string): Promise<FileHandle> {
  return open(path.resolve(root), constants.O_RDONLY | constants.O_DIRECTORY)
}

/**
 * Open the entry `name` of `dir` as a directory, never following a symlink; undefined when it is
 * missing. A symlink or anything but a directory is refused (UnsafePathError naming `hostPath`).
 */
export async function openDirAt(
  dir: FileHandle,
  name: string,
  hostPath: string,
): Promise<FileHandle | undefined> {
  try {
    return await open(at(dir, name), DIR_FLAGS)
  } catch (error) {
    const code = codeOf(error)
    if (code === 'ENOENT') return undefined
    if (code !== 'ELOOP' && code !== 'ENOTDIR') throw error
    // ELOOP: it was a symlink when opened. ENOTDIR: a symlink or not a directory, so look again.
    const st = await lstat(at(dir, name)).catch(() => undefined)
    if (code === 'ELOOP' || st?.isSymbolicLink()) {
      throw new UnsafePathError('symlink', hostPath, `${hostPath} is a symlink`)
    }
    if (st?.isDirectory()) {
      throw new UnsafePathError('changed', hostPath, `${hostPath} changed while it was being opened`)
    }
    throw new UnsafePathError('not-dir', hostPath, `${hostPath} is not a directory`)
  }
}

/**
 * How a symlink on the way is treated: `refuse` every one (writers), or follow one that root owns,
 * resolved inside the root as the machine itself would see it (rotate-keys reads a live host's
 * state), and refuse one that any other user owns: that user could point it anywhere.
 */
export type LinkPolicy = 'refuse' | 'root-owned'

/** Links followed in one walk before it is called a loop (Linux's own limit is 40). */
const MAX_LINKS = 40

export interface Walked {
  /** The deepest directory opened: the one asked for when `missing` is empty. */
  handle: FileHandle
  /** Its host path (after following root-owned links). */
  hostPath: string
  /** The components below it that do not exist, outermost first, as host paths. */
  missing: string[]
}

function components(hostPath: string): string[] {
  return hostPath.split('/').filter((part) => part !== '')
}

/**
 * Open the host directory `hostDir` under the open root, one component at a time. Stops at the
 * first missing component (see `missing`). The caller closes `handle` (which is never `rootDir`).
 */
export async function walkDir(
  rootDir: FileHandle,
  hostDir: string,
  links: LinkPolicy = 'refuse',
): Promise<Walked> {
  let pending = components(hostDir)
  let current = await open(at(rootDir), constants.O_RDONLY | constants.O_DIRECTORY)
  let done: string[] = []
  let followed = 0
  try {
    while (pending.length > 0) {
      const [name = '', ...rest] = pending
      const hostPath = '/' + [...done, name].join('/')
      let next: FileHandle | undefined
      try {
        next = name === '..' || name === '.' ? undefined : await openDirAt(current, name, hostPath)
      } catch (error) {
        if (!(error instanceof UnsafePathError) || error.reason !== 'symlink' || links === 'refuse')
          throw error
        const st = await lstat(at(current, name))
        if (st.uid !== 0) {
          throw new UnsafePathError('symlink', hostPath, `${hostPath} is a symlink owned by uid ${st.uid}`)
        }
        if (++followed > MAX_LINKS)
          throw new UnsafePathError('link-loop', hostPath, `${hostPath}: too many symlinks`)
        const target = await readlink(at(current, name))
        const base = target.startsWith('/') ? [] : done
        // Resolved as inside a chroot: `..` at the root stays at the root, so no link leads out.
        const resolved = path.posix.normalize('/' + [...base, target].join('/'))
        pending = [...components(resolved), ...rest]
        done = []
        await current.close()
        current = await open(at(rootDir), constants.O_RDONLY | constants.O_DIRECTORY)
        continue
      }
      if (name === '.' || name === '..') {
        // Only reached through a followed link's target after normalising, which removes both.
        pending = rest
        continue
      }
      if (!next) {
        const missing = pending.map((_, index) => '/' + [...done, ...pending.slice(0, index + 1)].join('/'))
        return {handle: current, hostPath: '/' + done.join('/'), missing}
      }
      await current.close()
      current = next
      done = [...done, name]
      pending = rest
    }
    return {handle: current, hostPath: '/' + done.join('/'), missing: []}
  } catch (error) {
    await current.close()
    throw error
  }
}

/** A regular file read through a descriptor, with what fstat said of it. */
export interface ReadFile {
  content: Buffer
  mode: number
  uid: number
  gid: number
  dev: number
  ino: number
}

/**
 * Read the regular file `name` in an open directory: never through a symlink (O_NOFOLLOW), never
 * blocking on a FIFO (O_NONBLOCK, then only a regular file is read), at most `maxBytes`.
 * Undefined when it is missing; UnsafePathError (naming `hostPath`) for anything else.
 */
export async function readFileAt(
  dir: FileHandle,
  name: string,
  hostPath: string,
  maxBytes: number,
): Promise<ReadFile | undefined> {
  let handle: FileHandle
  try {
    handle = await open(at(dir, name), constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK)
  } catch (error) {
    if (codeOf(error) === 'ENOENT') return undefined
    if (codeOf(error) === 'ELOOP') throw new UnsafePathError('symlink', hostPath, `${hostPath} is a symlink`)
    throw error
  }
  try {
    const st = await handle.stat()
    if (!st.isFile()) throw new UnsafePathError('not-file', hostPath, `${hostPath} is not a regular file`)
    if (st.size > maxBytes) {
      throw new UnsafePathError('too-large', hostPath, `${hostPath} is larger than ${maxBytes} bytes`)
    }
    const content = await handle.readFile()
    if (content.length > maxBytes) {
      throw new UnsafePathError('too-large', hostPath, `${hostPath} is larger than ${maxBytes} bytes`)
    }
    return {content, mode: st.mode & 0o7777, uid: st.uid, gid: st.gid, dev: st.dev, ino: st.ino}
  } finally {
    await handle.close()
  }
}

/**
 * Read the regular file at a host path under `root`, resolving its directories once (see walkDir)
 * and refusing a symlink as the file itself. Undefined when the file or a directory is missing.
 */
export async function readUnder(
  root: string,
  hostPath: string,
  options: {links?: LinkPolicy; maxBytes: number},
): Promise<ReadFile | undefined> {
  const rootDir = await openRoot(root)
  try {
    const walked = await walkDir(rootDir, path.posix.dirname(hostPath), options.links)
    try {
      if (walked.missing.length > 0) return undefined
      return await readFileAt(walked.handle, path.posix.basename(hostPath), hostPath, options.maxBytes)
    } finally {
      await walked.handle.close()
    }
  } finally {
    await rootDir.close()
  }
}
