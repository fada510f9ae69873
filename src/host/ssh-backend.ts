import {READ_LIMIT, tooLargeText} from '../parsers/limits.js'
import {shellQuote} from '../exec/shell-quote.js'
import {adminSshArgv, type Node, type SshSettings} from '../rotate/exec.js'
import {SESSION_READY, SessionError} from '../rotate/session.js'
import {type FileType, type FsBackend, KIND_NAMES, type RawStat} from './backend.js'
import {PipelineSession} from './pipeline-session.js'

/**
 * The node's side of the session: after SESSION_READY, one reply line per request line
 * `OP ENC PATH` (ENC `r`: the path as it is; `b`: in base64, for a path with a newline in it).
 * - `dir`: `ok BASE64` of the directory's entries (following the directory itself if a link, as
 *   readdir(3) does), each as three NUL-ended fields: name, `TYPE MODE UID GID SIZE MTIME` (find's
 *   %y, octal %m, seconds.fraction %T@; lstat, not following) and a link's target;
 * - `lstat`: `ok MODE UID GID SIZE MTIME` (MODE st_mode in hex, MTIME seconds.nanoseconds);
 * - `readlink`: `ok BASE64` (the link's target);
 * - `read`: `ok BASE64`, the first LIMIT+1 bytes of a regular file (never a link), else
 *   `not MODE` (st_mode in hex) for anything else, or `err EIO changed while read` when the path
 *   was replaced during the read;
 * failures: `err CODE MESSAGE`, CODE an errno name taken from the C locale's message.
 * The type of a file is decided before it is opened (by the shell's test builtins and stat), and a
 * file is opened by dd with O_NONBLOCK and O_NOFOLLOW: a FIFO or device swapped in after the test
 * cannot hold the session (opening and reading it return at once), and a path whose type, device or
 * inode differs after the read from before it is refused (`not`, or `changed while read`), so what
 * is returned is what was a regular file throughout. (A swap and a swap back between the two stats
 * can pass unseen; only a user who may rename entries in that directory can do it, and that user
 * can write the file's content anyway.) Each reply is one write (printf of a captured reply): a
 * reply in small pieces may wait for the client's delayed ACK of the first (Nagle's algorithm
 * stays on in a session without a terminal).
 */
export const READER_SCRIPT = `export LC_ALL=C
limit=$1
nl='
'
err() {
  case $1 in
  *'No such file'*) c=ENOENT ;; *'Not a directory'*) c=ENOTDIR ;; *'Permission denied'*) c=EACCES ;;
  *'Too many levels'*) c=ELOOP ;; *'Is a directory'*) c=EISDIR ;; *'Invalid argument'*) c=EINVAL ;;
  *) c=EIO ;;
  esac
  m=\${1%"$nl"}; printf 'err %s %s\\n' "$c" "\${m##*"$nl"}"
}
printf '\\n%s\\n' '${SESSION_READY}'
while IFS= read -r line; do
  op=\${line%% *} rest=\${line#* }
  enc=\${rest%% *} p=\${rest#* }
  if [ "$enc" = b ]; then p=$(printf %s "$p" | base64 -d && echo .); p=\${p%.}; fi
  case $op in
  dir)
    if [ -d "$p" ] && [ -r "$p" ] && [ -x "$p" ]; then
      out=$(find -H "$p" -mindepth 1 -maxdepth 1 -printf '%f\\0%y %m %U %G %s %T@\\0%l\\0' | base64 -w0)
      printf 'ok %s\\n' "$out"
    elif ! out=$(stat -L -c %f -- "$p" 2>&1); then err "$out"
    elif [ ! -d "$p" ]; then err 'Not a directory'
    else err 'Permission denied'; fi ;;
  lstat)
    if out=$(stat -c '%f %u %g %s %.9Y' -- "$p" 2>&1); then echo "ok $out"; else err "$out"; fi ;;
  readlink)
    if out=$(readlink -- "$p" 2>/dev/null && echo .); then
      printf 'ok %s\\n' "$(printf %s "\${out%?.}" | base64 -w0)"
    elif out=$(stat -c %f -- "$p" 2>&1); then err 'Invalid argument'
    else err "$out"; fi ;;
  read)
    if [ -f "$p" ] && [ ! -L "$p" ] && [ -r "$p" ]; then
      a=$(stat -c '%f %d %i %.9Z' -- "$p" 2>&1)
      out=$(dd if="$p" iflag=nofollow,nonblock bs=65536 2>/dev/null | head -c "$((limit + 1))" | base64 -w0)
      b=$(stat -c '%f %d %i %.9Z' -- "$p" 2>&1)
      if [ "$a" != "$b" ]; then err 'changed while read'
      else case $a in 8???' '*) printf 'ok %s\\n' "$out" ;; *) echo "not \${a%% *}" ;; esac; fi
    elif out=$(stat -c %f -- "$p" 2>&1); then
      case $out in 8???) if [ -r "$p" ]; then err 'changed while read'; else err 'Permission denied'; fi ;;
      *) echo "not $out" ;; esac
    else err "$out"; fi ;;
  *) echo "err EINVAL not a request: $op"; exit 2 ;;
  esac
done`

/** The command ssh hands to the node's shell: the reader script and the read limit, quoted. */
export function readerCommand(): string {
  return ['sh', '-c', READER_SCRIPT, 'pcp-harden-read', String(READ_LIMIT)].map(shellQuote).join(' ')
}

const TYPES: Record<number, FileType> = {
  0o140000: 'socket',
  0o120000: 'symlink',
  0o100000: 'file',
  0o060000: 'block',
  0o040000: 'dir',
  0o020000: 'char',
  0o010000: 'fifo',
}

/** st_mode in hex (`stat -c %f`) as a file type and its permission bits. */
export function parseMode(hex: string): {type: FileType; mode: number} {
  const raw = Number.parseInt(hex, 16)
  const type = TYPES[raw & 0o170000]
  if (!/^[0-9a-f]+$/i.test(hex) || type === undefined) throw new Error(`not a file mode: ${hex}`)
  return {type, mode: raw & 0o7777}
}

/** `stat -c %.9Y` or find's `%T@` as Node's mtimeMs computes it (seconds * 1000 + nanoseconds / 1e6). */
export function parseMtime(text: string): number {
  const match = /^(-?\d+)(?:\.(\d{1,10}))?$/.exec(text)
  if (!match) throw new Error(`not a modification time: ${text}`)
  const seconds = Number(match[1])
  const nanoseconds = Number((match[2] ?? '').padEnd(9, '0').slice(0, 9))
  return seconds * 1000 + (seconds < 0 ? -nanoseconds : nanoseconds) / 1e6
}

const FIND_TYPES: Record<string, FileType> = {
  f: 'file',
  d: 'dir',
  l: 'symlink',
  s: 'socket',
  p: 'fifo',
  c: 'char',
  b: 'block',
}

/** One directory entry as the `dir` request gives it. */
interface Entry {
  stat: RawStat
  /** A symbolic link's target. */
  target: string
}

/** The `dir` reply's records (name, `TYPE MODE UID GID SIZE MTIME`, target; NUL-ended) by name. */
export function parseEntries(data: Buffer): Map<string, Entry> {
  const fields = data.toString('utf8').split('\0')
  const entries = new Map<string, Entry>()
  for (let i = 0; i + 2 < fields.length; i += 3) {
    const [type, mode, uid, gid, size, mtime] = (fields[i + 1] as string).split(' ')
    const kind = FIND_TYPES[type ?? '']
    if (kind === undefined || !/^[0-7]+$/.test(mode ?? ''))
      throw new Error(`not a directory entry: ${fields[i + 1]}`)
    entries.set(fields[i] as string, {
      stat: {
        type: kind,
        mode: Number.parseInt(mode as string, 8) & 0o7777,
        uid: Number(uid),
        gid: Number(gid),
        size: Number(size),
        mtimeMs: parseMtime(mtime ?? ''),
      },
      target: fields[i + 2] as string,
    })
  }
  return entries
}

/** A failure the node's shell reported, as an Error with the errno name as its code. */
function remoteError(code: string, message: string): Error {
  return Object.assign(new Error(message || code), {code})
}

/** How many times a file that changed while it was read is read. */
const READ_ATTEMPTS = 3

/** The node could not be asked (connection failed, ended, or timed out): the audit of it is void. */
export class NodeUnreachable extends Error {
  override name = 'NodeUnreachable'
}

/**
 * A node's files read through one SSH session (the admin's ssh settings, as rotate-keys uses) with
 * the semantics of DiskBackend: lstat never follows a link, readFile refuses a link, a directory
 * (EISDIR), anything but a regular file and more than READ_LIMIT bytes, readdir gives sorted
 * names. Files are read once, and one `dir` request answers the lstat, readlink and readdir of a whole directory (the Host
 * looks up each directory of every path): the entries of each directory are read once, as the
 * Host keeps one snapshot of a machine. Requests are pipelined over one shell, the whole session
 * bounded by the node's time. The first failure of the session itself is kept
 * (`unreachable`): the audit's results then say nothing about the node.
 */
export class SshBackend implements FsBackend {
  readonly description: string
  #unreachable?: NodeUnreachable
  readonly #session: PipelineSession
  readonly #dirs = new Map<string, Promise<Map<string, Entry>>>()
  readonly #files = new Map<string, Promise<Buffer>>()

  constructor(
    node: Node,
    ssh: SshSettings,
    options: {timeoutMs: number; argv?: readonly [string, ...string[]]},
  ) {
    this.description = `ssh://${node.label}`
    this.#session = new PipelineSession(
      options.argv ?? adminSshArgv(node, ssh, readerCommand()),
      Date.now() + options.timeoutMs,
    )
  }

  /** Why the node could not be read, once its session failed. */
  get unreachable(): NodeUnreachable | undefined {
    return this.#unreachable
  }

  /** End the session (the node's shell exits at the end of its input). */
  close(): Promise<void> {
    return this.#session.close(2000)
  }

  async #ask(op: string, hostPath: string): Promise<string[]> {
    if (this.#unreachable) throw this.#unreachable
    const encoded = hostPath.includes('\n')
      ? `b ${Buffer.from(hostPath).toString('base64')}`
      : `r ${hostPath}`
    let reply: string
    try {
      reply = await this.#session.request(`${op} ${encoded}`)
    } catch (error) {
      if (!(error instanceof SessionError)) throw error
      this.#unreachable ??= new NodeUnreachable(error.message)
      throw this.#unreachable
    }
    const words = reply.split(' ')
    if (words[0] === 'ok' || words[0] === 'not') return words
    if (words[0] === 'err' && words[1]) throw remoteError(words[1], words.slice(2).join(' '))
    this.#unreachable ??= new NodeUnreachable(
      `unexpected reply from the node's shell: ${JSON.stringify(reply.slice(0, 80))}`,
    )
    throw this.#unreachable
  }

  /** A directory's entries, asked once. */
  #entries(dir: string): Promise<Map<string, Entry>> {
    let pending = this.#dirs.get(dir)
    if (!pending) {
      pending = this.#ask('dir', dir).then(([, data = '']) => parseEntries(Buffer.from(data, 'base64')))
      pending.catch(() => undefined)
      this.#dirs.set(dir, pending)
    }
    return pending
  }

  /** The entry of a path from its directory's listing; undefined when that listing cannot be had. */
  async #entry(hostPath: string): Promise<Entry | null | undefined> {
    if (hostPath === '/') return undefined
    const cut = hostPath.lastIndexOf('/')
    // The Host walks a path one directory at a time: ask for every directory on the way at once.
    for (let at = hostPath.indexOf('/', 1); at !== -1 && at < cut; at = hostPath.indexOf('/', at + 1))
      void this.#entries(hostPath.slice(0, at))
    void this.#entries('/')
    const entries = await this.#entries(cut === 0 ? '/' : hostPath.slice(0, cut)).catch((error: unknown) => {
      if (error === this.#unreachable) throw error
      return undefined
    })
    return entries && (entries.get(hostPath.slice(cut + 1)) ?? null)
  }

  async lstat(hostPath: string): Promise<RawStat> {
    const entry = await this.#entry(hostPath)
    if (entry) return {...entry.stat}
    if (entry === null) throw remoteError('ENOENT', 'No such file or directory')
    const [, mode = '', uid, gid, size, mtime = ''] = await this.#ask('lstat', hostPath)
    return {
      ...parseMode(mode),
      uid: Number(uid),
      gid: Number(gid),
      size: Number(size),
      mtimeMs: parseMtime(mtime),
    }
  }

  async readlink(hostPath: string): Promise<string> {
    const entry = await this.#entry(hostPath)
    if (entry?.stat.type === 'symlink') return entry.target
    if (entry) throw remoteError('EINVAL', 'Invalid argument')
    if (entry === null) throw remoteError('ENOENT', 'No such file or directory')
    const [, target = ''] = await this.#ask('readlink', hostPath)
    return Buffer.from(target, 'base64').toString('utf8')
  }

  /** A file's content, read once (the Host is one snapshot; checks read the same file again). */
  readFile(hostPath: string): Promise<Buffer> {
    let pending = this.#files.get(hostPath)
    if (!pending) {
      pending = this.#readFile(hostPath)
      pending.catch(() => undefined)
      this.#files.set(hostPath, pending)
    }
    return pending
  }

  async #readFile(hostPath: string): Promise<Buffer> {
    // As DiskBackend's open(O_NOFOLLOW) and fstat decide, from what is known before reading.
    const refuse = (type: FileType, size: number) => {
      if (type === 'symlink') throw remoteError('ELOOP', 'too many levels of symbolic links')
      if (type === 'dir') throw remoteError('EISDIR', 'is a directory')
      if (type !== 'file') throw new Error(`not a regular file (${KIND_NAMES[type]})`)
      if (size > READ_LIMIT) throw new Error(tooLargeText(size, READ_LIMIT))
    }
    const entry = await this.#entry(hostPath)
    if (entry) refuse(entry.stat.type, entry.stat.size)
    // A file written to while read (a log) changed too: asked again, a few times, before giving up.
    for (let attempt = 1; ; attempt++) {
      try {
        const [word, data = ''] = await this.#ask('read', hostPath)
        if (word === 'not') {
          refuse(parseMode(data).type, 0)
          throw remoteError('EIO', 'changed while read')
        }
        const content = Buffer.from(data, 'base64')
        refuse('file', content.length)
        return content
      } catch (error) {
        const changed =
          (error as NodeJS.ErrnoException).code === 'EIO' && (error as Error).message === 'changed while read'
        if (!changed || attempt === READ_ATTEMPTS) throw error
      }
    }
  }

  async readdir(hostPath: string): Promise<string[]> {
    return [...(await this.#entries(hostPath)).keys()].sort()
  }
}
