import {randomBytes} from 'node:crypto'
import {constants} from 'node:fs'
import {type FileHandle, lstat, mkdir, open, readdir, rename, rmdir, unlink} from 'node:fs/promises'
import path from 'node:path'
import {getSystemErrorMap} from 'node:util'

import {createTwoFilesPatch, FILE_HEADERS_ONLY} from 'diff'

import {type AccountDb} from '../host/accounts.js'
import {
  at,
  openDirAt,
  openRoot,
  readFileAt,
  type ReadFile,
  UnsafePathError,
  type Walked,
  walkDir,
} from '../host/safe-open.js'
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
  /** Keep the old file as FILE.pcp-harden.bak. Default true; false when only its mode or owner changes. */
  backup?: boolean
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

/** The old content of a file this large is not read (a writer's files are small configs and keys). */
const MAX_EXISTING_BYTES = 64 * 1024 * 1024

/** A refusal from the safe-open walk, as a WriteError about `hostPath`. */
function refusal(hostPath: string, error: unknown): unknown {
  if (!(error instanceof UnsafePathError)) return error
  if (error.reason === 'symlink') return refuseSymlink(hostPath, error.component)
  if (error.reason === 'not-file' && error.component === hostPath) {
    return cannot(hostPath, 'it exists and is not a regular file')
  }
  return cannot(hostPath, error.message)
}

/** Run one walk or read, turning its refusal or failure into a WriteError about `hostPath`. */
async function safely<T>(hostPath: string, what: string, operation: () => Promise<T>): Promise<T> {
  try {
    return await operation()
  } catch (error) {
    throw error instanceof UnsafePathError ? refusal(hostPath, error) : cannot(hostPath, what, error)
  }
}

/** Open the directory `dir` (a host path) from the open root; also reports its missing components. */
function walk(rootDir: FileHandle, dir: string, hostPath: string): Promise<Walked> {
  return safely(hostPath, `inspecting ${dir}`, () => walkDir(rootDir, dir))
}

/** Mode and owner of an open directory. */
async function stateOf(handle: FileHandle, hostPath: string, dir: string): Promise<DirState> {
  const st = await attempt(hostPath, `inspecting ${dir}`, () => handle.stat())
  return {mode: st.mode & 0o7777, uid: st.uid, gid: st.gid}
}

/** The directory `dir` as found: its state and missing components (all of them from the first missing). */
async function inspectDir(
  rootDir: FileHandle,
  dir: string,
  hostPath: string,
): Promise<{missing: string[]; state?: DirState}> {
  const walked = await walk(rootDir, dir, hostPath)
  try {
    if (walked.missing.length > 0) return {missing: walked.missing}
    return {missing: [], state: await stateOf(walked.handle, hostPath, dir)}
  } finally {
    await walked.handle.close()
  }
}

/** The regular file `name` in an open directory; undefined when there is none. Never follows a symlink. */
function readExisting(dir: FileHandle, name: string, hostPath: string): Promise<ReadFile | undefined> {
  return safely(hostPath, 'reading the current file', () =>
    readFileAt(dir, name, hostPath, MAX_EXISTING_BYTES),
  )
}

/** The file at `hostPath` as found, and its parent directories that are missing. */
async function inspectFile(
  rootDir: FileHandle,
  hostPath: string,
): Promise<{missing: string[]; found?: ReadFile}> {
  const walked = await walk(rootDir, path.posix.dirname(hostPath), hostPath)
  try {
    if (walked.missing.length > 0) return {missing: walked.missing}
    return {missing: [], found: await readExisting(walked.handle, path.posix.basename(hostPath), hostPath)}
  } finally {
    await walked.handle.close()
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

function sameFile(want: Wanted, found: ReadFile): boolean {
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

async function planDir(
  rootDir: FileHandle,
  want: WantedDir,
  named: ReadonlySet<string>,
): Promise<PlannedDir> {
  const {missing, state: before} = await inspectDir(rootDir, want.path, want.path)
  const action = !before ? 'create' : want.keepExisting || sameDir(want, before) ? 'unchanged' : 'update'
  // The directory itself is not a parent to make.
  const parents = missing.filter((dir) => dir !== want.path && !named.has(dir))
  return {...want, action, before, newDirs: parents}
}

/** Directories by depth, outermost first; in the order given otherwise. */
function outermostFirst(dirs: readonly WantedDir[]): WantedDir[] {
  return [...dirs].sort((a, b) => a.path.split('/').length - b.path.split('/').length)
}

async function withRoot<T>(root: string, action: (rootDir: FileHandle) => Promise<T>): Promise<T> {
  const rootDir = await attempt(root, 'opening the root directory', () => openRoot(root))
  try {
    return await action(rootDir)
  } finally {
    await rootDir.close()
  }
}

/**
 * Compare each file and directory with what is on disk under `root`. Reads only; refuses
 * (WriteError) a symlink anywhere below the root on the way to a file or directory, an invalid
 * request, or the same path twice. The plan lists the directories, outermost first, then the files.
 * Every directory is opened once without following a symlink, and the file read through it.
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
  const wantedDirs = outermostFirst(dirs.map(normaliseDir))
  const wantedFiles = files.map(normalise)
  return withRoot(root, async (rootDir) => {
    const named = new Set<string>()
    const plan: PlannedEntry[] = []
    for (const want of wantedDirs) {
      if (named.has(want.path)) throw cannot(want.path, 'the plan lists this directory twice')
      named.add(want.path)
      plan.push(await planDir(rootDir, want, named))
    }
    const seen = new Set<string>()
    for (const want of wantedFiles) {
      if (named.has(want.path)) throw cannot(want.path, 'the plan lists this path as a directory too')
      if (seen.has(want.path)) throw cannot(want.path, 'the plan lists this file twice')
      seen.add(want.path)
      const {missing, found} = await inspectFile(rootDir, want.path)
      const before = found && {content: found.content, mode: found.mode, uid: found.uid, gid: found.gid}
      const action = !found ? 'create' : sameFile(want, found) ? 'unchanged' : 'update'
      const diff = action === 'unchanged' ? '' : diffOf({...want, before})
      plan.push({...want, action, before, newDirs: missing.filter((dir) => !named.has(dir)), diff})
    }
    return plan
  })
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

function tempName(base: string): string {
  const suffix = Array.from(randomBytes(6), (byte) => TEMP_CHARS[byte % TEMP_CHARS.length]).join('')
  return `.${base}.pcp-harden-${suffix}.tmp`
}

type OnStep = (step: WriteStep, hostPath: string) => void

/** An entry made by this run in an open directory: removed again when the run fails before renaming. */
interface Made {
  dir: FileHandle
  name: string
  kind: 'file' | 'dir'
}

/**
 * What one applyPlan holds: the open root, every directory it opened (closed at the end), and the
 * temporary files and directories it made (removed if it fails before the first rename).
 */
class Session {
  private readonly handles: FileHandle[] = []
  readonly made: Made[] = []

  constructor(
    readonly rootDir: FileHandle,
    readonly onStep: OnStep,
  ) {}

  keep(handle: FileHandle): FileHandle {
    this.handles.push(handle)
    return handle
  }

  /** Undo what was made, newest first: temporary files, then the directories they were in. */
  async undo(): Promise<void> {
    for (const {dir, name, kind} of this.made.splice(0).reverse()) {
      await (kind === 'file' ? unlink(at(dir, name)) : rmdir(at(dir, name))).catch(() => undefined)
    }
  }

  async close(): Promise<void> {
    for (const handle of this.handles.splice(0)) await handle.close().catch(() => undefined)
  }
}

/** Remove what a killed earlier run left beside `base`: `.BASE.pcp-harden-XXXXXX.tmp`, a file or an empty directory. */
async function removeStaleTemps(dir: FileHandle, base: string, hostPath: string): Promise<void> {
  const escaped = base.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
  const pattern = new RegExp(`^\\.${escaped}\\.pcp-harden-[A-Za-z0-9]{6}\\.tmp$`)
  const names = await attempt(hostPath, 'listing its directory', () => readdir(at(dir)))
  for (const name of names.filter((n) => pattern.test(n))) {
    await attempt(hostPath, `removing the stale temporary file ${name}`, () =>
      unlink(at(dir, name))
        .catch((error: unknown) => {
          if (hasCode(error, 'EISDIR')) return rmdir(at(dir, name))
          throw error
        })
        .catch((error: unknown) => {
          if (!hasCode(error, 'ENOENT')) throw error
        }),
    )
  }
}

/** fsync(2) an open directory, so that the entries created or renamed in it survive a crash. */
async function syncDir(dir: FileHandle, name: string, hostPath: string): Promise<void> {
  await attempt(hostPath, `syncing the directory ${name}`, () => dir.sync())
}

/** Open `name` in `dir` as a directory that must be there (created or checked by this run). */
async function reopenDir(
  dir: FileHandle,
  name: string,
  hostPath: string,
  shown: string,
): Promise<FileHandle> {
  const handle = await safely(hostPath, `opening ${shown}`, () => openDirAt(dir, name, shown))
  if (!handle) throw cannot(hostPath, `${shown} disappeared while being written`)
  return handle
}

/** Create a missing directory `name` in `parent`, owned by root with exactly `mode`, and make it durable. */
async function makeDir(
  session: Session,
  parent: FileHandle,
  dir: string,
  mode: number,
  hostPath: string,
): Promise<FileHandle> {
  const name = path.posix.basename(dir)
  const created = await attempt(hostPath, `creating the directory ${dir}`, () =>
    mkdir(at(parent, name), {mode: mode & 0o777}).then(
      () => true,
      (error: unknown) => {
        if (hasCode(error, 'EEXIST')) return false
        throw error
      },
    ),
  )
  // Lost a race with someone creating it: accept a directory, refuse anything else.
  const handle = session.keep(await reopenDir(parent, name, hostPath, dir))
  if (!created) return handle
  session.made.push({dir: parent, name, kind: 'dir'})
  await attempt(hostPath, `setting up the directory ${dir}`, async () => {
    const st = await handle.stat()
    if (st.uid !== ROOT_ID || st.gid !== ROOT_ID) await handle.chown(ROOT_ID, ROOT_ID)
    await handle.chmod(mode)
    await handle.sync()
  })
  await syncDir(parent, path.posix.dirname(dir), hostPath)
  return handle
}

/** Owner, then the exact mode (chown may clear setgid; the umask played no part). */
async function settle(handle: FileHandle, dir: PlannedDir): Promise<void> {
  await handle.chown(dir.owner, dir.group)
  await handle.chmod(dir.mode)
}

function sameState(found: DirState | undefined, before: DirState | undefined): boolean {
  if (!found || !before) return !found && !before
  return found.mode === before.mode && found.uid === before.uid && found.gid === before.gid
}

/**
 * Create a named directory as a temporary one beside it (0700), owned and moded through a
 * descriptor, synced, then renamed into place: it never exists at its path with another owner or mode.
 */
async function createDir(session: Session, parent: FileHandle, dir: PlannedDir): Promise<void> {
  const hostPath = dir.path
  const name = path.posix.basename(hostPath)
  const {onStep} = session
  await removeStaleTemps(parent, name, hostPath)
  const temp = tempName(name)
  await attempt(hostPath, 'creating the temporary directory', () => mkdir(at(parent, temp), {mode: 0o700}))
  session.made.push({dir: parent, name: temp, kind: 'dir'})
  onStep('temp-created', hostPath)
  const handle = session.keep(await reopenDir(parent, temp, hostPath, hostPath))
  await attempt(hostPath, 'setting up the temporary directory', async () => {
    await settle(handle, dir)
    onStep('temp-owned', hostPath)
    await handle.sync()
  })
  onStep('temp-synced', hostPath)
  const there = await lstat(at(parent, name)).then(
    () => true,
    () => false,
  )
  if (there) throw cannot(hostPath, 'it changed since the plan was made; plan again')
  await attempt(hostPath, 'renaming the temporary directory into place', () =>
    rename(at(parent, temp), at(parent, name)),
  )
  const made = session.made.at(-1)
  if (made) made.name = name
  onStep('renamed', hostPath)
  await syncDir(parent, path.posix.dirname(hostPath), hostPath)
  onStep('dir-synced', hostPath)
}

/** An existing directory whose owner and mode are corrected once every file is ready. */
interface DirUpdate {
  dir: PlannedDir
  handle: FileHandle
}

/** First phase for a directory: check it is as planned; create it (with its parents) when missing. */
async function prepareDir(session: Session, dir: PlannedDir): Promise<DirUpdate | undefined> {
  const hostPath = dir.path
  const parentPath = path.posix.dirname(hostPath)
  const name = path.posix.basename(hostPath)
  const walked = await walk(session.rootDir, parentPath, hostPath)
  session.keep(walked.handle)
  const existing =
    walked.missing.length > 0
      ? undefined
      : await safely(hostPath, `inspecting ${hostPath}`, () => openDirAt(walked.handle, name, hostPath))
  if (existing) session.keep(existing)
  const found = existing && (await stateOf(existing, hostPath, hostPath))
  if (!sameState(found, dir.before)) throw cannot(hostPath, 'it changed since the plan was made; plan again')
  if (dir.action === 'unchanged') return undefined
  if (existing) return {dir, handle: existing}
  let parent = walked.handle
  for (const missing of walked.missing)
    parent = await makeDir(session, parent, missing, dir.dirMode, hostPath)
  await createDir(session, parent, dir)
  return undefined
}

/** Second phase for an existing directory: correct its owner and mode through its descriptor. */
async function updateDir(update: DirUpdate, onStep: OnStep): Promise<void> {
  const {dir, handle} = update
  await attempt(dir.path, 'setting up the directory', async () => {
    await settle(handle, dir)
    await handle.sync()
  })
  onStep('dir-updated', dir.path)
}

/**
 * A new temporary file in `dir` holding `content`, created O_EXCL|O_NOFOLLOW no looser than its
 * final mode (a secret no looser than 0600), then owned, moded exactly and synced.
 */
async function writeTemp(
  session: Session,
  dir: FileHandle,
  base: string,
  file: {content: Buffer; mode: number; owner: number; group: number; secret?: boolean},
  hostPath: string,
  what: string,
  step: (s: WriteStep) => void,
): Promise<string> {
  const temp = tempName(base)
  const createMode = file.mode & (file.secret ? 0o600 : 0o777)
  const flags = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW
  const handle = await attempt(hostPath, `creating the ${what}`, () => open(at(dir, temp), flags, createMode))
  session.made.push({dir, name: temp, kind: 'file'})
  try {
    step('temp-created')
    await attempt(hostPath, `writing the ${what}`, () => handle.writeFile(file.content))
    step('temp-written')
    await attempt(hostPath, `setting owner ${file.owner}:${file.group}`, () =>
      handle.chown(file.owner, file.group),
    )
    // After chown, which clears setuid/setgid; exact, whatever the umask did at creation.
    await attempt(hostPath, `setting mode ${octal(file.mode)}`, () => handle.chmod(file.mode))
    step('temp-owned')
    await attempt(hostPath, `syncing the ${what}`, () => handle.sync())
    step('temp-synced')
  } finally {
    await handle.close().catch(() => undefined)
  }
  return temp
}

/** A file whose new content (and backup) are on disk under temporary names, ready to rename. */
interface Prepared {
  change: PlannedChange
  dir: FileHandle
  name: string
  temp: string
  backupTemp?: string
}

function asPlanned(change: PlannedChange, found: ReadFile | undefined): boolean {
  const {before} = change
  if (!before || !found) return !before && !found
  return (
    found.content.equals(before.content) &&
    found.mode === before.mode &&
    found.uid === before.uid &&
    found.gid === before.gid
  )
}

/**
 * First phase for a file: its directory opened (made when missing), the file checked against the
 * plan, a copy of the old file (its backup) and the new content written and synced beside it.
 */
async function prepareFile(session: Session, change: PlannedChange): Promise<Prepared | undefined> {
  const hostPath = change.path
  const name = path.posix.basename(hostPath)
  const walked = await walk(session.rootDir, path.posix.dirname(hostPath), hostPath)
  session.keep(walked.handle)
  const found = walked.missing.length > 0 ? undefined : await readExisting(walked.handle, name, hostPath)
  if (!asPlanned(change, found)) throw cannot(hostPath, 'it changed since the plan was made; plan again')
  if (change.action === 'unchanged') return undefined
  let dir = walked.handle
  for (const missing of walked.missing) dir = await makeDir(session, dir, missing, change.dirMode, hostPath)
  await removeStaleTemps(dir, name, hostPath)
  const backupName = name + BACKUP_SUFFIX
  const oldBackup = await lstat(at(dir, backupName)).catch(() => undefined)
  if (oldBackup?.isDirectory()) throw cannot(hostPath, `${backupName} is a directory`)
  let backupTemp: string | undefined
  if (found && change.backup !== false) {
    // A copy, not a link: the backup must not leave readable what the new file no longer lets
    // group/others read, and tightening a link would tighten every other name of that inode.
    const loose = found.mode & 0o077 & ~change.mode
    const backup = {
      content: found.content,
      mode: found.mode & ~loose,
      owner: found.uid,
      group: found.gid,
      secret: true,
    }
    backupTemp = await writeTemp(session, dir, name, backup, hostPath, 'backup', () => undefined)
    session.onStep('backup', hostPath)
  }
  const step = (s: WriteStep) => session.onStep(s, hostPath)
  const temp = await writeTemp(session, dir, name, change, hostPath, 'temporary file', step)
  return {change, dir, name, temp, backupTemp}
}

/** Second phase for a file: the backup, then the new content, renamed into place; the directory synced. */
async function commitFile(prepared: Prepared, onStep: OnStep): Promise<void> {
  const {change, dir, name, temp, backupTemp} = prepared
  const hostPath = change.path
  if (backupTemp !== undefined) {
    await attempt(hostPath, `renaming the backup to ${name}${BACKUP_SUFFIX}`, () =>
      rename(at(dir, backupTemp), at(dir, name + BACKUP_SUFFIX)),
    )
  }
  await attempt(hostPath, 'renaming the temporary file into place', () =>
    rename(at(dir, temp), at(dir, name)),
  )
  onStep('renamed', hostPath)
  await syncDir(dir, path.posix.dirname(hostPath), hostPath)
  onStep('dir-synced', hostPath)
}

/** The same failure, its message saying what the plan had already done. */
function withOutcome(error: unknown, done: readonly string[]): unknown {
  if (!(error instanceof WriteError)) return error
  const outcome =
    done.length === 0
      ? 'nothing was changed'
      : `already written: ${done.join(', ')} (the old files are kept as FILE${BACKUP_SUFFIX})`
  return new WriteError(error.path, `${error.message}; ${outcome}`, {cause: error.cause})
}

/**
 * Apply a plan from planChanges, all or nothing as far as the disk allows. First every directory
 * is checked and the missing ones made, and every file's new content and backup (a copy of the
 * old file, FILE.pcp-harden.bak) written to temporary files beside it, owned, moded and synced;
 * only when all of that succeeded are existing directories corrected and the temporary files
 * renamed into place. A failure before the renames removes what this run made and leaves every
 * file, and every earlier backup, as it was; the message says nothing was changed.
 *
 * Every directory is opened once from the root down without following a symlink, and every
 * file operation goes through that descriptor (`/proc/self/fd/N/NAME`): a user who swaps their
 * own directory for a symlink mid-run cannot redirect a write outside it. A temporary file is
 * created O_EXCL|O_NOFOLLOW, never looser than its final mode. A file or directory that differs
 * from what the plan saw is refused. `onStep` lets tests observe each step.
 */
export async function applyPlan(
  root: string,
  plan: readonly PlannedEntry[],
  options: {onStep?: OnStep} = {},
): Promise<void> {
  const onStep = options.onStep ?? (() => undefined)
  await withRoot(root, async (rootDir) => {
    const session = new Session(rootDir, onStep)
    const done: string[] = []
    try {
      const updates: DirUpdate[] = []
      const prepared: Prepared[] = []
      try {
        for (const dir of plan) {
          if (dir.kind !== 'dir') continue
          const update = await prepareDir(session, dir)
          if (update) updates.push(update)
        }
        for (const file of plan) {
          if (file.kind !== 'file') continue
          const ready = await prepareFile(session, file)
          if (ready) prepared.push(ready)
        }
      } catch (error) {
        await session.undo()
        throw withOutcome(error, done)
      }
      session.made.splice(0)
      try {
        for (const update of updates) await updateDir(update, onStep)
        for (const ready of prepared) {
          await commitFile(ready, onStep)
          done.push(ready.change.path)
        }
      } catch (error) {
        for (const ready of prepared) {
          for (const temp of [ready.temp, ready.backupTemp]) {
            if (temp !== undefined) await unlink(at(ready.dir, temp)).catch(() => undefined)
          }
        }
        throw withOutcome(error, done)
      }
    } finally {
      await session.close()
    }
  })
}
