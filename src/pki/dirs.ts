import {constants} from 'node:fs'
import {lstat, mkdir, open, rmdir} from 'node:fs/promises'
import path from 'node:path'

import {InputError} from '../engine/errors.js'
import type {AccountDb} from '../host/accounts.js'

/**
 * The directories certificates and keys go in, with their exact mode and owner: the shared writer
 * creates missing directories owned by root:root only, and pmcd (user pcp) must be able to enter
 * /etc/pcp/tls (0750 root:pcp) and a monitor must own its ~/.pcp/tls. Planned and applied here,
 * before the writer writes the files into them.
 */
export interface DirSpec {
  /** Host path. */
  path: string
  mode: number
  owner: number
  group: number
  /** Leave an existing directory as it is (only create it when missing). */
  keepExisting?: boolean
}

export interface DirChange extends DirSpec {
  action: 'create' | 'update' | 'unchanged'
  before?: {mode: number; uid: number; gid: number}
}

const ROOT_DIR: Omit<DirSpec, 'path'> = {mode: 0o755, owner: 0, group: 0}

function octal(mode: number): string {
  return mode.toString(8).padStart(4, '0')
}

async function lstatOrUndefined(local: string) {
  return lstat(local).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return undefined
    throw error
  })
}

/**
 * What must change for each directory (outermost first): missing parents not listed are created
 * 0755 root:root, as the writer would. Refuses a symlink or a non-directory on the way.
 */
export async function planDirectories(root: string, dirs: readonly DirSpec[]): Promise<DirChange[]> {
  const wanted = new Map(dirs.map((d) => [d.path, d]))
  const all = new Set<string>()
  for (const dir of dirs) {
    const parts = dir.path.split('/').filter(Boolean)
    parts.forEach((_, i) => all.add('/' + parts.slice(0, i + 1).join('/')))
  }
  const plan: DirChange[] = []
  for (const dir of [...all].sort(
    (a, b) => a.split('/').length - b.split('/').length || a.localeCompare(b),
  )) {
    const spec = wanted.get(dir)
    const st = await lstatOrUndefined(path.join(root, dir))
    if (st?.isSymbolicLink()) throw new InputError(`refusing to write in ${dir}: it is a symlink`)
    if (st && !st.isDirectory()) throw new InputError(`cannot write in ${dir}: it is not a directory`)
    if (!st) {
      plan.push({...(spec ?? {...ROOT_DIR, path: dir}), action: 'create'})
      continue
    }
    if (!spec) continue
    const before = {mode: st.mode & 0o7777, uid: st.uid, gid: st.gid}
    const same = before.mode === spec.mode && before.uid === spec.owner && before.gid === spec.group
    plan.push({...spec, action: spec.keepExisting || same ? 'unchanged' : 'update', before})
  }
  return plan
}

/** `mkdir /etc/pcp/tls (0750 root:pcp)`, `update /etc/pcp/tls (mode 0755 -> 0750, owner ...)`, as formatPlan writes files. */
export function formatDirectories(plan: readonly DirChange[], accounts: AccountDb): string[] {
  const user = (id: number) =>
    accounts.users.find((u) => u.id === id)?.name ?? (id === 0 ? 'root' : String(id))
  const group = (id: number) =>
    accounts.groups.find((g) => g.id === id)?.name ?? (id === 0 ? 'root' : String(id))
  const owner = (uid: number, gid: number) => `${user(uid)}:${group(gid)}`
  return plan.flatMap((d) => {
    if (d.action === 'create') return [`mkdir ${d.path} (${octal(d.mode)} ${owner(d.owner, d.group)})`]
    if (d.action === 'unchanged' || !d.before) return []
    const what: string[] = []
    if (d.before.mode !== d.mode) what.push(`mode ${octal(d.before.mode)} -> ${octal(d.mode)}`)
    if (d.before.uid !== d.owner || d.before.gid !== d.group)
      what.push(`owner ${owner(d.before.uid, d.before.gid)} -> ${owner(d.owner, d.group)}`)
    return [`update ${d.path} (${what.join(', ')})`]
  })
}

/** Owner and mode of a directory through a descriptor opened without following a symlink, then fsync. */
async function settle(local: string, change: DirChange): Promise<void> {
  const handle = await open(local, constants.O_RDONLY | constants.O_DIRECTORY | constants.O_NOFOLLOW)
  try {
    await handle.chown(change.owner, change.group)
    await handle.chmod(change.mode)
    await handle.sync()
  } finally {
    await handle.close()
  }
}

async function syncDir(local: string): Promise<void> {
  const handle = await open(local, constants.O_RDONLY | constants.O_DIRECTORY)
  try {
    await handle.sync()
  } finally {
    await handle.close()
  }
}

/** Create or correct the directories of a plan, outermost first; a new one is 0700 until it is owned. */
export async function applyDirectories(root: string, plan: readonly DirChange[]): Promise<void> {
  for (const change of plan) {
    if (change.action === 'unchanged') continue
    const local = path.join(root, change.path)
    try {
      if (change.action === 'create') {
        await mkdir(local, {mode: 0o700})
        await settle(local, change).catch(async (error: unknown) => {
          await rmdir(local).catch(() => undefined)
          throw error
        })
        await syncDir(path.dirname(local))
      } else {
        await settle(local, change)
      }
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code ?? (error as Error).message
      throw new Error(`cannot set up the directory ${change.path}: ${code}`, {cause: error})
    }
  }
}
