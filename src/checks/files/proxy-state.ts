import path from 'node:path'

import type {Host} from '../../host/host.js'
import {type Finding, type Outcome, perHost} from '../family.js'
import {shellQuote} from '../fix.js'
import {withRemedy} from '../remedy.js'
import {PROXY_STATE_DIR, PROXY_USER} from './rules.js'

/** The journal `pcp-harden rotate-keys` keeps while a rotation runs. */
export const ROTATION_JOURNAL = `${PROXY_STATE_DIR}/ssh.d/rotation.json`
const NEXT = `${PROXY_STATE_DIR}/ssh.d/next`
const PREV = `${PROXY_STATE_DIR}/ssh.d/prev`

/** The users whose cron jobs are reported: the service account and its old name. */
export const CRON_USERS = [PROXY_USER, 'pulse-proxy']

/** Per-user crontabs: Debian's (crontab -u) and RHEL's cronie. */
export const USER_CRONTAB_DIRS = ['/var/spool/cron/crontabs', '/var/spool/cron']

/**
 * What may be in the proxy's state directory (the hardening guide's tree, the rotation's staging and the
 * known_hosts its ssh client keeps); any other name is reported. Directories listed are walked.
 */
const EXPECTED: Record<string, readonly string[]> = {
  // cleanup-request.json: the proxy's request to the installer's pulse-sensor-cleanup.path unit;
  // cleanup.lock: the lock of the cleanup script that unit runs (Pulse's install-sensor-proxy.sh).
  [PROXY_STATE_DIR]: ['ssh', 'ssh.d', 'cleanup-request.json', 'cleanup.lock'],
  [`${PROXY_STATE_DIR}/ssh`]: ['id_ed25519', 'id_ed25519.pub', 'known_hosts'],
  [`${PROXY_STATE_DIR}/ssh.d`]: ['next', 'prev', path.posix.basename(ROTATION_JOURNAL)],
  [NEXT]: ['id_ed25519', 'id_ed25519.pub'],
  [PREV]: ['id_ed25519', 'id_ed25519.pub'],
}

export interface StateAnalysis {
  rotating: boolean
}

const DAY_MS = 24 * 60 * 60 * 1000

/** The private keys (every regular file but the .pub ones) in a key directory, or why it cannot be read. */
async function privateKeys(
  host: Host,
  dir: string,
): Promise<{path: string; mtimeMs: number}[] | {error: string}> {
  const names = await host.list(dir)
  if (!names.ok) return names.missing ? [] : {error: names.message}
  const keys: {path: string; mtimeMs: number}[] = []
  for (const name of names.value.filter((n) => !n.endsWith('.pub'))) {
    const st = await host.stat(`${dir}/${name}`)
    if (st.ok && st.value.type === 'file') keys.push({path: `${dir}/${name}`, mtimeMs: st.value.mtimeMs})
  }
  return keys
}

const ageInDays = (mtimeMs: number, now: number) => Math.max(0, Math.floor((now - mtimeMs) / DAY_MS))

async function stagedKeyFindings(host: Host, now: number): Promise<{rotating: boolean; findings: Finding[]}> {
  const journal = await host.stat(ROTATION_JOURNAL)
  if (!journal.ok && !journal.missing) {
    const undecided = (check: string): Finding => ({
      check,
      path: ROTATION_JOURNAL,
      message: journal.message,
      undecided: true,
    })
    return {rotating: false, findings: [undecided('PSP-FILE-006'), undecided('PSP-FILE-007')]}
  }
  if (journal.ok) return {rotating: true, findings: []}
  const findings: Finding[] = []
  const next = await privateKeys(host, NEXT)
  if ('error' in next)
    findings.push({check: 'PSP-FILE-006', path: NEXT, message: next.error, undecided: true})
  else
    for (const key of next)
      findings.push({
        check: 'PSP-FILE-006',
        path: key.path,
        message: `a staged private key with no rotation in progress (no ${ROTATION_JOURNAL}): a rotation stopped half-way left it, and it may already be trusted by some nodes`,
        evidence: `modified ${ageInDays(key.mtimeMs, now)} day(s) ago`,
      })
  const prev = await privateKeys(host, PREV)
  if ('error' in prev)
    findings.push({check: 'PSP-FILE-007', path: PREV, message: prev.error, undecided: true})
  else
    for (const key of prev)
      findings.push({
        check: 'PSP-FILE-007',
        path: key.path,
        message: `the previous private key is still kept (${ageInDays(key.mtimeMs, now)} day(s) old) with no rotation in progress: once the new key works on every node it is no longer rollback material but a second key the nodes may still trust`,
        ...withRemedy({
          kind: 'manual',
          command: `shred -u ${shellQuote(key.path)}`,
          why:
            'it is the only way back (pcp-harden rotate-keys --rollback) until the new key works on every node: check that first ' +
            "(pcp-harden rotate-keys --dry-run), then destroy it; rotate-keys removes the old key's lines from the nodes",
        }),
      })
  return {rotating: false, findings}
}

/** Entries below an unexpected directory that are named one by one; beyond, the directory stands for the rest. */
const MAX_WALKED = 200
const SCRIPT_NAME = /\.(sh|bash|py|pl|rb|php|js)$/

/** An unexpected entry, and what it is: executables and scripts are what an incident responder reads first. */
interface Unexpected {
  path: string
  kind: 'executable' | 'script' | 'file' | 'directory' | 'entry'
  owner?: string
}

async function describeEntry(host: Host, file: string): Promise<Unexpected> {
  const st = await host.stat(file)
  if (!st.ok) return {path: file, kind: 'entry'}
  const owner = await host.ownerOf(st.value)
  if (st.value.type === 'dir') return {path: file, kind: 'directory', owner}
  if (st.value.type !== 'file') return {path: file, kind: 'entry', owner}
  if (st.value.mode & 0o111) return {path: file, kind: 'executable', owner}
  if (SCRIPT_NAME.test(file)) return {path: file, kind: 'script', owner}
  const head = st.value.size > 0 ? await host.readText(file) : undefined
  return {path: file, kind: head?.ok && head.value.startsWith('#!') ? 'script' : 'file', owner}
}

/** Every entry below an unexpected directory, depth first, bounded. */
async function walk(host: Host, dir: string, out: Unexpected[]): Promise<void> {
  const names = await host.list(dir)
  if (!names.ok) return
  for (const name of names.value) {
    if (out.length >= MAX_WALKED) return
    const entry = await describeEntry(host, `${dir}/${name}`)
    out.push(entry)
    if (entry.kind === 'directory') await walk(host, entry.path, out)
  }
}

const KIND_ORDER: Unexpected['kind'][] = ['executable', 'script', 'file', 'entry', 'directory']

const KIND_WORDS: Record<Unexpected['kind'], string> = {
  executable: 'an executable',
  script: 'a script',
  file: 'a file',
  directory: 'a directory',
  entry: 'an entry',
}

async function unexpectedFiles(host: Host): Promise<Finding[]> {
  const findings: Finding[] = []
  const found: Unexpected[] = []
  for (const [dir, expected] of Object.entries(EXPECTED)) {
    const st = await host.stat(dir)
    if (!st.ok && !st.missing) {
      findings.push({check: 'PSP-FILE-008', path: dir, message: st.message, undecided: true})
      continue
    }
    if (!st.ok || st.value.type !== 'dir') continue
    const names = await host.list(dir)
    if (!names.ok) {
      findings.push({check: 'PSP-FILE-008', path: dir, message: names.message, undecided: true})
      continue
    }
    for (const name of names.value.filter((n) => !expected.includes(n))) {
      const entry = await describeEntry(host, `${dir}/${name}`)
      found.push(entry)
      if (entry.kind === 'directory') await walk(host, entry.path, found)
    }
  }
  found.sort(
    (a, b) => KIND_ORDER.indexOf(a.kind) - KIND_ORDER.indexOf(b.kind) || a.path.localeCompare(b.path),
  )
  for (const entry of found)
    findings.push({
      check: 'PSP-FILE-008',
      path: entry.path,
      message:
        `unexpected ${entry.kind === 'directory' ? 'directory' : entry.kind === 'entry' ? 'entry' : KIND_WORDS[entry.kind].replace(/^an? /, '')} in the proxy's state directory` +
        `${entry.kind === 'executable' || entry.kind === 'script' ? ` (${KIND_WORDS[entry.kind]}: read it first)` : ''}: ` +
        'nothing the proxy, its rotation or its installer writes; find out who put it there',
      ...(entry.owner ? {evidence: `owned by ${entry.owner}`} : {}),
    })
  return findings
}

/** The user a line of /etc/crontab or /etc/cron.d runs as (the field after the schedule). */
export function systemCronUser(line: string): string | undefined {
  const text = line.trim()
  if (text === '' || text.startsWith('#') || /^[A-Za-z_][A-Za-z0-9_]*\s*=/.test(text)) return undefined
  const fields = text.split(/\s+/)
  return fields[0]?.startsWith('@') ? fields[1] : fields[5]
}

/** A line of a user's crontab that is a job (not blank, a comment or a variable). */
const isJob = (line: string) => systemCronUser(line) !== undefined

async function cronFindings(host: Host): Promise<Finding[]> {
  const findings: Finding[] = []
  for (const dir of USER_CRONTAB_DIRS)
    for (const user of CRON_USERS) {
      const file = `${dir}/${user}`
      const text = await host.readText(file)
      if (!text.ok) {
        if (!text.missing)
          findings.push({check: 'PSP-FILE-009', path: file, message: text.message, undecided: true})
        continue
      }
      const jobs = text.value.split('\n').flatMap((l, i) => (isJob(l) ? [i + 1] : []))
      for (const line of jobs)
        findings.push({
          check: 'PSP-FILE-009',
          path: file,
          line,
          message: `a cron job of ${user}: it runs with the proxy's SSH key whatever the account's shell (cron uses /bin/sh)`,
        })
    }
  const cronD = await host.list('/etc/cron.d')
  if (!cronD.ok && !cronD.missing)
    findings.push({check: 'PSP-FILE-009', path: '/etc/cron.d', message: cronD.message, undecided: true})
  const systemFiles = ['/etc/crontab', ...(cronD.ok ? cronD.value.map((n) => `/etc/cron.d/${n}`) : [])]
  for (const file of systemFiles) {
    const text = await host.readText(file)
    if (!text.ok) {
      if (!text.missing)
        findings.push({check: 'PSP-FILE-009', path: file, message: text.message, undecided: true})
      continue
    }
    text.value.split('\n').forEach((l, i) => {
      const user = systemCronUser(l)
      if (user && CRON_USERS.includes(user))
        findings.push({
          check: 'PSP-FILE-009',
          path: file,
          line: i + 1,
          message: `a system cron job that runs as ${user}: it runs with the proxy's SSH key whatever the account's shell`,
        })
    })
  }
  return findings
}

/** The proxy's state directory, its rotation staging and the service user's cron jobs, judged once per host. */
export const analyzeProxyState = perHost(async (host: Host): Promise<Outcome<StateAnalysis>> => {
  const staged = await stagedKeyFindings(host, Date.now())
  const findings = [...staged.findings, ...(await unexpectedFiles(host)), ...(await cronFindings(host))]
  return {state: 'judged', findings, rotating: staged.rotating}
})
