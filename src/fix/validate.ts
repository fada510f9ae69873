/*
 * A changed file checked before it is written: by the real program when it is installed here
 * (pmcd -v, systemd-analyze verify, sshd -t) and by our own parsers. Each real program is asked
 * about the file as it is and as it would be, in scratch copies: a change is refused when the new
 * file draws a complaint the old one did not, so a host whose files already upset a tool (a PMDA
 * or an ExecStart binary this machine lacks) can still be fixed, and nothing new breaks.
 */

import {execFile} from 'node:child_process'
import {existsSync} from 'node:fs'
import {mkdir, writeFile} from 'node:fs/promises'
import path from 'node:path'

import type {Validator} from '../checks/remedy.js'
import {makeScratchDir, removeScratchDir} from '../exec/scratch.js'
import {pmcdVerify} from '../exec/pmcd.js'
import {runSystemdAnalyze, systemdAnalyzeBinary, verifyArgv} from '../exec/systemd-analyze.js'
import type {Host} from '../host/host.js'
import {parseAuthorizedKeys} from '../parsers/authorized-keys.js'
import {parseUnitFile, SYSTEM_UNIT_SEARCH_PATH} from '../parsers/systemd-unit.js'
import {accessContext, lintPmcdConf} from '../pcp/lint.js'

export type Verdict = {ok: true; by: string[]} | {ok: false; reason: string}

/** Where sshd is installed on Debian and RHEL. */
export const SSHD_BINARIES = ['/usr/sbin/sshd', '/usr/bin/sshd']

/** The validator a path needs when its remedy names none: pmcd.conf, units and drop-ins, sshd_config. */
export function validatorFor(hostPath: string, named?: Validator): Validator | undefined {
  if (named) return named
  if (hostPath === '/etc/pcp/pmcd/pmcd.conf') return 'pmcd-conf'
  if (/^\/(?:etc|lib|usr\/lib|run)\/systemd\/system\//.test(hostPath)) return 'systemd-unit'
  if (/^\/etc\/ssh\/sshd_config(?:\.d\/[^/]+\.conf)?$/.test(hostPath)) return 'sshd-config'
  if (/\/authorized_keys2?$/.test(hostPath)) return 'authorized-keys'
  return undefined
}

/**
 * The lines of `after` that `before` does not have, each scratch directory named as the host
 * directory `shownAs` whose file it holds (`/etc/ssh/sshd_config line 1: ...`).
 */
function newComplaints(before: string, after: string, dirs: readonly string[], shownAs: string): string[] {
  const clean = (text: string) =>
    text
      .split('\n')
      .map((l) => dirs.reduce((line, dir) => line.replaceAll(dir, shownAs === '/' ? '' : shownAs), l).trim())
      .filter((l) => l !== '')
  const old = new Set(clean(before))
  return clean(after).filter((l) => !old.has(l))
}

/** Run a program with a bounded time; its exit code and its output, both streams together. */
export function runTool(command: string, args: string[]): Promise<{exitCode: number; output: string}> {
  return new Promise((resolve) => {
    const child = execFile(
      command,
      args,
      {timeout: 20_000, maxBuffer: 1024 * 1024},
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : -1) : 0
        resolve({exitCode: code, output: `${stdout}${stderr}`})
      },
    )
    child.stdin?.end()
  })
}

/** The file as it is and as it would be, each written in a scratch directory of its own. */
async function bothWays<T>(
  prefix: string,
  before: Buffer | undefined,
  after: Buffer,
  judge: (content: Buffer | undefined, dir: string) => Promise<T>,
): Promise<{before: T; after: T; dirs: string[]}> {
  const dirs = [makeScratchDir(prefix), makeScratchDir(prefix)]
  try {
    const [a = '', b = ''] = dirs
    return {before: await judge(before, a), after: await judge(after, b), dirs}
  } finally {
    for (const dir of dirs) await removeScratchDir(dir)
  }
}

async function checkPmcdConf(host: Host, before: Buffer | undefined, after: Buffer): Promise<Verdict> {
  const lint = await lintPmcdConf(after.toString('utf8'), await accessContext(host, false))
  if (!lint.valid) {
    const first = lint.diagnostics.find((d) => d.severity === 'error')
    return {ok: false, reason: `pmcd would reject it${first ? `: line ${first.line}: ${first.message}` : ''}`}
  }
  const by = ['our pmcd.conf parser']
  const runs = await bothWays('pcp-harden-fix-', before, after, async (content, dir) => {
    if (!content) return undefined
    const file = path.join(dir, 'pmcd.conf')
    await writeFile(file, content)
    return pmcdVerify(file)
  })
  if (!runs.after) return {ok: true, by}
  if (!runs.after.ok && (!runs.before || runs.before.ok)) {
    const said = newComplaints(runs.before?.output ?? '', runs.after.output, runs.dirs, '/etc/pcp/pmcd')[0]
    return {ok: false, reason: `pmcd -v rejects it${said ? `: ${said}` : ''}`}
  }
  return {ok: true, by: [...by, 'pmcd -v']}
}

/** The unit directories a unit's fragment and drop-ins are read from, in systemd's order. */
const UNIT_DIRS = SYSTEM_UNIT_SEARCH_PATH

/** The host path of the unit file a unit file or drop-in stands for (its drop-in directory's unit). */
function unitDirOf(hostPath: string): string {
  const dir = path.posix.dirname(hostPath)
  return dir.endsWith('.d') ? dir.slice(0, -2) : hostPath
}

/** The unit a unit file or drop-in belongs to: `x.service` for `.../x.service.d/y.conf` and `.../x.service`. */
function unitOf(hostPath: string): {unit: string; dropIn?: string} {
  const dir = path.posix.basename(path.posix.dirname(hostPath))
  if (dir.endsWith('.d')) return {unit: dir.slice(0, -2), dropIn: path.posix.basename(hostPath)}
  return {unit: path.posix.basename(hostPath)}
}

/** The unit with every drop-in of the root (and the candidate) copied into `dir`, for systemd-analyze verify. */
async function stageUnit(
  host: Host,
  hostPath: string,
  content: Buffer | undefined,
  dir: string,
): Promise<string> {
  const {unit, dropIn} = unitOf(hostPath)
  const fragment = UNIT_DIRS.map((d) => `${d}/${unit}`)
  let text: string | undefined
  for (const candidate of fragment) {
    const read = await host.readText(candidate)
    if (read.ok) {
      text = read.value
      break
    }
  }
  const unitFile = path.join(dir, unit)
  const dropDir = `${unitFile}.d`
  await mkdir(dropDir)
  for (const d of [...UNIT_DIRS].reverse()) {
    const listed = await host.list(`${d}/${unit}.d`)
    if (!listed.ok) continue
    for (const name of listed.value.filter((n) => n.endsWith('.conf'))) {
      const read = await host.readText(`${d}/${unit}.d/${name}`)
      if (read.ok) await writeFile(path.join(dropDir, name), read.value)
    }
  }
  if (dropIn === undefined) text = content?.toString('utf8')
  else if (content) await writeFile(path.join(dropDir, dropIn), content)
  else await writeFile(path.join(dropDir, dropIn), '')
  await writeFile(unitFile, text ?? '')
  return unitFile
}

async function checkUnit(
  host: Host,
  hostPath: string,
  before: Buffer | undefined,
  after: Buffer,
): Promise<Verdict> {
  const parsed = parseUnitFile(after.toString('utf8'), hostPath)
  const problem = parsed.diagnostics.find((d) => d.severity === 'error')
  if (problem) return {ok: false, reason: `line ${problem.line}: ${problem.message}`}
  const binary = systemdAnalyzeBinary()
  if (!binary) return {ok: true, by: ['our unit parser']}
  const runs = await bothWays('pcp-harden-fix-', before, after, async (content, dir) => {
    const file = await stageUnit(host, hostPath, content, dir)
    const [command, args] = verifyArgv(binary, [file])
    return runSystemdAnalyze(command, args)
  })
  const added = newComplaints(
    runs.before.output,
    runs.after.output,
    runs.dirs,
    path.posix.dirname(unitDirOf(hostPath)),
  )
  if (added.length > 0 || (runs.after.exitCode !== 0 && runs.before.exitCode === 0))
    return {ok: false, reason: `systemd-analyze verify: ${added[0] ?? `exit status ${runs.after.exitCode}`}`}
  return {ok: true, by: ['our unit parser', 'systemd-analyze verify']}
}

async function checkSshd(hostPath: string, before: Buffer | undefined, after: Buffer): Promise<Verdict> {
  const binary = SSHD_BINARIES.find((b) => existsSync(b))
  if (!binary)
    return {
      ok: false,
      reason: 'sshd is not installed here to test it (sshd -t): sshd_config is never changed untested',
    }
  const runs = await bothWays('pcp-harden-fix-', before, after, async (content, dir) => {
    const file = path.join(dir, path.posix.basename(hostPath))
    await writeFile(file, content ?? '')
    return runTool(binary, ['-t', '-f', file])
  })
  const added = newComplaints(runs.before.output, runs.after.output, runs.dirs, path.posix.dirname(hostPath))
  if (runs.after.exitCode !== 0 && (runs.before.exitCode === 0 || added.length > 0))
    return {ok: false, reason: `sshd -t rejects it${added[0] ? `: ${added[0]}` : ''}`}
  return {ok: true, by: ['sshd -t']}
}

function checkAuthorizedKeys(before: Buffer | undefined, after: Buffer): Verdict {
  const ignored = (content: Buffer | undefined) =>
    parseAuthorizedKeys(content?.toString('utf8') ?? '').entries.filter((e) => e.kind === 'ignored').length
  if (ignored(after) > ignored(before))
    return {ok: false, reason: 'sshd would skip a line the change writes (bad key options)'}
  return {ok: true, by: ['our authorized_keys parser']}
}

/** Judge one changed file (`before` undefined: a new file). */
export async function validateChange(
  host: Host,
  validator: Validator,
  hostPath: string,
  before: Buffer | undefined,
  after: Buffer,
): Promise<Verdict> {
  switch (validator) {
    case 'pmcd-conf':
      return checkPmcdConf(host, before, after)
    case 'systemd-unit':
      return checkUnit(host, hostPath, before, after)
    case 'sshd-config':
      return checkSshd(hostPath, before, after)
    case 'authorized-keys':
      return checkAuthorizedKeys(before, after)
  }
}
