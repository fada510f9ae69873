import {randomBytes} from 'node:crypto'
import {constants} from 'node:fs'
import {type FileHandle, link, lstat, mkdir, open, readdir, rename, rm, rmdir, unlink} from 'node:fs/promises'
import path from 'node:path'
import {getSystemErrorMap} from 'node:util'

import {createTwoFilesPatch, FILE_HEADERS_ONLY} from 'diff'

import {type AccountDb} from '../host/accounts.js'
import {redactDiff} from '../report/redact.js'

/** One file as it should be on the host. Owners are numeric ids (the caller resolves names). */
export interface FileChange {
  /** Host path: absolute and normalised, e.g. `/etc/pcp/tls.conf`. */
  path: string
  content: string | Buffer
  /** Exact permission bits, setuid/setgid/sticky included. */
  mode: number
  /** Default 0 (root). */
  owner?: number
  /** Default 0 (root). */
  group?: number
  /** Private key material: never shown in a diff, never on disk with group/other bits it does not have. */
  secret?: boolean
  /** Mode of missing parent directories, which are created owned by root. Default 0755. */
  dirMode?: number
}

/**
 * One directory as it should be on the host: created when missing, else corrected to this mode and
 * owner (unless `keepExisting`). Owners are numeric ids, as for files.
 */
export interface DirChange {
  /** Host path: absolute and normalised, e.g. `/etc/pcp/tls`. */
  path: string
  /** Exact permission bits, setgid/sticky included. */
  mode: number
  /** Default 0 (root). */
  owner?: number
  /** Default 0 (root). */
  group?: number
  /** Leave an existing directory as it is, whatever its mode and owner: only create it when missing. */
  keepExisting?: boolean
  /** Mode of missing parent directories the plan does not name, which are created owned by root. Default 0755. */
  dirMode?: number
}

export interface PlannedChange extends FileChange {
  kind: 'file'
  content: Buffer
  owner: number
  group: number
  dirMode: number
  action: 'create' | 'update' | 'unchanged'
  /** The file as found when planning (absent for `create`). */
  before?: {content: Buffer; mode: number; uid: number; gid: number}
  /** Parent directories (host paths, outermost first) that do not exist yet and will be created. */
  newDirs: string[]
  /** Unified diff of the content; '' when the content does not change. */
  diff: string
}

export interface PlannedDir extends DirChange {
  kind: 'dir'
  owner: number
  group: number
  dirMode: number
  action: 'create' | 'update' | 'unchanged'
  /** The directory as found when planning (absent for `create`). */
  before?: DirState
  /** Parent directories (host paths, outermost first) the plan does not name that will be created. */
  newDirs: string[]
}

/** A plan: its directories, outermost first, then its files. */
export type PlannedEntry = PlannedDir | PlannedChange

interface DirState {
  mode: number
  uid: number
  gid: number
}

/**
 * What has just been done to one file, in this order; `backup` only when the file existed. A new
 * directory goes through the same steps but `backup` and `temp-written`; an existing one is `dir-updated`.
 */
export type WriteStep =
  | 'backup'
  | 'temp-created'
  | 'temp-written'
  | 'temp-owned'
  | 'temp-synced'
  | 'renamed'
  | 'dir-synced'
  | 'dir-updated'

/** A refusal or failure to write one file; the message is one line naming the host path. */
export class WriteError extends Error {
  override name = 'WriteError'

  constructor(
    /** The host path of the file being written. */
    readonly path: string,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options)
  }
}

export const BACKUP_SUFFIX = '.pcp-harden.bak'

const ROOT_ID = 0
/** Beyond this many changed lines a line diff costs seconds (it is quadratic): show a replacement instead. */
const MAX_DIFF_EDITS = 1000
const DEFAULT_DIR_MODE = 0o755
const TEMP_CHARS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789'

/** `permission denied (EACCES)` for a system error, the message otherwise. */
function reason(error: unknown): string {
  const {code, errno} = error as NodeJS.ErrnoException
  if (code === undefined) return error instanceof Error ? error.message : String(error)
  const text = errno === undefined ? undefined : getSystemErrorMap().get(errno)?.[1]
  return text === undefined ? code : `${text} (${code})`
}

function cannot(hostPath: string, what: string, cause?: unknown): WriteError {
  const detail = cause === undefined ? what : `${what}: ${reason(cause)}`
  return new WriteError(hostPath, `cannot write ${hostPath}: ${detail}`, {cause})
}

function refuseSymlink(hostPath: string, component: string): WriteError {
  return new WriteError(hostPath, `refusing to write ${hostPath}: ${component} is a symlink`)
}

/** Run one file-system operation, turning its failure into a WriteError about `hostPath`. */
async function attempt<T>(hostPath: string, what: string, operation: () => Promise<T>): Promise<T> {
  try {
    return await operation()
  } catch (error) {
    if (error instanceof WriteError) throw error
    throw cannot(hostPath, what, error)
  }
}

function hasCode(error: unknown, code: string): boolean {
  return (error as NodeJS.ErrnoException).code === code
}

function octal(mode: number): string {
  return mode.toString(8).padStart(4, '0')
}

function isId(value: number): boolean {
  return Number.isInteger(value) && value >= 0 && value < 0xffffffff
}

function isMode(value: number): boolean {
  return Number.isInteger(value) && value >= 0 && value <= 0o7777
}

type Wanted = Omit<PlannedChange, 'action' | 'before' | 'newDirs' | 'diff'>
type WantedDir = Omit<PlannedDir, 'action' | 'before' | 'newDirs'>

/** Throws a WriteError when a file or directory request is not valid. */
function validate(change: FileChange | DirChange, what: 'file' | 'directory'): void {
  const p = change.path
  if (!p.startsWith('/') || p === '/' || p.endsWith('/') || path.posix.normalize(p) !== p) {
    throw new WriteError(p, `cannot write ${p}: not an absolute, normalised host path of a ${what}`)
  }
  if (!isMode(change.mode)) throw cannot(p, `invalid mode ${String(change.mode)}`)
  if (!isMode(change.dirMode ?? DEFAULT_DIR_MODE)) {
    throw cannot(p, `invalid directory mode ${String(change.dirMode)}`)
  }
  if (!isId(change.owner ?? ROOT_ID) || !isId(change.group ?? ROOT_ID)) {
    throw cannot(p, `invalid owner ${String(change.owner)}:${String(change.group)}`)
  }
}

/** The change with its defaults filled in, or a WriteError when it is not a valid request. */
function normalise(change: FileChange): Wanted {
  validate(change, 'file')
  return {
    ...change,
    kind: 'file',
    content: typeof change.content === 'string' ? Buffer.from(change.content) : change.content,
    owner: change.owner ?? ROOT_ID,
    group: change.group ?? ROOT_ID,
    dirMode: change.dirMode ?? DEFAULT_DIR_MODE,
  }
}

function normaliseDir(change: DirChange): WantedDir {
  validate(change, 'directory')
  return {
    ...change,
    kind: 'dir',
    owner: change.owner ?? ROOT_ID,
    group: change.group ?? ROOT_ID,
    dirMode: change.dirMode ?? DEFAULT_DIR_MODE,
  }
}

/** The directories above a host path, outermost first: `/etc/pcp/tls.conf` -> `/etc`, `/etc/pcp`. */
function parentsOf(hostPath: string): string[] {
  const parts = hostPath.split('/').slice(1, -1)
  return parts.map((_, index) => '/' + parts.slice(0, index + 1).join('/'))
}

/** Mode and owner of the directory `dir`, never following a symlink; undefined when it is missing. */
async function dirState(root: string, dir: string, hostPath: string): Promise<DirState | undefined> {
  const st = await attempt(hostPath, `inspecting ${dir}`, () =>
    lstat(path.join(root, dir)).catch((error: unknown) => {
      if (hasCode(error, 'ENOENT')) return undefined
      throw error
    }),
  )
  if (st?.isSymbolicLink()) throw refuseSymlink(hostPath, dir)
  if (st && !st.isDirectory()) throw cannot(hostPath, `${dir} is not a directory`)
  return st && {mode: st.mode & 0o7777, uid: st.uid, gid: st.gid}
}

/** Whether the directory `dir` exists; refuses a symlink or a non-directory there. */
async function dirExists(root: string, dir: string, hostPath: string): Promise<boolean> {
  return (await dirState(root, dir, hostPath)) !== undefined
}

/** The parent directories of `hostPath` that are missing; refuses a symlink or non-directory among them. */
async function missingDirs(root: string, hostPath: string): Promise<string[]> {
  const parents = parentsOf(hostPath)
  for (const [index, dir] of parents.entries()) {
    if (!(await dirExists(root, dir, hostPath))) return parents.slice(index)
  }
  return []
}

interface Existing {
  /** Open read-only on the file's inode, which becomes the backup. */
  handle: FileHandle
  content: Buffer
  mode: number
  uid: number
  gid: number
  dev: number
  ino: number
}

/** The regular file at `local`, opened without following a symlink; undefined when there is none. */
async function openExisting(local: string, hostPath: string): Promise<Existing | undefined> {
  let handle: FileHandle
  try {
    // O_NONBLOCK: a FIFO swapped in must not hang the open; it has no effect on a regular file.
    handle = await open(local, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK)
  } catch (error) {
    if (hasCode(error, 'ENOENT')) return undefined
    if (hasCode(error, 'ELOOP')) throw refuseSymlink(hostPath, hostPath)
    throw cannot(hostPath, 'opening the current file', error)
  }
  try {
    const st = await attempt(hostPath, 'inspecting the current file', () => handle.stat())
    if (!st.isFile()) throw cannot(hostPath, 'it exists and is not a regular file')
    const content = await attempt(hostPath, 'reading the current file', () => handle.readFile())
    return {handle, content, mode: st.mode & 0o7777, uid: st.uid, gid: st.gid, dev: st.dev, ino: st.ino}
  } catch (error) {
    await handle.close()
    throw error
  }
}

function isText(content: Buffer): boolean {
  if (content.includes(0)) return false
  try {
    new TextDecoder('utf-8', {fatal: true}).decode(content)
    return true
  } catch {
    return false
  }
}

function diffOf(change: Wanted & Pick<PlannedChange, 'before'>): string {
  const before = change.before?.content
  if (before?.equals(change.content)) return ''
  const oldName = before === undefined ? '/dev/null' : `a${change.path}`
  const newName = `b${change.path}`
  if (change.secret) {
    return `--- ${oldName}\n+++ ${newName}\n(secret content, ${change.content.length} bytes, not shown)\n`
  }
  const oldContent = before ?? Buffer.alloc(0)
  if (!isText(oldContent) || !isText(change.content)) return `Binary files ${oldName} and ${newName} differ\n`
  const oldText = oldContent.toString('utf8')
  const newText = change.content.toString('utf8')
  const options = {headerOptions: FILE_HEADERS_ONLY, maxEditLength: MAX_DIFF_EDITS}
  return redactDiff(
    createTwoFilesPatch(oldName, newName, oldText, newText, undefined, undefined, options) ??
      replacementPatch(oldName, newName, oldText, newText),
  )
}

/** `-` every old line, `+` every new one: the diff of files too different for a line diff to be worth it. */
function replacementPatch(oldName: string, newName: string, oldText: string, newText: string): string {
  const side = (text: string, sign: '-' | '+') => {
    if (text === '') return {range: '0,0', lines: []}
    const lines = text.split('\n')
    const complete = lines.at(-1) === ''
    if (complete) lines.pop()
    const out = lines.map((line) => sign + line)
    if (!complete) out.push('\\ No newline at end of file')
    return {range: `1,${lines.length}`, lines: out}
  }
  const before = side(oldText, '-')
  const after = side(newText, '+')
  const hunk = `@@ -${before.range} +${after.range} @@`
  return [`--- ${oldName}`, `+++ ${newName}`, hunk, ...before.lines, ...after.lines, ''].join('\n')
}

function sameFile(want: Wanted, found: Existing): boolean {
  return (
    found.content.equals(want.content) &&
    found.mode === want.mode &&
    found.uid === want.owner &&
    found.gid === want.group
  )
}

function sameDir(want: WantedDir, found: DirState): boolean {
  return found.mode === want.mode && found.uid === want.owner && found.gid === want.group
}

async function planDir(root: string, want: WantedDir, named: ReadonlySet<string>): Promise<PlannedDir> {
  const missing = await missingDirs(root, want.path)
  const before = missing.length > 0 ? undefined : await dirState(root, want.path, want.path)
  const action = !before ? 'create' : want.keepExisting || sameDir(want, before) ? 'unchanged' : 'update'
  return {...want, action, before, newDirs: missing.filter((dir) => !named.has(dir))}
}

/** Directories by depth, outermost first; in the order given otherwise. */
function outermostFirst(dirs: readonly WantedDir[]): WantedDir[] {
  return [...dirs].sort((a, b) => a.path.split('/').length - b.path.split('/').length)
}

/**
 * Compare each file and directory with what is on disk under `root`. Reads only; refuses
 * (WriteError) a symlink anywhere below the root on the way to a file or directory, an invalid
 * request, or the same path twice. The plan lists the directories, outermost first, then the files.
 */
export async function planChanges(root: string, files: readonly FileChange[]): Promise<PlannedChange[]>
export async function planChanges(
  root: string,
  files: readonly FileChange[],
  dirs: readonly DirChange[],
): Promise<PlannedEntry[]>
export async function planChanges(
  root: string,
  files: readonly FileChange[],
  dirs: readonly DirChange[] = [],
): Promise<PlannedEntry[]> {
  const rootDir = path.resolve(root)
  const named = new Set<string>()
  const plan: PlannedEntry[] = []
  for (const want of outermostFirst(dirs.map(normaliseDir))) {
    if (named.has(want.path)) throw cannot(want.path, 'the plan lists this directory twice')
    named.add(want.path)
    plan.push(await planDir(rootDir, want, named))
  }
  const seen = new Set<string>()
  for (const change of files) {
    const want = normalise(change)
    if (named.has(want.path)) throw cannot(want.path, 'the plan lists this path as a directory too')
    if (seen.has(want.path)) throw cannot(want.path, 'the plan lists this file twice')
    seen.add(want.path)
    const missing = await missingDirs(rootDir, want.path)
    const found =
      missing.length > 0 ? undefined : await openExisting(path.join(rootDir, want.path), want.path)
    await found?.handle.close()
    const before = found && {content: found.content, mode: found.mode, uid: found.uid, gid: found.gid}
    const action = !found ? 'create' : sameFile(want, found) ? 'unchanged' : 'update'
    const diff = action === 'unchanged' ? '' : diffOf({...want, before})
    plan.push({...want, action, before, newDirs: missing.filter((dir) => !named.has(dir)), diff})
  }
  return plan
}

/**
 * The plan as text: one line per directory and file (`mkdir /etc/pcp/tls (0750 root:pcp)`,
 * `create /etc/pcp/tls.conf (0644 root:root)`, `update ... (content, mode 0644 -> 0640)`,
 * `unchanged ...`; a directory left as it is has no line), then the unified diffs.
 * Names come from `accounts` (the root's passwd and group) when given, numeric ids otherwise.
 */
export function formatPlan(plan: readonly PlannedEntry[], accounts?: AccountDb): string {
  // Id 0 is root on every Linux, whether or not the root's passwd says so (as in Host.ownerOf).
  const name = (list: {id: number; name: string}[] | undefined, id: number) =>
    list?.find((a) => a.id === id)?.name ?? (id === 0 && accounts ? 'root' : String(id))
  const user = (id: number) => name(accounts?.users, id)
  const group = (id: number) => name(accounts?.groups, id)
  const owner = (uid: number, gid: number) => `${user(uid)}:${group(gid)}`
  const lines: string[] = []
  const dirsShown = new Set<string>()
  for (const change of plan) {
    for (const dir of change.newDirs.filter((d) => !dirsShown.has(d))) {
      dirsShown.add(dir)
      lines.push(`mkdir ${dir} (${octal(change.dirMode)} ${owner(ROOT_ID, ROOT_ID)})`)
    }
    const {before} = change
    if (change.kind === 'dir') dirsShown.add(change.path)
    if (change.action === 'unchanged') {
      if (change.kind === 'file') lines.push(`unchanged ${change.path}`)
    } else if (!before) {
      const verb = change.kind === 'dir' ? 'mkdir' : 'create'
      lines.push(`${verb} ${change.path} (${octal(change.mode)} ${owner(change.owner, change.group)})`)
    } else {
      const what: string[] = []
      if (change.kind === 'file' && change.before && !change.before.content.equals(change.content)) {
        what.push('content')
      }
      if (before.mode !== change.mode) what.push(`mode ${octal(before.mode)} -> ${octal(change.mode)}`)
      if (before.uid !== change.owner || before.gid !== change.group) {
        what.push(`owner ${owner(before.uid, before.gid)} -> ${owner(change.owner, change.group)}`)
      }
      lines.push(`update ${change.path} (${what.join(', ')})`)
    }
  }
  const diffs = plan.map((change) => (change.kind === 'file' ? change.diff : '')).join('')
  return (diffs === '' ? lines.join('\n') : `${lines.join('\n')}\n\n${diffs}`).replace(/\n$/, '')
}

function tempName(dir: string, base: string): string {
  const suffix = Array.from(randomBytes(6), (byte) => TEMP_CHARS[byte % TEMP_CHARS.length]).join('')
  return path.join(dir, `.${base}.pcp-harden-${suffix}.tmp`)
}

/** Remove what a killed earlier run left beside `base`: `.BASE.pcp-harden-XXXXXX.tmp`, a file or an empty directory. */
async function removeStaleTemps(dir: string, base: string, hostPath: string): Promise<void> {
  const escaped = base.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
  const pattern = new RegExp(`^\\.${escaped}\\.pcp-harden-[A-Za-z0-9]{6}\\.tmp$`)
  const names = await attempt(hostPath, 'listing its directory', () => readdir(dir))
  for (const name of names.filter((n) => pattern.test(n))) {
    const stale = path.join(dir, name)
    await attempt(hostPath, `removing the stale temporary file ${name}`, () =>
      unlink(stale)
        .catch((error: unknown) => {
          if (hasCode(error, 'EISDIR')) return rmdir(stale)
          throw error
        })
        .catch((error: unknown) => {
          if (!hasCode(error, 'ENOENT')) throw error
        }),
    )
  }
}

/** fsync(2) a directory, so that the entries created or renamed in it survive a crash. */
async function syncDir(root: string, dir: string, hostPath: string): Promise<void> {
  await attempt(hostPath, `syncing the directory ${dir}`, async () => {
    const handle = await open(path.join(root, dir), constants.O_RDONLY | constants.O_DIRECTORY)
    try {
      await handle.sync()
    } finally {
      await handle.close()
    }
  })
}

/** Create a missing directory owned by root with exactly `mode`, and make it durable. */
async function makeDir(root: string, dir: string, mode: number, hostPath: string): Promise<void> {
  const local = path.join(root, dir)
  const created = await attempt(hostPath, `creating the directory ${dir}`, () =>
    mkdir(local, {mode: mode & 0o777}).then(
      () => true,
      (error: unknown) => {
        if (hasCode(error, 'EEXIST')) return false
        throw error
      },
    ),
  )
  // Lost a race with someone creating it: accept a directory, refuse anything else.
  if (!created) {
    await dirExists(root, dir, hostPath)
    return
  }
  await attempt(hostPath, `setting up the directory ${dir}`, async () => {
    const handle = await open(local, constants.O_RDONLY | constants.O_DIRECTORY | constants.O_NOFOLLOW)
    try {
      const st = await handle.stat()
      if (st.uid !== ROOT_ID || st.gid !== ROOT_ID) await handle.chown(ROOT_ID, ROOT_ID)
      await handle.chmod(mode)
      await handle.sync()
    } finally {
      await handle.close()
    }
  }).catch(async (error: unknown) => {
    await rmdir(local).catch(() => undefined)
    throw error
  })
  await syncDir(root, path.posix.dirname(dir), hostPath)
}

type OnStep = (step: WriteStep, hostPath: string) => void

/** Open a directory without following a symlink (O_NOFOLLOW), run `action` on it, then fsync it. */
async function withDir(local: string, action: (handle: FileHandle) => Promise<void>): Promise<void> {
  const handle = await open(local, constants.O_RDONLY | constants.O_DIRECTORY | constants.O_NOFOLLOW)
  try {
    await action(handle)
    await handle.sync()
  } finally {
    await handle.close()
  }
}

/** Owner, then the exact mode (chown may clear setgid; the umask played no part). */
async function settle(handle: FileHandle, dir: PlannedDir): Promise<void> {
  await handle.chown(dir.owner, dir.group)
  await handle.chmod(dir.mode)
}

/**
 * Create a named directory as a temporary one beside it (0700), owned and moded through a
 * descriptor, synced, then renamed into place: it never exists at its path with another owner or mode.
 */
async function createDir(root: string, dir: PlannedDir, onStep: OnStep): Promise<void> {
  const hostPath = dir.path
  const local = path.join(root, hostPath)
  await removeStaleTemps(path.dirname(local), path.basename(local), hostPath)
  const temp = tempName(path.dirname(local), path.basename(local))
  await attempt(hostPath, 'creating the temporary directory', () => mkdir(temp, {mode: 0o700}))
  try {
    onStep('temp-created', hostPath)
    await attempt(hostPath, 'setting up the temporary directory', () =>
      withDir(temp, async (handle) => {
        await settle(handle, dir)
        onStep('temp-owned', hostPath)
      }),
    )
    onStep('temp-synced', hostPath)
    if (await dirExists(root, hostPath, hostPath)) {
      throw cannot(hostPath, 'it changed since the plan was made; plan again')
    }
    await attempt(hostPath, 'renaming the temporary directory into place', () => rename(temp, local))
  } catch (error) {
    await rmdir(temp).catch(() => undefined)
    throw error
  }
  onStep('renamed', hostPath)
  await syncDir(root, path.posix.dirname(hostPath), hostPath)
  onStep('dir-synced', hostPath)
}

/** Correct the owner and mode of an existing directory through a descriptor, if it is still as planned. */
async function updateDir(root: string, dir: PlannedDir, onStep: OnStep): Promise<void> {
  const hostPath = dir.path
  await attempt(hostPath, 'setting up the directory', () =>
    withDir(path.join(root, hostPath), async (handle) => {
      const st = await handle.stat()
      if (!sameState({mode: st.mode & 0o7777, uid: st.uid, gid: st.gid}, dir.before)) {
        throw cannot(hostPath, 'it changed since the plan was made; plan again')
      }
      await settle(handle, dir)
    }),
  ).catch(async (error: unknown) => {
    // O_NOFOLLOW | O_DIRECTORY fails with ENOTDIR on a symlink swapped in since: say which it is.
    const {cause} = error as WriteError
    if (cause !== undefined && hasCode(cause, 'ENOTDIR')) await dirState(root, hostPath, hostPath)
    throw error
  })
  onStep('dir-updated', hostPath)
}

function sameState(found: DirState | undefined, before: DirState | undefined): boolean {
  if (!found || !before) return !found && !before
  return found.mode === before.mode && found.uid === before.uid && found.gid === before.gid
}

async function applyDir(root: string, dir: PlannedDir, onStep: OnStep): Promise<void> {
  const hostPath = dir.path
  const missing = await missingDirs(root, hostPath)
  const found = missing.length > 0 ? undefined : await dirState(root, hostPath, hostPath)
  if (!sameState(found, dir.before)) throw cannot(hostPath, 'it changed since the plan was made; plan again')
  if (dir.action === 'unchanged') return
  for (const parent of missing) await makeDir(root, parent, dir.dirMode, hostPath)
  await (found ? updateDir(root, dir, onStep) : createDir(root, dir, onStep))
}

/** Hard-link the current inode as FILE.pcp-harden.bak: it keeps its content, mode and owner, and is never copied. */
async function backup(local: string, found: Existing, hostPath: string): Promise<void> {
  const temp = tempName(path.dirname(local), path.basename(local))
  await attempt(hostPath, 'linking the backup', () => link(local, temp))
  try {
    const st = await attempt(hostPath, 'inspecting the backup', () => lstat(temp))
    if (st.dev !== found.dev || st.ino !== found.ino) {
      throw cannot(hostPath, 'it was replaced while being written')
    }
    await attempt(hostPath, `renaming the backup to ${path.basename(local)}${BACKUP_SUFFIX}`, () =>
      rename(temp, local + BACKUP_SUFFIX),
    )
  } finally {
    // Also after success: rename(2) does nothing when both names are links to one inode, as when
    // an interrupted run had already made this backup.
    await rm(temp, {force: true}).catch(() => undefined)
  }
}

/** Write the new content to a temporary file beside `local` and rename it over `local`. */
async function replace(local: string, change: PlannedChange, onStep: OnStep): Promise<void> {
  const hostPath = change.path
  const temp = tempName(path.dirname(local), path.basename(local))
  // Created no looser than its final mode (umask only tightens), a secret no looser than 0600.
  const createMode = change.mode & (change.secret ? 0o600 : 0o777)
  const flags = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW
  const handle = await attempt(hostPath, 'creating the temporary file', () => open(temp, flags, createMode))
  let closed = false
  try {
    onStep('temp-created', hostPath)
    await attempt(hostPath, 'writing the temporary file', () => handle.writeFile(change.content))
    onStep('temp-written', hostPath)
    await attempt(hostPath, `setting owner ${change.owner}:${change.group}`, () =>
      handle.chown(change.owner, change.group),
    )
    // After chown, which clears setuid/setgid; exact, whatever the umask did at creation.
    await attempt(hostPath, `setting mode ${octal(change.mode)}`, () => handle.chmod(change.mode))
    onStep('temp-owned', hostPath)
    await attempt(hostPath, 'syncing the temporary file', () => handle.sync())
    onStep('temp-synced', hostPath)
    closed = true
    await attempt(hostPath, 'closing the temporary file', () => handle.close())
    await attempt(hostPath, 'renaming the temporary file into place', () => rename(temp, local))
  } catch (error) {
    if (!closed) await handle.close().catch(() => undefined)
    await rm(temp, {force: true}).catch(() => undefined)
    throw error
  }
  onStep('renamed', hostPath)
}

function asPlanned(change: PlannedChange, found: Existing | undefined): boolean {
  const {before} = change
  if (!before || !found) return !before && !found
  return (
    found.content.equals(before.content) &&
    found.mode === before.mode &&
    found.uid === before.uid &&
    found.gid === before.gid
  )
}

async function applyOne(root: string, change: PlannedChange, onStep: OnStep): Promise<void> {
  const hostPath = change.path
  const local = path.join(root, hostPath)
  const dirs = await missingDirs(root, hostPath)
  const found = dirs.length > 0 ? undefined : await openExisting(local, hostPath)
  try {
    if (!asPlanned(change, found)) throw cannot(hostPath, 'it changed since the plan was made; plan again')
    if (change.action === 'unchanged') return
    for (const dir of dirs) await makeDir(root, dir, change.dirMode, hostPath)
    await removeStaleTemps(path.dirname(local), path.basename(local), hostPath)
    if (found) {
      await backup(local, found, hostPath)
      onStep('backup', hostPath)
    }
    await replace(local, change, onStep)
    // The backup must not leave readable what the new file no longer lets group/others read.
    const loose = found ? found.mode & 0o077 & ~change.mode : 0
    if (found && loose !== 0) {
      await attempt(hostPath, 'tightening the backup', async () => {
        await found.handle.chmod(found.mode & ~loose)
        await found.handle.sync()
      })
    }
    await syncDir(root, path.posix.dirname(hostPath), hostPath)
    onStep('dir-synced', hostPath)
  } finally {
    await found?.handle.close()
  }
}

/**
 * Apply a plan from planChanges: its directories first, outermost first, then its files, one after
 * the other, each atomically: a temporary file in the same directory, never looser than its final
 * mode, synced and owned before it is renamed over the target; the old file is kept as
 * FILE.pcp-harden.bak. A new directory is made the same way (a temporary one, owned and moded
 * through a descriptor opened with O_NOFOLLOW, renamed into place); an existing one is corrected
 * through such a descriptor. Unchanged entries are not touched. A file or directory that differs
 * from what the plan saw is refused. `onStep` lets tests observe each step.
 */
export async function applyPlan(
  root: string,
  plan: readonly PlannedEntry[],
  options: {onStep?: OnStep} = {},
): Promise<void> {
  const rootDir = path.resolve(root)
  const onStep = options.onStep ?? (() => undefined)
  for (const dir of plan) if (dir.kind === 'dir') await applyDir(rootDir, dir, onStep)
  for (const file of plan) if (file.kind === 'file') await applyOne(rootDir, file, onStep)
}
