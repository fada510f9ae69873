/*
 * `verify --fix`: the remedies of an audit's failures as one plan of file changes for the shared
 * writer (src/render/writer.ts). Each file is read once, through the safe readers, as it is now:
 * an edit whose line no longer reads as the audit saw it is skipped, never guessed; several
 * remedies on one file are merged; owners are resolved in the audited root's own passwd and group;
 * a changed file is validated (validate.ts) before it is planned. What cannot be automatic is listed
 * with its exact command.
 */

import {unlink} from 'node:fs/promises'
import path from 'node:path'

import {type FixPlan, type LineEdit, moveTarget, remedyCommand, type Validator} from '../checks/remedy.js'
import type {ReportResult} from '../engine/model.js'
import {DiskBackend} from '../host/backend.js'
import {Host} from '../host/host.js'
import {at, openDirAt, openRoot, readFileAt, UnsafePathError, walkDir} from '../host/safe-open.js'
import {parseAuthorizedKeys} from '../parsers/authorized-keys.js'
import {
  applyPlan,
  type DirChange,
  type FileChange,
  planChanges,
  type PlannedEntry,
  WriteError,
} from '../render/writer.js'
import {applyLineEdits, staleEdit} from './edits.js'
import {validateChange, validatorFor} from './validate.js'

/** The failure a remedy came from, as the report names it. */
export interface FixItem {
  check: string
  path?: string
  line?: number
  message: string
}

/** A remedy in the plan, with the command that does the same by hand. */
export interface PlannedRemedy extends FixItem {
  remedy: FixPlan
  command: string
}

/** A remedy left out of the plan, and why (a stale line, a validator's refusal, a symlink...). */
export interface SkippedRemedy extends PlannedRemedy {
  reason: string
}

/** A failure with no automatic remedy: its exact command when there is one, else what to decide. */
export interface ManualRemedy extends FixItem {
  command?: string
  why: string
  /** What to restart once the command has run (the remedy's own restarts). */
  restart?: string[]
}

/** A file copied to its new place by the plan, whose old name is removed once the copy is written. */
export interface PlannedMove {
  from: string
  to: string
  content: Buffer
}

export interface FixOutcome {
  /** The writer's plan: every change of content, mode and owner. */
  plan: PlannedEntry[]
  planned: PlannedRemedy[]
  skipped: SkippedRemedy[]
  manual: ManualRemedy[]
  moves: PlannedMove[]
  /** The programs that accepted each changed file. */
  validated: {path: string; by: string[]}[]
  /** Units to restart (or `daemon-reload`) once the plan is applied, in the order first named. */
  restart: string[]
}

type Found =
  | {type: 'file'; content: Buffer; mode: number; uid: number; gid: number}
  | {type: 'dir'; mode: number; uid: number; gid: number}
  | {type: 'missing'}

/** A file or directory as it is now under the root, never through a symlink. */
async function inspect(root: string, hostPath: string): Promise<Found> {
  const rootDir = await openRoot(root)
  try {
    const walked = await walkDir(rootDir, path.posix.dirname(hostPath))
    try {
      if (walked.missing.length > 0) return {type: 'missing'}
      const name = path.posix.basename(hostPath)
      try {
        const file = await readFileAt(walked.handle, name, hostPath, 16 * 1024 * 1024)
        if (!file) return {type: 'missing'}
        return {type: 'file', content: file.content, mode: file.mode, uid: file.uid, gid: file.gid}
      } catch (error) {
        if (!(error instanceof UnsafePathError) || error.reason !== 'not-file') throw error
      }
      const dir = await openDirAt(walked.handle, name, hostPath)
      if (!dir) return {type: 'missing'}
      try {
        const st = await dir.stat()
        return {type: 'dir', mode: st.mode & 0o7777, uid: st.uid, gid: st.gid}
      } finally {
        await dir.close()
      }
    } finally {
      await walked.handle.close()
    }
  } finally {
    await rootDir.close()
  }
}

const reasonOf = (error: unknown) => (error instanceof Error ? error.message : String(error))

/** A numeric id, or the id of a name in the root's passwd or group. */
function resolveId(list: readonly {name: string; id: number}[], name: string, file: string): number {
  if (/^\d+$/.test(name)) return Number(name)
  if (name === 'root') return list.find((a) => a.name === name)?.id ?? 0
  const found = list.find((a) => a.name === name)
  if (!found) throw new Error(`${name} is not in the audited root's ${file}`)
  return found.id
}

/** A private key's content: never shown in a diff. */
const isSecret = (content: Buffer) => /-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----/.test(content.toString('latin1'))

/** The proxy's comment and the installer's marker on an authorized_keys line (as the keys checks read them). */
const PROXY_MARKS = ['pulse-sensor-proxy', '# pulse-managed-key']

/**
 * An authorized_keys edit is automatic only on the proxy's own lines, and only to restrict them:
 * every line it replaces or deletes is the proxy's, a replacement keeps the same key, and nothing is appended.
 */
async function proxyLinesOnly(
  host: Host,
  original: string,
  edits: readonly LineEdit[],
): Promise<string | undefined> {
  const {readProxyKeys} = await import('../checks/keys/analysis.js')
  const proxy = await readProxyKeys(host)
  const entries = parseAuthorizedKeys(original).entries
  for (const edit of edits) {
    if (edit.op === 'append') return 'it would add a line to an authorized_keys file: never automatic'
    const entry = entries.find((e) => e.line === edit.line)
    const key = entry && entry.kind !== 'comment' ? entry.key : undefined
    const mine =
      entry !== undefined &&
      entry.kind !== 'comment' &&
      (PROXY_MARKS.some((m) => entry.text.includes(m)) || (key !== undefined && proxy.ids.has(key.id)))
    if (!mine) return `line ${edit.line} is not the proxy's: an administrator's key line is never touched`
    if (edit.op === 'replace') {
      const after = parseAuthorizedKeys(edit.text).entries
      const same =
        after.length === 1 && after[0]?.kind === 'key' && key !== undefined && after[0].key.id === key.id
      if (!same) return `the new line ${edit.line} would not hold the same key`
    }
  }
  return undefined
}

interface Item extends PlannedRemedy {
  remedy: FixPlan
}

/** What one file or directory should become, built from the remedies that name it. */
interface Target {
  path: string
  found: Found
  items: Item[]
}

interface Built {
  file?: FileChange
  dir?: DirChange
  dirs: DirChange[]
  moves: PlannedMove[]
  accepted: Item[]
  skipped: SkippedRemedy[]
  validated?: {path: string; by: string[]}
}

const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b)

async function buildTarget(root: string, host: Host, target: Target): Promise<Built> {
  const out: Built = {dirs: [], moves: [], accepted: [], skipped: []}
  const skip = (item: Item, reason: string) => out.skipped.push({...item, reason})
  const {found} = target
  const {users, groups} = await host.accounts()
  let mode = found.type === 'missing' ? undefined : found.mode
  let uid = found.type === 'missing' ? undefined : found.uid
  let gid = found.type === 'missing' ? undefined : found.gid
  let created: Buffer | undefined
  let validator: Validator | undefined
  const edits: LineEdit[] = []
  const editItems: Item[] = []
  const attrs: {item: Item; mode?: number; uid?: number; gid?: number}[] = []
  const mover = target.items.find((i) => i.remedy.kind === 'move')
  // The mover last, so that every other remedy of the path is reported skipped before it returns.
  const ordered = mover ? [...target.items.filter((i) => i !== mover), mover] : target.items
  for (const item of ordered) {
    const {remedy} = item
    if (mover && item !== mover) {
      skip(item, `${mover.check} moves this file away`)
      continue
    }
    try {
      switch (remedy.kind) {
        case 'attrs': {
          if (found.type === 'missing') throw new Error(`${target.path} no longer exists`)
          const want = {
            ...(remedy.mode === undefined ? {} : {mode: remedy.mode}),
            ...(remedy.owner === undefined ? {} : {uid: resolveId(users, remedy.owner, 'passwd')}),
            ...(remedy.group === undefined ? {} : {gid: resolveId(groups, remedy.group, 'group')}),
          }
          const clash = attrs.find(
            (a) =>
              (want.mode !== undefined && a.mode !== undefined && a.mode !== want.mode) ||
              (want.uid !== undefined && a.uid !== undefined && a.uid !== want.uid) ||
              (want.gid !== undefined && a.gid !== undefined && a.gid !== want.gid),
          )
          if (clash) throw new Error(`it asks for another mode or owner than ${clash.item.check}'s remedy`)
          attrs.push({item, ...want})
          mode = want.mode ?? mode
          uid = want.uid ?? uid
          gid = want.gid ?? gid
          out.accepted.push(item)
          break
        }
        case 'edit': {
          if (found.type !== 'file') throw new Error(`${target.path} is no longer a regular file`)
          const lines = found.content.toString('utf8').replace(/\n$/, '').split('\n')
          const stale = remedy.edits.map((e) => staleEdit(lines, e)).find(Boolean)
          if (stale) throw new Error(`${stale}: the file changed since the audit`)
          const fresh = remedy.edits.filter((e) => !edits.some((d) => same(d, e)))
          const clash = fresh.find(
            (e) => e.op !== 'append' && edits.some((d) => d.op !== 'append' && d.line === e.line),
          )
          if (clash && clash.op !== 'append')
            throw new Error(`another remedy changes line ${clash.line} otherwise`)
          edits.push(...fresh)
          editItems.push(item)
          validator ??= remedy.validate
          break
        }
        case 'create': {
          const content = Buffer.from(remedy.content)
          if (created) {
            if (!created.equals(content)) throw new Error(`another remedy creates ${target.path} otherwise`)
          } else if (found.type !== 'missing')
            throw new Error(`${target.path} exists now: it was created since the audit`)
          created = content
          mode = remedy.mode
          uid = resolveId(users, remedy.owner, 'passwd')
          gid = resolveId(groups, remedy.group, 'group')
          validator ??= remedy.validate
          editItems.push(item)
          break
        }
        case 'move': {
          if (found.type !== 'file') throw new Error(`${target.path} is no longer a regular file`)
          const to = moveTarget(remedy)
          if ((await inspect(root, to)).type !== 'missing')
            throw new Error(`${to} exists: nothing is moved over it`)
          out.dirs.push({path: remedy.to, mode: 0o700, keepExisting: true, dirMode: 0o700})
          out.file = {
            path: to,
            content: found.content,
            mode: found.mode,
            owner: found.uid,
            group: found.gid,
            secret: isSecret(found.content),
          }
          out.moves.push({from: target.path, to, content: found.content})
          out.accepted.push(item)
          return out
        }
        case 'manual':
          throw new Error('not automatic')
      }
    } catch (error) {
      skip(item, reasonOf(error))
    }
  }
  let content: Buffer | undefined
  if (found.type === 'file') content = found.content
  if (edits.length > 0 && found.type === 'file') {
    const original = found.content.toString('utf8')
    const edited = applyLineEdits(original, edits)
    const keysOnly =
      validatorFor(target.path, validator) === 'authorized-keys'
        ? await proxyLinesOnly(host, original, edits)
        : undefined
    if (!edited.ok || keysOnly) {
      for (const item of editItems) skip(item, edited.ok ? (keysOnly ?? '') : edited.reason)
      editItems.length = 0
    } else content = Buffer.from(edited.text)
  }
  if (created) content = created
  const changed = content !== undefined && (found.type !== 'file' || !content.equals(found.content))
  if (changed && content) {
    const check = validatorFor(target.path, validator)
    const verdict = check
      ? await validateChange(
          host,
          check,
          target.path,
          found.type === 'file' ? found.content : undefined,
          content,
        )
      : undefined
    if (verdict && !verdict.ok) {
      for (const item of editItems) skip(item, `not written: ${verdict.reason}`)
      editItems.length = 0
      content = found.type === 'file' ? found.content : undefined
      if (created) {
        mode = undefined
        uid = undefined
        gid = undefined
      }
    } else if (verdict?.ok) out.validated = {path: target.path, by: verdict.by}
  }
  out.accepted.push(...editItems)
  if (mode === undefined || uid === undefined || gid === undefined) return out
  if (found.type === 'dir') out.dir = {path: target.path, mode, owner: uid, group: gid}
  else if (content !== undefined) {
    const contentChanged = found.type !== 'file' || !content.equals(found.content)
    out.file = {
      path: target.path,
      content,
      mode,
      owner: uid,
      group: gid,
      secret: isSecret(content),
      // Only a change of content keeps the old file: a copy of a key whose mode alone changes is one more key.
      backup: contentChanged,
    }
  }
  return out
}

/** The remedies of an audit's failing, unwaived results, planned against the tree under `root`. */
export async function planFix(root: string, results: readonly ReportResult[]): Promise<FixOutcome> {
  const host = new Host(new DiskBackend(root))
  const manual: ManualRemedy[] = []
  const targets = new Map<string, Target>()
  const skipped: SkippedRemedy[] = []
  for (const r of results) {
    if (r.status !== 'fail' || r.waived) continue
    const item = {
      check: r.check,
      ...(r.path === undefined ? {} : {path: r.path}),
      ...(r.line === undefined ? {} : {line: r.line}),
      message: r.message,
    }
    const {remedy} = r
    if (!remedy || remedy.kind === 'manual') {
      manual.push({
        ...item,
        ...(remedy?.kind === 'manual'
          ? {command: remedy.command}
          : r.fix === undefined
            ? {}
            : {command: r.fix}),
        why:
          remedy?.kind === 'manual'
            ? remedy.why
            : r.fix === undefined
              ? r.remediation
              : 'this check gives no automatic remedy',
        ...(remedy?.restart && remedy.restart.length > 0 ? {restart: remedy.restart} : {}),
      })
      continue
    }
    const key = remedy.path
    let target = targets.get(key)
    if (!target) {
      let found: Found
      try {
        found = await inspect(root, key)
      } catch (error) {
        skipped.push({...item, remedy, command: remedyCommand(remedy), reason: reasonOf(error)})
        continue
      }
      target = {path: key, found, items: []}
      targets.set(key, target)
    }
    if (!target.items.some((i) => same(i.remedy, remedy) && i.check === r.check && i.line === r.line))
      target.items.push({...item, remedy, command: remedyCommand(remedy)})
  }
  const files: FileChange[] = []
  const dirs = new Map<string, DirChange>()
  const planned: PlannedRemedy[] = []
  const moves: PlannedMove[] = []
  const validated: {path: string; by: string[]}[] = []
  for (const target of targets.values()) {
    const built = await buildTarget(root, host, target)
    skipped.push(...built.skipped)
    // Every remedy of this path was skipped: nothing of it goes into the plan.
    if (built.accepted.length === 0) continue
    const entries = [...(built.file ? [built.file] : []), ...(built.dir ? [built.dir] : []), ...built.dirs]
    // Planned alone first: a symlink or an odd file refuses this target, not the whole plan.
    try {
      await planChanges(root, built.file ? [built.file] : [], [
        ...(built.dir ? [built.dir] : []),
        ...built.dirs.filter((d) => !dirs.has(d.path)),
      ])
    } catch (error) {
      if (!(error instanceof WriteError)) throw error
      for (const item of built.accepted) skipped.push({...item, reason: error.message})
      continue
    }
    if (entries.length === 0) continue
    if (built.file) files.push(built.file)
    for (const d of [...(built.dir ? [built.dir] : []), ...built.dirs])
      if (!dirs.has(d.path)) dirs.set(d.path, d)
    planned.push(...built.accepted)
    moves.push(...built.moves)
    if (built.validated) validated.push(built.validated)
  }
  const plan = await planChanges(root, files, [...dirs.values()])
  const restart: string[] = files.some((f) => validatorFor(f.path) === 'systemd-unit')
    ? ['daemon-reload']
    : []
  for (const p of planned)
    for (const unit of p.remedy.restart ?? []) if (!restart.includes(unit)) restart.push(unit)
  return {plan, planned, skipped, manual, moves, validated, restart}
}

/**
 * Apply a fix: the writer's plan (all or nothing), then the old name of each moved file removed,
 * unless it changed since it was copied (then it stays, and the message says so).
 */
export async function applyFix(root: string, outcome: FixOutcome): Promise<string[]> {
  await applyPlan(root, outcome.plan)
  const notes: string[] = []
  for (const move of outcome.moves) {
    const rootDir = await openRoot(root)
    try {
      const walked = await walkDir(rootDir, path.posix.dirname(move.from))
      try {
        const name = path.posix.basename(move.from)
        const now =
          walked.missing.length > 0
            ? undefined
            : await readFileAt(walked.handle, name, move.from, 16 * 1024 * 1024)
        if (now?.content.equals(move.content)) await unlink(at(walked.handle, name))
        else notes.push(`${move.from} changed after it was copied to ${move.to}: it was left in place`)
      } finally {
        await walked.handle.close()
      }
    } finally {
      await rootDir.close()
    }
  }
  return notes
}
