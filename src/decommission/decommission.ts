import {constants} from 'node:fs'
import {
  lstat,
  mkdir,
  mkdtemp,
  open,
  readdir,
  readFile,
  realpath,
  rename,
  rm,
  writeFile,
} from 'node:fs/promises'
import path from 'node:path'

import {createTwoFilesPatch} from 'diff'

import {
  CLEANUP_SCRIPT,
  HELPER_UNITS,
  KEY_DIRS,
  PROXY_BINARIES,
  PROXY_CONFIG_DIR,
  PROXY_NAME,
  PROXY_SOCKET_DIR,
  PROXY_STATE,
  PROXY_UNIT,
} from '../checks/legacy/analysis.js'
import {InputError} from '../engine/errors.js'
import type {Host} from '../host/host.js'
import {SYSTEM_UNIT_SEARCH_PATH} from '../parsers/systemd-unit.js'
import {applyPlan, type FileChange, formatPlan, planChanges} from '../render/writer.js'
import {type Node, runTool, type SshSettings} from '../rotate/exec.js'
import {lineKeyId} from '../rotate/lines.js'
import {takeLock} from '../rotate/lock.js'
import {type NodeOutcome, type Progress} from '../rotate/progress.js'
import {AdminSessions, readRemote, rewriteRemote, sha256} from '../rotate/remote.js'
import {removeAccount, removeProxyLines, removeProxyMounts} from './edits.js'

/** Where decommission keeps its lock and journal (outside the proxy's directories, which --purge removes). */
export const WORK_DIR = '/var/lib/pcp-harden'
export const JOURNAL = `${WORK_DIR}/decommission.json`
export const LOCK = `${WORK_DIR}/decommission.lock`
/** The proxy's units: the service and the helpers its installer added. */
export const UNITS = [PROXY_UNIT, ...HELPER_UNITS]
/** What --purge removes (Pulse's scripts/uninstall-sensor-proxy.sh with --purge). */
export const PURGED = [
  PROXY_STATE,
  PROXY_CONFIG_DIR,
  '/var/log/pulse/sensor-proxy',
  '/opt/pulse/sensor-proxy',
  PROXY_SOCKET_DIR,
  ...PROXY_BINARIES,
  CLEANUP_SCRIPT,
  `/etc/default/${PROXY_NAME}`,
  ...UNITS.map((u) => `/etc/systemd/system/${u}`),
  ...UNITS.map((u) => `/etc/systemd/system/${u}.d`),
]
const ACCOUNT_FILES = ['passwd', 'shadow', 'group', 'gshadow'] as const
const NODES_DIR = '/etc/pve/nodes'
const LXC_DIR = '/etc/pve/lxc'

export type Step = 'evidence' | 'stop' | 'revoke' | 'lxc' | 'purge'

export interface DecommissionContext {
  /** --root on disk (absolute). */
  root: string
  host: Host
  nodes: Node[]
  ssh: SshSettings
  authorizedKeys: string
  timeoutMs: number
  purge: boolean
  emergency: boolean
  /** --collect-evidence: the directory the tarball goes to (a path on this machine). */
  evidenceDir?: string
  progress: Progress
  /** Run systemctl and journalctl (only when --root is /: the live system). */
  live: boolean
  /** For the SIGKILL tests: called after each step is recorded. */
  afterStep?: (step: Step) => void
}

/** The record of a decommission under way: what it was asked and which steps are done. */
interface Journal {
  version: 1
  startedAt: string
  emergency: boolean
  purge: boolean
  nodes: Node[]
  authorizedKeys: string
  /** The proxy's public keys (.pub lines) found when the run began: --purge removes the files. */
  keys: string[]
  done: Step[]
}

export interface NodeReport {
  node: string
  status: 'ok' | 'failed' | 'unchanged'
  message: string
}

export interface DecommissionReport {
  action: 'decommission' | 'resume' | 'dry-run'
  status: 'ok' | 'critical'
  exitCode: 0 | 2
  summary: string
  nodes: NodeReport[]
  /** Local changes done (or, in a dry run, to be done). */
  local: string[]
  notes: string[]
  /** Dry run: the unified diff of every file that changes, on every node and here. */
  diffs?: {target: string; diff: string}[]
  evidence?: string
}

const disk = (ctx: {root: string}, hostPath: string) => path.join(ctx.root, hostPath)

async function exists(file: string): Promise<boolean> {
  try {
    await lstat(file)
    return true
  } catch {
    return false
  }
}

/** The proxy's public keys as .pub lines: the active, staged and previous pairs. */
async function proxyKeys(host: Host): Promise<string[]> {
  const lines: string[] = []
  for (const dir of KEY_DIRS) {
    const names = await host.list(dir)
    if (!names.ok) continue
    for (const name of names.value.filter((n) => n.endsWith('.pub')).sort()) {
      const text = await host.readText(`${dir}/${name}`)
      if (!text.ok) continue
      for (const line of text.value.split('\n'))
        if (lineKeyId(line) !== undefined && !lines.includes(line.trim())) lines.push(line.trim())
    }
  }
  return lines
}

/** Write the journal whole: a temporary file, synced, renamed over the old one. */
async function saveJournal(ctx: DecommissionContext, journal: Journal): Promise<void> {
  const file = disk(ctx, JOURNAL)
  const temp = `${file}.${process.pid}.tmp`
  const handle = await open(temp, constants.O_WRONLY | constants.O_CREAT | constants.O_TRUNC, 0o600)
  try {
    await handle.writeFile(`${JSON.stringify(journal, null, 2)}\n`)
    await handle.sync()
  } finally {
    await handle.close()
  }
  await rename(temp, file)
}

async function loadJournal(ctx: DecommissionContext): Promise<Journal | undefined> {
  let text: string
  try {
    text = await readFile(disk(ctx, JOURNAL), 'utf8')
  } catch {
    return undefined
  }
  try {
    const journal = JSON.parse(text) as Journal
    if (journal.version !== 1 || !Array.isArray(journal.done)) throw new Error('unknown version')
    return journal
  } catch (error) {
    throw new InputError(
      `${JOURNAL}: not a decommission journal (${(error as Error).message}); remove it to start over`,
    )
  }
}

/**
 * Every container config, once, by a path with no symlink on the way (render/writer.ts refuses
 * one): those under /etc/pve/nodes (the real directories pmxcfs serves), and /etc/pve/lxc only
 * where it is a directory of its own rather than pmxcfs's link to this node's.
 */
async function containerConfigs(host: Host): Promise<string[]> {
  const files: string[] = []
  const own = await host.stat(LXC_DIR)
  if (own.ok && own.value.type === 'dir') {
    const names = await host.list(LXC_DIR)
    if (names.ok)
      files.push(
        ...names.value
          .filter((n) => n.endsWith('.conf'))
          .sort()
          .map((n) => `${LXC_DIR}/${n}`),
      )
  }
  const nodes = await host.list(NODES_DIR)
  if (!nodes.ok) return files
  for (const node of nodes.value.sort()) {
    const names = await host.list(`${NODES_DIR}/${node}/lxc`)
    if (names.ok)
      files.push(
        ...names.value
          .filter((n) => n.endsWith('.conf'))
          .sort()
          .map((n) => `${NODES_DIR}/${node}/lxc/${n}`),
      )
  }
  return files
}

/** A local file rewritten by `edit`, as a change for render/writer.ts (mode and owner kept); undefined when unchanged. */
async function localEdit(
  host: Host,
  file: string,
  edit: (before: Buffer) => Buffer,
): Promise<FileChange | undefined> {
  const st = await host.stat(file)
  if (!st.ok || st.value.type !== 'file') return undefined
  const text = await host.readText(file)
  if (!text.ok) throw new Error(text.message)
  const before = Buffer.from(text.value, 'utf8')
  const after = edit(before)
  if (after.equals(before)) return undefined
  return {path: file, content: after, mode: st.value.mode, owner: st.value.uid, group: st.value.gid}
}

async function lxcChanges(host: Host): Promise<FileChange[]> {
  const changes: FileChange[] = []
  for (const file of await containerConfigs(host)) {
    const change = await localEdit(host, file, (b) => removeProxyMounts(b).content)
    if (change) changes.push(change)
  }
  return changes
}

async function accountChanges(host: Host): Promise<FileChange[]> {
  const changes: FileChange[] = []
  for (const name of ACCOUNT_FILES) {
    const change = await localEdit(host, `/etc/${name}`, (b) => removeAccount(b, name))
    if (change) changes.push(change)
  }
  return changes
}

/** The enablement links of the proxy's units (what systemctl disable removes). */
async function enablementLinks(ctx: DecommissionContext): Promise<string[]> {
  const links: string[] = []
  const base = '/etc/systemd/system'
  let names: string[]
  try {
    names = await readdir(disk(ctx, base))
  } catch {
    return links
  }
  for (const dir of names.filter((n) => /\.(wants|requires)$/.test(n)).sort())
    for (const unit of UNITS)
      if (await exists(disk(ctx, `${base}/${dir}/${unit}`))) links.push(`${base}/${dir}/${unit}`)
  return links
}

/**
 * Remove a host path under the root only when no directory on the way to it is a symlink: a link
 * planted there (by the proxy's user, in a directory it owns) would lead the removal outside.
 * The entry itself is removed as what it is (a link is unlinked, never followed).
 */
async function removeUnder(ctx: {root: string}, hostPath: string): Promise<string> {
  const dir = path.posix.dirname(hostPath)
  let real: string
  let base: string
  try {
    ;[real, base] = await Promise.all([realpath(disk(ctx, dir)), realpath(ctx.root)])
  } catch {
    return `not removed ${hostPath}: ${dir} cannot be resolved`
  }
  if (real !== path.join(base, dir)) return `not removed ${hostPath}: a symlink on the way (${dir})`
  await rm(path.join(real, path.posix.basename(hostPath)), {recursive: true, force: true})
  return `removed ${hostPath}`
}

async function presentPurged(ctx: DecommissionContext): Promise<string[]> {
  const found: string[] = []
  for (const p of PURGED) if (await exists(disk(ctx, p))) found.push(p)
  for (const dir of SYSTEM_UNIT_SEARCH_PATH.filter((d) => d !== '/etc/systemd/system'))
    for (const unit of UNITS)
      if (dir.startsWith('/etc') && (await exists(disk(ctx, `${dir}/${unit}`)))) found.push(`${dir}/${unit}`)
  return found
}

/** Stop and disable the proxy's units: the links removed here, systemctl stop on the live system. */
async function stopUnits(ctx: DecommissionContext): Promise<string[]> {
  const done: string[] = []
  if (ctx.live) {
    const run = await runTool(['systemctl', 'stop', ...UNITS], {timeoutMs: ctx.timeoutMs})
    done.push(`systemctl stop ${UNITS.join(' ')}: exit ${run.exitCode}`)
  }
  for (const link of await enablementLinks(ctx)) done.push(`disabled: ${await removeUnder(ctx, link)}`)
  if (ctx.live) await runTool(['systemctl', 'daemon-reload'], {timeoutMs: ctx.timeoutMs})
  return done
}

/** Remove the proxy's lines on every node: the first that reads a shared file edits it, the others find it clean. */
async function revoke(
  ctx: DecommissionContext,
  admin: AdminSessions,
  keyIds: ReadonlySet<string>,
): Promise<NodeOutcome<{removed: number[]}>[]> {
  return ctx.progress.nodes(
    `remove the proxy's lines from ${ctx.authorizedKeys}`,
    ctx.nodes,
    async (node) => {
      const result = await rewriteRemote(
        admin,
        node,
        ctx.authorizedKeys,
        (b) => removeProxyLines(b, keyIds),
        ctx.timeoutMs,
      )
      return {removed: result.removed}
    },
  )
}

async function applyChanges(ctx: DecommissionContext, changes: FileChange[]): Promise<string[]> {
  if (changes.length === 0) return []
  const plan = await planChanges(ctx.root, changes)
  await applyPlan(ctx.root, plan)
  return plan
    .filter((p) => p.action !== 'unchanged')
    .map((p) => `updated ${p.path} (old kept as ${p.path}.pcp-harden.bak)`)
}

/** --collect-evidence: a tarball of what the proxy leaves, before anything is removed. */
async function collectEvidence(
  ctx: DecommissionContext,
  admin: AdminSessions,
  journal: Journal,
): Promise<string> {
  const dir = ctx.evidenceDir as string
  await mkdir(dir, {recursive: true, mode: 0o700})
  const stamp = new Date().toISOString().replace(/[:.]/g, '-')
  const stage = await mkdtemp(path.join(dir, '.evidence-'))
  const name = `${PROXY_NAME}-evidence-${stamp}`
  const base = path.join(stage, name)
  const manifest: {
    collectedAt: string
    root: string
    files: {path: string; sha256: string; at: string}[]
    notes: string[]
  } = {
    collectedAt: new Date().toISOString(),
    root: ctx.root,
    files: [],
    notes: [],
  }
  const put = async (rel: string, content: Buffer) => {
    const file = path.join(base, rel)
    await mkdir(path.dirname(file), {recursive: true})
    await writeFile(file, content, {mode: 0o600})
    manifest.files.push({path: rel, sha256: sha256(content), at: new Date().toISOString()})
  }
  try {
    const copy = async (hostPath: string) => {
      const text = await ctx.host.readText(hostPath)
      if (text.ok) await put(`host${hostPath}`, Buffer.from(text.value, 'utf8'))
    }
    const config = await ctx.host.list(PROXY_CONFIG_DIR)
    if (config.ok) for (const n of config.value.sort()) await copy(`${PROXY_CONFIG_DIR}/${n}`)
    for (const unit of UNITS) for (const d of SYSTEM_UNIT_SEARCH_PATH) await copy(`${d}/${unit}`)
    // The state directory: every file's path, mode, owner, size and SHA-256 (the keys themselves stay out).
    const listing: string[] = []
    const walk = async (hostPath: string) => {
      const st = await ctx.host.stat(hostPath)
      if (!st.ok) return
      const owner = await ctx.host.ownerOf(st.value)
      const mode = st.value.mode.toString(8).padStart(4, '0')
      if (st.value.type === 'dir') {
        listing.push(`${mode} ${owner} dir ${hostPath}`)
        const names = await ctx.host.list(hostPath)
        if (names.ok) for (const n of names.value.sort()) await walk(`${hostPath}/${n}`)
      } else if (st.value.type === 'file') {
        const bytes = await readFile(disk(ctx, hostPath))
        listing.push(`${mode} ${owner} ${st.value.size} ${sha256(bytes)} ${hostPath}`)
      } else listing.push(`${mode} ${owner} ${st.value.type} ${hostPath}`)
    }
    await walk(PROXY_STATE)
    await put('state-listing.txt', Buffer.from(`${listing.join('\n')}\n`))
    const outcomes = await ctx.progress.nodes(
      "collect each node's authorized_keys",
      journal.nodes,
      async (node) => {
        const file = await readRemote(admin, node, journal.authorizedKeys, ctx.timeoutMs)
        if (file.exists) await put(`nodes/${node.label}${journal.authorizedKeys}`, file.content)
      },
    )
    for (const o of outcomes) if (!o.ok) manifest.notes.push(`${o.node.label}: ${o.error}`)
    if (ctx.live) {
      const run = await runTool(['journalctl', '--no-pager', '-o', 'short-iso', '-u', PROXY_UNIT], {
        timeoutMs: ctx.timeoutMs,
      })
      if (run.exitCode === 0) await put('journal.txt', run.stdout)
      else manifest.notes.push(`journalctl exited ${run.exitCode}: ${run.stderr.trim()}`)
    } else manifest.notes.push('journalctl not run: --root is not the running system')
    await put('manifest.json', Buffer.from(`${JSON.stringify(manifest, null, 2)}\n`))
    const tarball = path.join(dir, `${name}.tar.gz`)
    const run = await runTool(['tar', '-czf', tarball, '-C', stage, name], {timeoutMs: ctx.timeoutMs})
    if (run.exitCode !== 0) throw new Error(`tar exited ${run.exitCode}: ${run.stderr.trim()}`)
    return tarball
  } finally {
    await rm(stage, {recursive: true, force: true})
  }
}

/** The order of the steps: --emergency revokes the keys first, before anything local. */
function stepsOf(journal: Pick<Journal, 'emergency' | 'purge'>, evidence: boolean): Step[] {
  const steps: Step[] = evidence ? ['evidence'] : []
  steps.push(...(journal.emergency ? (['revoke', 'stop'] as const) : (['stop', 'revoke'] as const)), 'lxc')
  if (journal.purge) steps.push('purge')
  return steps
}

/** Retire pulse-sensor-proxy: its units, every node's lines of its keys, the container mounts, and with --purge its files and account. */
export async function decommission(ctx: DecommissionContext): Promise<DecommissionReport> {
  await mkdir(disk(ctx, WORK_DIR), {recursive: true, mode: 0o700})
  const lock = await takeLock(disk(ctx, LOCK), LOCK)
  const admin = new AdminSessions(ctx.ssh)
  try {
    const found = await loadJournal(ctx)
    const journal: Journal = found ?? {
      version: 1,
      startedAt: new Date().toISOString(),
      emergency: ctx.emergency,
      purge: ctx.purge,
      nodes: ctx.nodes,
      authorizedKeys: ctx.authorizedKeys,
      keys: await proxyKeys(ctx.host),
      done: [],
    }
    if (found) {
      journal.purge ||= ctx.purge
      journal.emergency ||= ctx.emergency
    }
    await saveJournal(ctx, journal)
    const run = {...ctx, nodes: journal.nodes, authorizedKeys: journal.authorizedKeys}
    const keyIds = new Set(
      journal.keys.map((k) => lineKeyId(k)).filter((id): id is string => id !== undefined),
    )
    const report: DecommissionReport = {
      action: found ? 'resume' : 'decommission',
      status: 'ok',
      exitCode: 0,
      summary: '',
      nodes: [],
      local: [],
      notes: found
        ? [
            `resumed the run of ${found.startedAt} (${JOURNAL}); done before: ${found.done.join(', ') || 'nothing'}`,
          ]
        : [],
    }
    let revoked = true
    for (const step of stepsOf(journal, ctx.evidenceDir !== undefined)) {
      if (journal.done.includes(step)) continue
      if (step === 'evidence')
        report.evidence = await ctx.progress.step('collect evidence', () =>
          collectEvidence(run, admin, journal),
        )
      else if (step === 'stop')
        report.local.push(
          ...(await ctx.progress.step(`stop and disable ${UNITS.join(', ')}`, () => stopUnits(run))),
        )
      else if (step === 'revoke') {
        const outcomes = await revoke(run, admin, keyIds)
        for (const o of outcomes)
          report.nodes.push(
            o.ok
              ? {
                  node: o.node.label,
                  status: o.value.removed.length > 0 ? 'ok' : 'unchanged',
                  message:
                    o.value.removed.length > 0
                      ? `removed line(s) ${o.value.removed.join(', ')} of ${journal.authorizedKeys} (old kept as .pcp-harden.bak)`
                      : `no line of the proxy's in ${journal.authorizedKeys}`,
                }
              : {node: o.node.label, status: 'failed', message: o.error},
          )
        revoked = outcomes.every((o) => o.ok)
        if (!revoked) continue
      } else if (step === 'lxc')
        report.local.push(
          ...(await ctx.progress.step('remove the container mounts', async () =>
            applyChanges(run, await lxcChanges(ctx.host)),
          )),
        )
      else if (step === 'purge')
        report.local.push(
          ...(await ctx.progress.step("purge the proxy's files and account", async () => {
            const done = await applyChanges(run, await accountChanges(ctx.host))
            for (const p of await presentPurged(run)) done.push(await removeUnder(run, p))
            return done
          })),
        )
      journal.done.push(step)
      await saveJournal(ctx, journal)
      ctx.afterStep?.(step)
    }
    const failedNodes = report.nodes.filter((n) => n.status === 'failed').map((n) => n.node)
    if (!revoked) {
      report.status = 'critical'
      report.exitCode = 2
      report.summary = `the proxy's keys are still authorized on ${failedNodes.join(', ')}: not reached; rerun once they are (the journal ${JOURNAL} keeps the keys)`
    } else {
      await rm(disk(ctx, JOURNAL), {force: true})
      report.summary = `pulse-sensor-proxy retired on ${journal.nodes.length} node(s)${journal.purge ? ', purged here' : ''}`
    }
    return report
  } finally {
    await admin.close()
    await lock.release()
  }
}

/** --dry-run: what decommission would do, with the unified diff of every file it would change. Reads only. */
export async function planDecommission(ctx: DecommissionContext): Promise<DecommissionReport> {
  const admin = new AdminSessions(ctx.ssh)
  try {
    const keys = await proxyKeys(ctx.host)
    const keyIds = new Set(keys.map((k) => lineKeyId(k)).filter((id): id is string => id !== undefined))
    const diffs: {target: string; diff: string}[] = []
    const report: DecommissionReport = {
      action: 'dry-run',
      status: 'ok',
      exitCode: 0,
      summary: '',
      nodes: [],
      local: [],
      notes: [],
      diffs,
    }
    const outcomes = await ctx.progress.nodes(
      `read ${ctx.authorizedKeys} on every node`,
      ctx.nodes,
      async (node) => {
        const file = await readRemote(admin, node, ctx.authorizedKeys, ctx.timeoutMs)
        const edit = removeProxyLines(file.content, keyIds)
        if (edit.removed.length > 0) {
          const name = `${node.label}:${ctx.authorizedKeys}`
          diffs.push({
            target: name,
            diff: createTwoFilesPatch(
              name,
              name,
              file.content.toString('utf8'),
              edit.content.toString('utf8'),
            ),
          })
        }
        return edit.removed
      },
    )
    for (const o of outcomes)
      report.nodes.push(
        o.ok
          ? {
              node: o.node.label,
              status: o.value.length > 0 ? 'ok' : 'unchanged',
              message:
                o.value.length > 0 ? `would remove line(s) ${o.value.join(', ')}` : 'nothing to remove',
            }
          : {node: o.node.label, status: 'failed', message: o.error},
      )
    for (const link of await enablementLinks(ctx)) report.local.push(`would disable: remove ${link}`)
    if (ctx.live) report.local.push(`would run systemctl stop ${UNITS.join(' ')}`)
    const changes = [...(await lxcChanges(ctx.host)), ...(ctx.purge ? await accountChanges(ctx.host) : [])]
    if (changes.length > 0) {
      const plan = await planChanges(ctx.root, changes)
      report.local.push(formatPlan(plan).trimEnd())
      for (const p of plan) if (p.diff) diffs.push({target: p.path, diff: p.diff})
    }
    if (ctx.purge) for (const p of await presentPurged(ctx)) report.local.push(`would remove ${p}`)
    if (ctx.evidenceDir) report.local.push(`would write the evidence tarball to ${ctx.evidenceDir}`)
    const unreached = report.nodes.filter((n) => n.status === 'failed')
    if (unreached.length > 0) {
      report.status = 'critical'
      report.exitCode = 2
      report.summary = `dry run: ${unreached.map((n) => n.node).join(', ')} not reached; nothing changed`
    } else report.summary = `dry run: nothing changed (${diffs.length} file(s) would change)`
    return report
  } finally {
    await admin.close()
  }
}
