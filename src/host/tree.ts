import {parse as parseYaml} from 'yaml'

import {parseGroup, parsePasswd} from './accounts.js'
import {type FileType, type FsBackend, type RawStat} from './backend.js'
import {hostPath} from './host.js'

/**
 * A host tree described as data: the bundled sample host and the trees of end-to-end tests.
 * Git keeps neither modes nor owners, so they live here beside the content.
 */
export interface TreeEntry {
  path: string
  type: 'file' | 'dir' | 'symlink' | 'socket'
  mode: number
  /** User and group names (resolved with the tree's own /etc/passwd and /etc/group) or ids. */
  owner: string
  group: string
  content?: string
  target?: string
  /**
   * Modification time: an ISO 8601 date (`2025-10-13`, `2025-10-13T12:00:00Z`) or days before the
   * tree is built (`-100d`). Absent: when the tree is built.
   */
  mtime?: string
}

export interface TreeSpec {
  entries: TreeEntry[]
}

export class TreeSpecError extends Error {}

const DEFAULT_MODE: Record<TreeEntry['type'], number> = {
  file: 0o644,
  dir: 0o755,
  symlink: 0o777,
  socket: 0o777,
}

/** `"0640"`, `"640"` or a YAML number written as 640: always octal digits. */
export function parseMode(value: unknown, where: string): number {
  const text = String(value)
  if (!/^0?[0-7]{3,4}$/.test(text))
    throw new TreeSpecError(`${where}: mode ${text} is not an octal mode like 0640`)
  return Number.parseInt(text, 8)
}

const RELATIVE_MTIME = /^-(\d+)d$/
const ISO_DATE = /^\d{4}-\d{2}-\d{2}(?:T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:\d{2}))?$/
const DAY_MS = 86_400_000

/** An entry's modification time in ms since the epoch (`-100d`: 100 days before `nowMs`), if it has one. */
export function entryMtimeMs(entry: Pick<TreeEntry, 'mtime'>, nowMs: number): number | undefined {
  if (entry.mtime === undefined) return undefined
  const relative = RELATIVE_MTIME.exec(entry.mtime)
  return relative ? nowMs - Number(relative[1]) * DAY_MS : Date.parse(entry.mtime)
}

function parseMtime(value: unknown, where: string): string {
  const text = value instanceof Date ? value.toISOString() : String(value)
  if (!RELATIVE_MTIME.test(text) && !(ISO_DATE.test(text) && !Number.isNaN(Date.parse(text))))
    throw new TreeSpecError(
      `${where}: mtime ${text} is neither an ISO date like 2025-10-13 nor days ago like -100d`,
    )
  return text
}

/** Parse a tree description (YAML): `entries: [{path, type?, mode?, owner?, group?, content?, target?, mtime?}]`. */
export function parseTreeSpec(text: string, source: string): TreeSpec {
  return treeSpecFromData(parseYaml(text), source)
}

/** A tree description already read from YAML (or from JSON made from it), checked entry by entry. */
export function treeSpecFromData(data: unknown, source: string): TreeSpec {
  const doc = data as {entries?: unknown} | null
  if (!doc || !Array.isArray(doc.entries))
    throw new TreeSpecError(`${source}: expected a list under "entries"`)
  const entries = doc.entries.map((raw: Record<string, unknown>, index: number): TreeEntry => {
    const where = `${source}: entry ${index + 1}`
    if (typeof raw?.path !== 'string') throw new TreeSpecError(`${where}: "path" is required`)
    const type = (raw.type ?? (raw.target === undefined ? 'file' : 'symlink')) as TreeEntry['type']
    if (!(type in DEFAULT_MODE)) throw new TreeSpecError(`${where}: unknown type ${String(type)}`)
    if (type === 'symlink' && typeof raw.target !== 'string')
      throw new TreeSpecError(`${where}: a symlink needs "target"`)
    return {
      path: hostPath(raw.path),
      type,
      mode: raw.mode === undefined ? DEFAULT_MODE[type] : parseMode(raw.mode, where),
      owner: String(raw.owner ?? 'root'),
      group: String(raw.group ?? raw.owner ?? 'root'),
      content: type === 'file' ? String(raw.content ?? '') : undefined,
      target: type === 'symlink' ? String(raw.target) : undefined,
      ...(raw.mtime === undefined ? {} : {mtime: parseMtime(raw.mtime, where)}),
    }
  })
  return {entries}
}

/** Numeric ids for the spec's owner and group names, from its own passwd and group files. */
export function idResolver(spec: TreeSpec): {uid(name: string): number; gid(name: string): number} {
  const content = (p: string) => spec.entries.find((e) => e.path === p)?.content ?? ''
  const users = parsePasswd(content('/etc/passwd'))
  const groups = parseGroup(content('/etc/group'))
  const lookup = (list: {name: string; id: number}[], kind: string) => (name: string) => {
    if (/^\d+$/.test(name)) return Number(name)
    const found = list.find((a) => a.name === name)
    if (!found && name === 'root') return 0
    if (!found)
      throw new TreeSpecError(
        `tree: ${kind} ${name} is not in the tree's /etc/${kind === 'user' ? 'passwd' : 'group'}`,
      )
    return found.id
  }
  return {uid: lookup(users, 'user'), gid: lookup(groups, 'group')}
}

interface Node {
  stat: RawStat
  content?: Buffer
  target?: string
  children: Set<string>
}

function fsError(code: string, hostPathText: string): Error {
  return Object.assign(new Error(`${code}: ${hostPathText}`), {code})
}

/** A host that lives in memory, built from a tree description. Used by `verify --sample`. */
export class MemoryBackend implements FsBackend {
  private readonly nodes = new Map<string, Node>()

  constructor(
    spec: TreeSpec,
    readonly description: string,
    mtimeMs = Date.now(),
  ) {
    const ids = idResolver(spec)
    const stat = (
      type: FileType,
      mode: number,
      uid: number,
      gid: number,
      size: number,
      entryMtime = mtimeMs,
    ): RawStat => ({type, mode, uid, gid, size, mtimeMs: entryMtime})
    this.nodes.set('/', {stat: stat('dir', 0o755, 0, 0, 4096), children: new Set()})
    const ensureDir = (p: string) => {
      if (this.nodes.has(p)) return
      ensureDir(parentOf(p))
      this.nodes.set(p, {stat: stat('dir', 0o755, 0, 0, 4096), children: new Set()})
      this.nodes.get(parentOf(p))?.children.add(baseOf(p))
    }
    for (const entry of spec.entries) {
      ensureDir(parentOf(entry.path))
      const content = entry.content === undefined ? undefined : Buffer.from(entry.content)
      const size = content?.length ?? entry.target?.length ?? 4096
      const existing = this.nodes.get(entry.path)
      this.nodes.set(entry.path, {
        stat: stat(
          entry.type,
          entry.mode,
          ids.uid(entry.owner),
          ids.gid(entry.group),
          size,
          entryMtimeMs(entry, mtimeMs),
        ),
        content,
        target: entry.target,
        children: existing?.children ?? new Set(),
      })
      this.nodes.get(parentOf(entry.path))?.children.add(baseOf(entry.path))
    }
  }

  private node(p: string): Node {
    const node = this.nodes.get(p)
    if (!node) throw fsError('ENOENT', p)
    return node
  }

  async lstat(p: string): Promise<RawStat> {
    return {...this.node(p).stat}
  }

  async readlink(p: string): Promise<string> {
    const node = this.node(p)
    if (node.target === undefined) throw fsError('EINVAL', p)
    return node.target
  }

  async readFile(p: string): Promise<Buffer> {
    const node = this.node(p)
    if (node.stat.type === 'dir') throw fsError('EISDIR', p)
    if (node.content === undefined) throw fsError('ENXIO', p)
    return node.content
  }

  async readdir(p: string): Promise<string[]> {
    const node = this.node(p)
    if (node.stat.type !== 'dir') throw fsError('ENOTDIR', p)
    return [...node.children].sort()
  }
}

function parentOf(p: string): string {
  const i = p.lastIndexOf('/')
  return i <= 0 ? '/' : p.slice(0, i)
}

function baseOf(p: string): string {
  return p.slice(p.lastIndexOf('/') + 1)
}
