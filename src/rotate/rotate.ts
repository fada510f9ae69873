import {createTwoFilesPatch} from 'diff'

import {InputError} from '../engine/errors.js'
import {type Node, proxySshArgv, runTool, type SshSettings} from './exec.js'
import {type Journal, KEY_FILE, type KeyStore, LOCK_FILE, SLOTS, type Slot, type SlotKey} from './keystore.js'
import {editAuthorizedKeys, proxyLine, readPublicKey} from './lines.js'
import {takeLock} from './lock.js'
import {type SourceSubnets} from './nodes.js'
import {type NodeOutcome, type Progress} from './progress.js'
import {AdminSessions, editRemote, NodeError, readRemote, type RemoteFile} from './remote.js'

export interface RotateContext {
  store: KeyStore
  nodes: Node[]
  ssh: SshSettings
  /** Host path of the authorized_keys file on every node. */
  authorizedKeys: string
  forcedCommand: string
  from: SourceSubnets
  /** Bound of each step on a node (a read, a write, the verification). */
  timeoutMs: number
  keepOld: boolean
  progress: Progress
  /**
   * The admin's sessions, when the caller has already started connecting to the first nodes (so
   * the handshakes overlap its local work); closed at the end of the run all the same.
   */
  admin?: AdminSessions
}

/** A run under way: the admin's sessions to the nodes, and what it last saw on each. */
interface RunContext extends RotateContext {
  admin: AdminSessions
  /** Each node's authorized_keys as this run last read or wrote it (by node label): saves a read. */
  known: Map<string, RemoteFile>
}

/** editRemote starting from what this run last saw on the node, remembering what it leaves. */
async function edit(
  ctx: RunContext,
  node: Node,
  file: string,
  change: {add?: string; removeKeyIds: readonly string[]},
) {
  const result = await editRemote(ctx.admin, node, file, change, ctx.timeoutMs, ctx.known.get(node.label))
  ctx.known.set(node.label, result.now)
  return result
}

/** Run `body` with this run's admin sessions, closed at its end whatever happened. */
async function withSessions<T>(options: RotateContext, body: (ctx: RunContext) => Promise<T>): Promise<T> {
  const admin = options.admin ?? new AdminSessions(options.ssh)
  try {
    return await body({...options, admin, known: new Map()})
  } finally {
    await admin.close()
  }
}

export type NodeStatus = 'ok' | 'failed' | 'undone' | 'kept-old' | 'unchanged'

export interface NodeReport {
  node: string
  status: NodeStatus
  message: string
}

export interface RotateReport {
  action: 'rotate' | 'rollback' | 'resume' | 'dry-run'
  status: 'ok' | 'warning' | 'critical' | 'unknown'
  exitCode: 0 | 1 | 2 | 3
  summary: string
  /** Fingerprint of the key active locally at the end. */
  activeKey?: string
  /** The line the nodes got (or would get). */
  line?: string
  nodes: NodeReport[]
  /** Local moves done (or, in a dry run, to be done). */
  local: string[]
  notes: string[]
  /** Dry run: each node's unified diff of authorized_keys. */
  diffs?: {node: string; diff: string}[]
}

/** A report of success, with whatever else is given. */
const ok = (summary: string, rest: Partial<RotateReport>): RotateReport => ({
  action: 'rotate',
  status: 'ok',
  exitCode: 0,
  summary,
  nodes: [],
  local: [],
  notes: [],
  ...rest,
})

/** The nodes that failed a step; `step` names it in each message (a step of its own parts names none). */
function failed(outcomes: NodeOutcome<unknown>[], step?: string): NodeReport[] {
  return outcomes
    .filter((o) => !o.ok)
    .map((o) => ({
      node: o.node.label,
      status: 'failed',
      message: `${step ? `${step}: ` : ''}${(o as {error: string}).error}`,
    }))
}

/** Run one part of a node's step, its failure's message starting with the part's name. */
async function part<T>(name: string, run: () => Promise<T>): Promise<T> {
  try {
    return await run()
  } catch (error) {
    throw new NodeError(`${name}: ${(error as Error).message}`)
  }
}

/** Connect as the proxy would, with only this private key: the forced command must exit 0 and print JSON. */
async function verifyNode(ctx: RotateContext, node: Node, keyFile: string): Promise<void> {
  const run = await runTool(proxySshArgv(node, ctx.ssh, keyFile), {timeoutMs: ctx.timeoutMs})
  if (run.timedOut) throw new NodeError('timed out')
  if (run.exitCode !== 0) {
    const said = run.stderr.trim().split('\n').filter(Boolean).at(-1)
    throw new NodeError(`the forced command exited ${run.exitCode}${said ? ` (${said})` : ''}`)
  }
  const output = run.stdout.toString('utf8')
  try {
    JSON.parse(output)
  } catch {
    // Its start says why (a login script's banner, a usage message); sensor readings are no secret.
    const start = output.trim().split('\n')[0]?.slice(0, 60) ?? ''
    throw new NodeError(
      `the forced command printed no JSON${start ? ` (it began ${JSON.stringify(start)})` : ''}`,
    )
  }
}

/** How steps name the key being made active and the one it replaces. */
function names(journal: Journal): {incoming: string; outgoing: string} {
  return journal.kind === 'rollback'
    ? {incoming: 'previous key', outgoing: 'rolled-back key'}
    : {incoming: 'new key', outgoing: 'old key'}
}

function keyOf(publicLine: string): string {
  const key = readPublicKey(publicLine)
  if (!key) throw new Error(`not a public key: ${publicLine}`)
  return key.id
}

function journalNodes(nodes: readonly Node[]): Journal['nodes'] {
  return nodes.map(({host, port, label}) => ({host, port, label}))
}

async function preflight(ctx: RunContext): Promise<NodeOutcome<Awaited<ReturnType<typeof readRemote>>>[]> {
  return ctx.progress.nodes(
    `Preflight: reach ${ctx.nodes.length} node(s) and read ${ctx.authorizedKeys}`,
    ctx.nodes,
    async (node) => {
      const found = await readRemote(ctx.admin, node, ctx.authorizedKeys, ctx.timeoutMs)
      ctx.known.set(node.label, found)
      return found
    },
  )
}

/** Remove the journal's new key from every node and discard it locally: the active key stays. */
async function undo(
  ctx: RunContext,
  journal: Journal,
  why: NodeReport[],
  action: RotateReport['action'],
): Promise<RotateReport> {
  const removed = journal.newKey
    ? await ctx.progress.nodes(
        `Undo: remove the ${names(journal).incoming} from every node`,
        ctx.nodes,
        (node) =>
          edit({...ctx, known: new Map()}, node, journal.authorizedKeys, {
            removeKeyIds: [keyOf(journal.newKey as string)],
          }),
      )
    : []
  const local: string[] = []
  if (journal.kind === 'rotate') {
    await ctx.progress.step(`Discard ${ctx.store.hostPath(SLOTS.next)}`, () => ctx.store.discard('next'))
    local.push(`removed ${ctx.store.hostPath(SLOTS.next)}`)
  }
  const leftOver = failed(removed, 'undo')
  if (leftOver.length === 0) await ctx.store.removeJournal()
  const failedNodes = new Set(why.map((n) => n.node))
  const nodes: NodeReport[] = [
    ...why,
    ...leftOver.filter((n) => !failedNodes.has(n.node)),
    ...removed
      .filter((o) => o.ok && !failedNodes.has(o.node.label))
      .map((o) => ({node: o.node.label, status: 'undone' as const, message: 'new key removed'})),
  ]
  const active = await ctx.store.read('active')
  return {
    action,
    status: 'critical',
    exitCode: 2,
    summary:
      `${journal.kind === 'rollback' ? 'rollback' : 'rotation'} undone: ${why.map((n) => `${n.node}: ${n.message}`).join('; ')}` +
      (leftOver.length > 0
        ? `; the new key could not be removed from ${leftOver.map((n) => n.node).join(', ')} (the journal is kept: run again)`
        : ''),
    activeKey: active?.key.fingerprint,
    nodes,
    local,
    notes: [],
  }
}

/** From phase swap on: make the new key active locally, then retire the old lines. */
async function finish(
  ctx: RunContext,
  journal: Journal,
  action: RotateReport['action'],
): Promise<RotateReport> {
  const newKey = journal.newKey as string
  const local: string[] = []
  if (journal.phase === 'swap') {
    await ctx.progress.step(
      `Swap: ${ctx.store.hostPath(SLOTS.active)} becomes ${ctx.store.hostPath(SLOTS.prev)}, the ${names(journal).incoming} becomes active`,
      () => ctx.store.switchTo(keyOf(newKey), keyOf(journal.oldKey)),
    )
    local.push(
      `${ctx.store.hostPath(SLOTS.active)} -> ${ctx.store.hostPath(SLOTS.prev)}`,
      `${names(journal).incoming} -> ${ctx.store.hostPath(SLOTS.active)}`,
    )
    journal = {...journal, phase: 'retire'}
    const owner = await ctx.store.active()
    await ctx.store.writeJournal(journal, owner.uid, owner.gid)
  }
  const retire = journal.retire.map(keyOf).filter((id) => id !== keyOf(newKey))
  let nodes: NodeReport[]
  let leftOver: NodeReport[] = []
  if (journal.keepOld && journal.kind === 'rotate') {
    await ctx.progress.skipped(
      'Retire the old key',
      '--keep-old: the old key stays on every node until a later run',
    )
    nodes = ctx.nodes.map((n) => ({
      node: n.label,
      status: 'kept-old',
      message: 'new key active; old key kept (--keep-old)',
    }))
  } else {
    const outcomes = await ctx.progress.nodes(
      `Retire: remove the ${names(journal).outgoing} from every node`,
      ctx.nodes,
      async (node) => {
        const done = await edit(ctx, node, journal.authorizedKeys, {removeKeyIds: retire})
        // The node's last request of the run: its session ends while the other nodes' go on.
        ctx.admin.release(node, journal.authorizedKeys)
        return done
      },
    )
    leftOver = failed(outcomes, 'retire')
    nodes = [
      ...outcomes
        .filter((o) => o.ok)
        .map((o) => ({
          node: o.node.label,
          status: 'ok' as const,
          message: `${names(journal).incoming} active, ${names(journal).outgoing} removed`,
        })),
      ...leftOver,
    ]
  }
  await ctx.store.removeJournal()
  const active = await ctx.store.read('active')
  const what = journal.kind === 'rollback' ? 'rolled back' : 'rotated'
  return {
    action,
    status: leftOver.length > 0 ? 'warning' : 'ok',
    exitCode: leftOver.length > 0 ? 1 : 0,
    summary:
      leftOver.length > 0
        ? `${what}; the old key is still on ${leftOver.map((n) => n.node).join(', ')} (it is no longer used: remove it, or rotate again)`
        : `${what}: ${ctx.nodes.length} node(s) accept the active key ${active?.key.fingerprint ?? ''}`.trim(),
    activeKey: active?.key.fingerprint,
    line: journal.line,
    nodes,
    local,
    notes: [],
  }
}

/** Carry on from a journal left by an interrupted run: undo before the swap, finish after it. */
async function resume(ctx: RunContext, journal: Journal): Promise<RotateReport> {
  const resumed = {...ctx, nodes: journal.nodes.map((n) => ({...n}))}
  const note = `resumed the ${journal.kind} interrupted in its ${journal.phase} phase (started ${journal.startedAt})`
  let report: RotateReport
  if (journal.phase === 'stage' || journal.phase === 'push') {
    report = await undo(resumed, journal, [], 'resume')
    if (report.nodes.every((n) => n.status !== 'failed')) {
      report = {
        ...report,
        status: 'ok',
        exitCode: 0,
        summary: `the interrupted ${journal.kind} was undone: the active key stays; run again to ${journal.kind}`,
      }
    }
  } else {
    report = await finish(resumed, journal, 'resume')
  }
  return {...report, notes: [note, ...report.notes]}
}

/** Run `body` holding the lock (a stale one taken over and said so in the notes); always released. */
async function withLock(
  ctx: RunContext,
  body: (notes: string[]) => Promise<RotateReport>,
): Promise<RotateReport> {
  // Not the active key yet: a run killed between the swap's renames leaves none until resumed.
  await ctx.store.checkKeyDir()
  const lock = await takeLock(ctx.store.lockPath, ctx.store.hostPath(LOCK_FILE))
  try {
    const notes =
      lock.staleFrom === undefined
        ? []
        : [`a stale lock of a run that died (pid ${lock.staleFrom}) was taken over`]
    const report = await body(notes)
    return {...report, notes: [...notes, ...report.notes]}
  } finally {
    await lock.release()
  }
}

function newJournal(ctx: RotateContext, kind: Journal['kind'], old: SlotKey, retire: string[]): Journal {
  return {
    version: 1,
    kind,
    phase: kind === 'rotate' ? 'stage' : 'push',
    startedAt: new Date().toISOString(),
    nodes: journalNodes(ctx.nodes),
    authorizedKeys: ctx.authorizedKeys,
    line: '',
    oldKey: old.publicLine,
    retire,
    keepOld: ctx.keepOld,
  }
}

/**
 * Push the journal's line to every node and verify it with the key in `slot` (undoing everything on
 * any failure), then record the swap and finish: the common end of a rotation and a rollback.
 * Each node is verified as soon as its own push is done, while other nodes are still being pushed:
 * no node waits for the slowest push. The swap still waits until every node is verified.
 */
async function pushVerifyAndFinish(
  ctx: RunContext,
  journal: Journal,
  slot: Slot,
  action: RotateReport['action'],
  owner: {uid: number; gid: number},
): Promise<RotateReport> {
  const keyFile = ctx.store.disk(`${SLOTS[slot]}/${KEY_FILE}`)
  const proven = await ctx.progress.nodes(
    `Push and verify: add the ${names(journal).incoming}'s line to ${journal.authorizedKeys}, then connect with it as the proxy does`,
    ctx.nodes,
    async (node) => {
      await part('push', () => edit(ctx, node, journal.authorizedKeys, {add: journal.line, removeKeyIds: []}))
      await part('verify', () => verifyNode(ctx, node, keyFile))
    },
  )
  if (proven.some((o) => !o.ok)) return undo(ctx, journal, failed(proven), action)
  const swapping: Journal = {...journal, phase: 'swap'}
  await ctx.store.writeJournal(swapping, owner.uid, owner.gid)
  return finish(ctx, swapping, action)
}

/** The report of a preflight that some node failed (nothing changed), or undefined when all answered. */
function preflightFailure(
  outcomes: NodeOutcome<unknown>[],
  action: RotateReport['action'],
): RotateReport | undefined {
  const down = failed(outcomes, 'preflight')
  if (down.length === 0) return undefined
  return {
    ...ok('', {action}),
    status: 'critical',
    exitCode: 2,
    summary: `nothing changed: ${down.map((n) => `${n.node}: ${n.message}`).join('; ')}`,
    nodes: down,
  }
}

/**
 * A run holding the lock: an interrupted one is finished or undone first (and is the whole run);
 * otherwise `body` gets the active and the previous key.
 */
function lockedRun(
  options: RotateContext,
  body: (
    ctx: RunContext,
    active: Awaited<ReturnType<KeyStore['active']>>,
    prev: SlotKey | undefined,
  ) => Promise<RotateReport>,
): Promise<RotateReport> {
  return withSessions(options, (ctx) =>
    withLock(ctx, async () => {
      const pending = await ctx.store.readJournal()
      if (pending) return resume(ctx, pending)
      return body(ctx, await ctx.store.active(), await ctx.store.read('prev'))
    }),
  )
}

/** A rotation (or the resume of an interrupted one): stage, push, verify, swap, retire. */
export function rotateKeys(options: RotateContext): Promise<RotateReport> {
  return lockedRun(options, async (ctx, active, prev) => {
    const down = preflightFailure(await preflight(ctx), 'rotate')
    if (down) return down
    const retire = [active.publicLine, ...(prev && prev.key.id !== active.key.id ? [prev.publicLine] : [])]
    let journal = newJournal(ctx, 'rotate', active, retire)
    await ctx.store.ensureStateDir(active.uid, active.gid)
    await ctx.store.writeJournal(journal, active.uid, active.gid)
    const staged = await ctx.progress.step(
      `Stage: a new ed25519 key in ${ctx.store.hostPath(SLOTS.next)}`,
      () => ctx.store.stage(active.uid, active.gid, ctx.timeoutMs),
    )
    journal = {
      ...journal,
      phase: 'push',
      newKey: staged.publicLine,
      line: proxyLine(staged.publicLine, ctx.from.subnets, ctx.forcedCommand),
    }
    await ctx.store.writeJournal(journal, active.uid, active.gid)
    return pushVerifyAndFinish(ctx, journal, 'next', 'rotate', active)
  })
}

/** Make ssh.d/prev active again: push and verify its line everywhere, swap, remove the rolled-back key. */
export function rollbackKeys(options: RotateContext): Promise<RotateReport> {
  return lockedRun(options, async (ctx, active, prev) => {
    if (!prev)
      throw new InputError(
        `${ctx.store.hostPath(`${SLOTS.prev}/${KEY_FILE}`)}: no previous key to roll back to`,
      )
    const down = preflightFailure(await preflight(ctx), 'rollback')
    if (down) return down
    const journal: Journal = {
      ...newJournal(ctx, 'rollback', active, [active.publicLine]),
      newKey: prev.publicLine,
      line: proxyLine(prev.publicLine, ctx.from.subnets, ctx.forcedCommand),
    }
    await ctx.store.writeJournal(journal, active.uid, active.gid)
    return pushVerifyAndFinish(ctx, journal, 'prev', 'rollback', active)
  })
}

/** The text that stands for the key a rotation will make. */
const NEW_KEY_PLACEHOLDER = 'ssh-ed25519 <new key, made by ssh-keygen at rotation>'

/**
 * What a rotation (or rollback) would do, reading only: the nodes (each must answer, as for a
 * real run), the line, each node's authorized_keys diff, and the local moves.
 */
export function planRotation(options: RotateContext, rollback: boolean): Promise<RotateReport> {
  return withSessions(options, (ctx) => plan(ctx, rollback))
}

async function plan(ctx: RunContext, rollback: boolean): Promise<RotateReport> {
  const notes: string[] = []
  const journal = await ctx.store.readJournal()
  if (journal)
    notes.push(
      `${ctx.store.journalPath}: a ${journal.kind} was interrupted in its ${journal.phase} phase; a run would ${journal.phase === 'stage' || journal.phase === 'push' ? 'undo' : 'finish'} it first, and do nothing else`,
    )
  const active = await ctx.store.active()
  const prev = await ctx.store.read('prev')
  if (rollback && !prev)
    throw new InputError(
      `${ctx.store.hostPath(`${SLOTS.prev}/${KEY_FILE}`)}: no previous key to roll back to`,
    )
  notes.push(
    ctx.from.source === 'flag'
      ? `from= is --from: ${ctx.from.subnets.join(',')}`
      : ctx.from.source === 'config'
        ? `from= is allowed_source_subnets of /etc/pulse-sensor-proxy/config.yaml: ${ctx.from.subnets.join(',')}`
        : `allowed_source_subnets is empty: from= is this machine's own addresses, as the proxy detected them: ${ctx.from.subnets.join(',')} (give --from to choose)`,
  )
  const reads = await preflight(ctx)
  const down = preflightFailure(reads, 'dry-run')
  const line = rollback
    ? proxyLine((prev as SlotKey).publicLine, ctx.from.subnets, ctx.forcedCommand)
    : proxyLine(active.publicLine, ctx.from.subnets, ctx.forcedCommand).replace(
        `${active.publicLine.split(/\s+/).slice(0, 2).join(' ')}`,
        NEW_KEY_PLACEHOLDER,
      )
  const retire = rollback
    ? [active.key.id]
    : ctx.keepOld
      ? []
      : [active.key.id, ...(prev ? [prev.key.id] : [])]
  const diffs: {node: string; diff: string}[] = []
  for (const read of reads) {
    if (!read.ok) continue
    const before = read.value.content
    const edit = rollback
      ? editAuthorizedKeys(before, {add: line, removeKeyIds: retire})
      : appendLine(editAuthorizedKeys(before, {removeKeyIds: retire}).content, line)
    const file = `${read.node.label}:${ctx.authorizedKeys}`
    diffs.push({
      node: read.node.label,
      diff: createTwoFilesPatch(file, file, before.toString('utf8'), edit.content.toString('utf8'), '', '', {
        context: 1,
      }),
    })
  }
  const dir = (slot: Slot) => ctx.store.hostPath(SLOTS[slot])
  const local = rollback
    ? [`${dir('active')} -> ${dir('prev')}`, `${dir('prev')} -> ${dir('active')}`]
    : [
        `create ${dir('next')}/${KEY_FILE} (0600, the active key's owner) and ${KEY_FILE}.pub`,
        ...(prev ? [`remove ${dir('prev')}`] : []),
        `${dir('active')} -> ${dir('prev')}`,
        `${dir('next')} -> ${dir('active')}`,
      ]
  local.push(`journal ${ctx.store.journalPath} and lock ${ctx.store.hostPath(LOCK_FILE)} while it runs`)
  await ctx.progress.skipped(rollback ? 'Rollback' : 'Rotation', 'dry run: nothing changed')
  return {
    ...(down ??
      ok(
        `dry run: would ${rollback ? 'roll back to' : 'rotate'} on ${ctx.nodes.length} node(s); nothing changed`,
        {},
      )),
    action: 'dry-run',
    activeKey: active.key.fingerprint,
    line,
    nodes:
      down?.nodes ??
      reads.map((r) => ({node: r.node.label, status: 'unchanged', message: 'reachable; nothing changed'})),
    local,
    notes,
    diffs,
  }
}

/** The content with the line appended (after a newline ending its last line if it had none). */
function appendLine(content: Buffer, line: string): {content: Buffer} {
  const last = content.at(-1)
  return {
    content: Buffer.concat([
      content,
      Buffer.from(`${content.length > 0 && last !== 0x0a ? '\n' : ''}${line}\n`),
    ]),
  }
}
