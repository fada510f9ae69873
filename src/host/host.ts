import path from 'node:path'

import {DiskBackend, type FsBackend, type RawStat} from './backend.js'
import {type Account, type AccountDb, parseGroup, parsePasswd} from './accounts.js'

export type {FileType, RawStat} from './backend.js'

/** The outcome of looking a path up: found, absent, or not decidable (denied, loop...). */
export type Lookup<T> =
  | {ok: true; value: T}
  | {ok: false; missing: true; message: string}
  | {ok: false; missing: false; message: string}

export interface FileStat extends RawStat {
  /** The host path that was looked up. */
  path: string
  /** The host path after resolving symlinks in its directories (and the last one when followed). */
  resolved: string
}

const MAX_LINK_HOPS = 40

/**
 * Texts at least this long are kept once read: several checks read the same large file (three
 * analyses read a 100,000-line authorized_keys), and one copy costs less than three at once
 * (bench/memory.js). Small files are read again, which costs less than keeping them all.
 */
const KEPT_TEXT_LENGTH = 1 << 20

function errnoOf(error: unknown): string | undefined {
  return typeof error === 'object' && error !== null && 'code' in error ? String(error.code) : undefined
}

function failure<T>(hostPath: string, error: unknown): Lookup<T> {
  const code = errnoOf(error)
  if (code === 'ENOENT' || code === 'ENOTDIR')
    return {ok: false, missing: true, message: `${hostPath}: not found`}
  if (code === 'EACCES' || code === 'EPERM')
    return {ok: false, missing: false, message: `${hostPath}: permission denied`}
  if (code === 'ELOOP')
    return {ok: false, missing: false, message: `${hostPath}: too many levels of symbolic links`}
  if (code === 'EISDIR') return {ok: false, missing: false, message: `${hostPath}: is a directory`}
  const text = error instanceof Error ? error.message : String(error)
  return {ok: false, missing: false, message: `${hostPath}: ${text}`}
}

class LookupError extends Error {
  constructor(readonly code: string) {
    super(code)
  }
}

/** Normalise to an absolute host path: `etc//pcp/../pcp` -> `/etc/pcp`. */
export function hostPath(p: string): string {
  return path.posix.normalize(path.posix.join('/', p))
}

/**
 * The view of one machine under --root. Every read of a check goes through it.
 * Symlinks are resolved as a chroot would: an absolute target starts again at the root and
 * `..` stops at the root, so nothing outside the root is ever read.
 * Results are cached: one Host is one snapshot of the machine.
 */
export class Host {
  private readonly stats = new Map<string, Promise<RawStat>>()
  private readonly largeTexts = new Map<string, string>()
  /** Directories already resolved (host path -> resolved path of an existing directory). */
  private readonly dirs = new Map<string, string>()
  private accountDb?: Promise<AccountDb>

  constructor(readonly backend: FsBackend) {}

  /** Whether this is the running machine itself (root `/`), whose resolver and services may be asked. */
  get live(): boolean {
    return this.backend instanceof DiskBackend && this.backend.root === '/'
  }

  /** The raw lstat of a path with no symlink in it, cached. */
  private rawLstat(resolvedPath: string): Promise<RawStat> {
    let pending = this.stats.get(resolvedPath)
    if (!pending) {
      pending = this.backend.lstat(resolvedPath)
      pending.catch(() => undefined)
      this.stats.set(resolvedPath, pending)
    }
    return pending
  }

  /**
   * Resolve symlinks inside the root; the last component is followed only when asked. A path
   * whose directory was resolved before (the configs of one directory, the files of /etc) costs
   * one lookup of its last component; a last component that is a symlink, or a directory that
   * does not resolve to a directory, takes the full walk, which says why.
   */
  private async resolvePath(p: string, followLast: boolean): Promise<string> {
    const wanted = hostPath(p)
    const slash = wanted.lastIndexOf('/')
    const name = wanted.slice(slash + 1)
    if (slash > 0 && name !== '') {
      const parent = await this.resolvedDir(wanted.slice(0, slash))
      if (parent !== undefined) {
        const candidate = parent === '/' ? `/${name}` : `${parent}/${name}`
        if (!followLast) return candidate
        let st: RawStat
        try {
          st = await this.rawLstat(candidate)
        } catch (error) {
          if (errnoOf(error) === 'ENOENT') return candidate
          return this.walk(wanted, followLast)
        }
        if (st.type !== 'symlink') return candidate
      }
    }
    return this.walk(wanted, followLast)
  }

  /** Where a directory resolves to, when it is one (cached); undefined when the full walk must say why not. */
  private async resolvedDir(dir: string): Promise<string | undefined> {
    const known = this.dirs.get(dir)
    if (known !== undefined) return known
    try {
      const resolved = await this.walk(dir, true)
      if ((await this.rawLstat(resolved)).type !== 'dir') return undefined
      this.dirs.set(dir, resolved)
      return resolved
    } catch {
      return undefined
    }
  }

  /**
   * The full walk: each component looked up in turn, symlinks followed inside the root. The path
   * resolved so far is kept as one string (each component appended, `..` cut back to the last
   * slash), so a lookup allocates one string per component rather than a joined copy of them all.
   */
  private async walk(p: string, followLast: boolean): Promise<string> {
    const queue = hostPath(p).split('/').filter(Boolean)
    let resolved = ''
    let hops = 0
    while (queue.length > 0) {
      const name = queue.shift() as string
      if (name === '.') continue
      if (name === '..') {
        resolved = resolved.slice(0, Math.max(0, resolved.lastIndexOf('/')))
        continue
      }
      const candidate = `${resolved}/${name}`
      const last = queue.length === 0
      if (last && !followLast) {
        resolved = candidate
        break
      }
      let st: RawStat
      try {
        st = await this.rawLstat(candidate)
      } catch (error) {
        if (last && errnoOf(error) === 'ENOENT') {
          resolved = candidate
          break
        }
        throw error
      }
      if (st.type === 'symlink') {
        if (++hops > MAX_LINK_HOPS) throw new LookupError('ELOOP')
        const target = await this.backend.readlink(candidate)
        if (target.startsWith('/')) resolved = ''
        queue.unshift(...target.split('/').filter(Boolean))
        continue
      }
      if (!last && st.type !== 'dir') throw new LookupError('ENOTDIR')
      resolved = candidate
    }
    return resolved === '' ? '/' : resolved
  }

  /**
   * lstat a host path: symlinks in its directories are resolved inside the root, the last
   * component is not followed unless `follow` is set.
   */
  async stat(p: string, options: {follow?: boolean} = {}): Promise<Lookup<FileStat>> {
    const wanted = hostPath(p)
    try {
      const resolved = await this.resolvePath(wanted, options.follow ?? false)
      const st = await this.rawLstat(resolved)
      return {ok: true, value: {...st, path: wanted, resolved}}
    } catch (error) {
      return failure(wanted, error)
    }
  }

  /** Where a symlink points, as written in the link. */
  async readlink(p: string): Promise<Lookup<string>> {
    const wanted = hostPath(p)
    try {
      const resolved = await this.resolvePath(wanted, false)
      return {ok: true, value: await this.backend.readlink(resolved)}
    } catch (error) {
      return failure(wanted, error)
    }
  }

  /** A file's content as UTF-8 text, following symlinks inside the root. */
  async readText(p: string): Promise<Lookup<string>> {
    const wanted = hostPath(p)
    try {
      const resolved = await this.resolvePath(wanted, true)
      const kept = this.largeTexts.get(resolved)
      if (kept !== undefined) return {ok: true, value: kept}
      const text = (await this.backend.readFile(resolved)).toString('utf8')
      if (text.length >= KEPT_TEXT_LENGTH) this.largeTexts.set(resolved, text)
      return {ok: true, value: text}
    } catch (error) {
      return failure(wanted, error)
    }
  }

  /** The names in a directory, sorted; following symlinks inside the root. */
  async list(p: string): Promise<Lookup<string[]>> {
    const wanted = hostPath(p)
    try {
      const resolved = await this.resolvePath(wanted, true)
      return {ok: true, value: await this.backend.readdir(resolved)}
    } catch (error) {
      return failure(wanted, error)
    }
  }

  /** Whether anything (a dangling symlink included) is at this path. */
  async exists(p: string): Promise<boolean> {
    return (await this.stat(p)).ok
  }

  /**
   * Why `user` could not read this file, or undefined when it could: a daemon that reads a user's
   * file with the user's rights (sshd and authorized_keys) never sees a file the user cannot read,
   * so neither may we, whatever a symlink the user planted points at. Checks search permission on
   * every directory of the resolved path and read permission on the file, by owner, group
   * (primary and supplementary, from the root's databases) and other bits. Root reads everything.
   */
  async unreadableBy(p: string, user: {name: string; id: number; gid?: number}): Promise<string | undefined> {
    if (user.id === 0) return undefined
    const st = await this.stat(p, {follow: true})
    if (!st.ok) return undefined
    const db = await this.accounts()
    const gids = new Set([
      ...(user.gid === undefined ? [] : [user.gid]),
      ...db.groups.filter((g) => g.members?.includes(user.name)).map((g) => g.id),
    ])
    const allowed = (s: RawStat, bit: number) =>
      s.uid === user.id
        ? (s.mode & (bit << 6)) !== 0
        : gids.has(s.gid)
          ? (s.mode & (bit << 3)) !== 0
          : (s.mode & bit) !== 0
    const parts = st.value.resolved.split('/').filter(Boolean)
    // From the first directory below the root: the --root directory of an image (a temporary
    // directory, often 0700) stands for a / that every user may search.
    for (let i = 1; i < parts.length; i++) {
      const dir = '/' + parts.slice(0, i).join('/')
      const d = await this.rawLstat(dir).catch(() => undefined)
      if (d && !allowed(d, 1))
        return `${hostPath(p)}: ${user.name} cannot reach it (it resolves to ${st.value.resolved}, and ${user.name} may not search ${dir}): sshd, reading as ${user.name}, does not read it either`
    }
    if (!allowed(st.value, 4))
      return `${hostPath(p)}: ${user.name} cannot read it (it resolves to ${st.value.resolved}, mode ${st.value.mode.toString(8).padStart(4, '0')} ${await this.ownerOf(st.value)}): sshd, reading as ${user.name}, does not read it either`
    return undefined
  }

  /** Users and groups from the root's /etc/passwd and /etc/group (empty when absent). */
  accounts(): Promise<AccountDb> {
    this.accountDb ??= (async () => {
      const passwd = await this.readText('/etc/passwd')
      const group = await this.readText('/etc/group')
      return {
        users: passwd.ok ? parsePasswd(passwd.value) : [],
        groups: group.ok ? parseGroup(group.value) : [],
      }
    })()
    return this.accountDb
  }

  async user(name: string): Promise<Account | undefined> {
    return (await this.accounts()).users.find((u) => u.name === name)
  }

  /** `user:group` of a stat, with names from the root's databases, numbers when unknown. */
  async ownerOf(st: {uid: number; gid: number}): Promise<string> {
    const db = await this.accounts()
    // Id 0 is root on every Linux, whether or not the root's passwd says so.
    const user = db.users.find((u) => u.id === st.uid)?.name ?? (st.uid === 0 ? 'root' : String(st.uid))
    const group = db.groups.find((g) => g.id === st.gid)?.name ?? (st.gid === 0 ? 'root' : String(st.gid))
    return `${user}:${group}`
  }
}
