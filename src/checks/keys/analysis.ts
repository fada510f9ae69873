import path from 'node:path'

import type {Host} from '../../host/host.js'
import {
  type AuthorizedKey,
  type AuthorizedKeysEntry,
  parseAuthorizedKeys,
  type PublicKey,
} from '../../parsers/authorized-keys.js'
import {type Finding, type Outcome, perHost} from '../family.js'
import {authorizedKeysSettings, expandKeysFile} from './sshd-config.js'

export const PROXY_STATE_DIR = '/var/lib/pulse-sensor-proxy'
/** The key the proxy logs in with. */
export const ACTIVE_KEY = `${PROXY_STATE_DIR}/ssh/id_ed25519.pub`
/** Every public key of the proxy that may be deployed on a node: the active one, and rotation's staged and previous ones. */
export const PROXY_PUBLIC_KEYS = [
  ACTIVE_KEY,
  `${PROXY_STATE_DIR}/ssh.d/next/id_ed25519.pub`,
  `${PROXY_STATE_DIR}/ssh.d/prev/id_ed25519.pub`,
]

/** The comment every writer of the proxy gives its key, and the installer's marker. */
const PROXY_COMMENT = 'pulse-sensor-proxy'
const INSTALLER_MARKER = '# pulse-managed-key'

/** The proxy's public keys, as far as they are known (by their `id`), and the files they came from. */
export interface ProxyKeys {
  ids: Set<string>
  files: string[]
}

/** Whose file it is, for messages: `root`. */
export interface KeysFileContext {
  user: string
  proxyKeys: ProxyKeys
}

const sshdRefusal = (entry: {key?: PublicKey}) =>
  entry.key ? `the key ${entry.key.fingerprint} never authenticates through it` : 'no key is read from it'

/** A from= entry that matches every address: `*`, `*.*.*.*`, `0.0.0.0/0`, `::/0`. */
function matchesEverything(entry: string): boolean {
  if (entry.startsWith('!')) return false
  if (/^[*?.:]+$/.test(entry) && entry.includes('*')) return true
  return /\/0+$/.test(entry)
}

/** Whether a from= pattern list lets every address in (a negated entry still lets nearly every one). */
export function fromMatchesEverything(from: string): boolean {
  return from.split(',').some(matchesEverything)
}

/** A restriction in force: from= that is not match-all. */
const restrictsFrom = (key: AuthorizedKey) =>
  key.effective.from !== undefined && !fromMatchesEverything(key.effective.from)

const PERMISSION_OPTIONS = [
  ['portForwarding', 'no-port-forwarding'],
  ['x11Forwarding', 'no-X11-forwarding'],
  ['agentForwarding', 'no-agent-forwarding'],
  ['pty', 'no-pty'],
] as const

/** The restrictions of `later` that `used` lacks (for a key on both lines). */
function restrictionsLacking(used: AuthorizedKey, later: AuthorizedKey): string[] {
  const lacking: string[] = []
  if (restrictsFrom(later) && !restrictsFrom(used)) lacking.push(`from="${later.effective.from}"`)
  if (later.effective.command !== undefined && used.effective.command === undefined)
    lacking.push(`command="${later.effective.command}"`)
  for (const [permission, option] of [...PERMISSION_OPTIONS, ['userRc', 'no-user-rc'] as const])
    if (!later.effective.permissions[permission] && used.effective.permissions[permission])
      lacking.push(option)
  if (later.effective.expiryTime && !used.effective.expiryTime)
    lacking.push(`expiry-time="${later.effective.expiryTime.text}"`)
  return lacking
}

function belongsToProxy(entry: AuthorizedKeysEntry, proxyKeys: ProxyKeys): boolean {
  if (entry.kind === 'comment') return false
  const marked = entry.kind === 'key' ? entry.comment : entry.text
  return (
    marked.includes(PROXY_COMMENT) ||
    entry.text.includes(INSTALLER_MARKER) ||
    (entry.key !== undefined && proxyKeys.ids.has(entry.key.id))
  )
}

/** A line of the proxy's (by its comment or marker) whose key is none of the proxy's known keys. */
function staleProxyKey(entry: AuthorizedKeysEntry, proxyKeys: ProxyKeys): boolean {
  if (entry.kind === 'comment' || !entry.key || proxyKeys.ids.size === 0) return false
  return !proxyKeys.ids.has(entry.key.id)
}

/** The proxy line's restrictions that seed 004 asks for (PSP-KEYS-001, 002, 003). */
function proxyLineFindings(file: string, key: AuthorizedKey, user: string): Finding[] {
  const at = {path: file, line: key.line, evidence: key.key.fingerprint}
  const findings: Finding[] = []
  const from = key.effective.from
  if (from === undefined)
    findings.push({
      check: 'PSP-KEYS-001',
      ...at,
      message: `the proxy's key has no from= restriction: whoever holds the key logs in as ${user} from any address`,
    })
  else if (fromMatchesEverything(from))
    findings.push({
      check: 'PSP-KEYS-001',
      ...at,
      message: `the proxy's key has from="${from}", which matches every address`,
    })
  if (key.effective.command === undefined)
    findings.push({
      check: 'PSP-KEYS-002',
      ...at,
      message: `the proxy's key has no forced command: it opens a full ${user} shell, not only "sensors -j"`,
    })
  const allowed = PERMISSION_OPTIONS.filter(([permission]) => key.effective.permissions[permission]).map(
    ([, option]) => option,
  )
  if (allowed.length > 0)
    findings.push({
      check: 'PSP-KEYS-003',
      ...at,
      message: `the proxy's key lacks ${allowed.join(', ')}${key.effective.restrict ? ' (restrict is re-enabled by a later option)' : ''}`,
    })
  return findings
}

/**
 * The findings of one authorized_keys file's text, linear in its lines. sshd tries the lines in
 * order and uses the first line with the key that authorises the connection; a line whose from= does
 * not match the client lets sshd go on to a later line with the same key. So a later line with the
 * same key is never used once an earlier one has no from= (or the same from=).
 */
export function keysFileFindings(text: string, file: string, context: KeysFileContext): Finding[] {
  const {proxyKeys, user} = context
  const findings: Finding[] = []
  /** Per key (and whether the line is a CA): the first line without a working from=, and the first for each from=. */
  const catchers = new Map<string, {all?: AuthorizedKey; byFrom: Map<string, AuthorizedKey>}>()
  const shadowed = new Map<AuthorizedKey, {line: number; lacking: string[]}[]>()

  for (const entry of parseAuthorizedKeys(text).entries) {
    if (entry.kind === 'comment') continue
    const proxy = belongsToProxy(entry, proxyKeys)
    const evidence = entry.key?.fingerprint
    const at = {path: file, line: entry.line, ...(evidence ? {evidence} : {})}
    if (proxy && staleProxyKey(entry, proxyKeys))
      findings.push({
        check: 'PSP-KEYS-007',
        ...at,
        message: `a key marked as the proxy's that is none of its current keys (${proxyKeys.files.join(', ')}): a stale key left by an earlier install or rotation`,
      })
    if (entry.kind === 'ignored') {
      findings.push({
        check: 'PSP-KEYS-004',
        ...at,
        message: `sshd ignores this line (${entry.message}): ${sshdRefusal(entry)}`,
      })
      continue
    }
    if (entry.refused) {
      findings.push({
        check: 'PSP-KEYS-004',
        ...at,
        message: `sshd refuses this line (${entry.refused}): ${sshdRefusal(entry)}`,
      })
      continue
    }
    const group = `${entry.effective.certAuthority ? 'cert-authority ' : ''}${entry.key.id}`
    let catcher = catchers.get(group)
    if (!catcher) {
      catcher = {byFrom: new Map()}
      catchers.set(group, catcher)
    }
    const from = restrictsFrom(entry) ? entry.effective.from : undefined
    const earlier = catcher.all ?? (from === undefined ? undefined : catcher.byFrom.get(from))
    if (earlier) {
      const lacking = restrictionsLacking(earlier, entry)
      if (lacking.length > 0) {
        const later = shadowed.get(earlier) ?? []
        later.push({line: entry.line, lacking})
        shadowed.set(earlier, later)
      } else
        findings.push({
          check: 'PSP-KEYS-005',
          ...at,
          message: `the same key as line ${earlier.line}, which sshd uses first: this line is never used`,
        })
      continue
    }
    if (from === undefined) catcher.all = entry
    else catcher.byFrom.set(from, entry)
    if (proxy) findings.push(...proxyLineFindings(file, entry, user))
  }

  for (const [used, later] of shadowed)
    findings.push({
      check: 'PSP-KEYS-006',
      path: file,
      line: used.line,
      evidence: used.key.fingerprint,
      message:
        `sshd uses this line for the key, never ${later.length === 1 ? 'line' : 'lines'} ` +
        later.map((l) => `${l.line} (with ${l.lacking.join(', ')})`).join(', ') +
        ': the restrictions written there are not in force',
    })
  return findings.sort((a, b) => (a.line ?? 0) - (b.line ?? 0))
}

/** Read the proxy's public keys under the root (none when it is not installed there). */
export async function readProxyKeys(host: Host): Promise<ProxyKeys> {
  const keys: ProxyKeys = {ids: new Set(), files: []}
  for (const file of PROXY_PUBLIC_KEYS) {
    const text = await host.readText(file)
    if (!text.ok) continue
    const found = parseAuthorizedKeys(text.value).entries.filter((e) => e.kind === 'key')
    for (const e of found) keys.ids.add(e.key.id)
    if (found.length > 0) keys.files.push(file)
  }
  return keys
}

/** Public key text (ssh-keygen's .pub lines) as the proxy's keys, for `keys lint --proxy-key`. */
export function proxyKeysFromText(texts: {file: string; text: string}[]): ProxyKeys {
  const keys: ProxyKeys = {ids: new Set(), files: []}
  for (const {file, text} of texts) {
    for (const e of parseAuthorizedKeys(text).entries) if (e.kind === 'key') keys.ids.add(e.key.id)
    keys.files.push(file)
  }
  return keys
}

const writableByOthers = (mode: number) => (mode & 0o022) !== 0
const octal = (mode: number) => mode.toString(8).padStart(4, '0')

/**
 * sshd's StrictModes (misc.c `safe_path`) for one authorized_keys file: the file a regular file, it and
 * every directory above it up to the home directory (or /) owned by the user or root and not
 * writable by group or others (PSP-KEYS-008); looser than 0600 / 0700 otherwise (PSP-KEYS-009).
 */
async function strictModesFindings(
  host: Host,
  file: string,
  user: {name: string; id: number; home: string},
  strictModes: boolean,
  reported: Set<string>,
): Promise<Finding[]> {
  const findings: Finding[] = []
  const consequence = strictModes
    ? `sshd (StrictModes) refuses every key in ${file}`
    : `StrictModes is off, so whoever can write it can add a key that logs in as ${user.name}`
  const judge = async (target: string, kind: 'file' | 'dir', recommended: number) => {
    if (reported.has(target)) return
    reported.add(target)
    const st = await host.stat(target, {follow: true})
    if (!st.ok) {
      findings.push({check: 'PSP-KEYS-008', path: target, message: st.message, undecided: true})
      return
    }
    const {mode, type} = st.value
    const owner = await host.ownerOf(st.value)
    const evidence = `${octal(mode)} ${owner}`
    const problems: string[] = []
    if (kind === 'file' && type !== 'file') problems.push(`is a ${type}, not a regular file`)
    if (st.value.uid !== 0 && st.value.uid !== user.id) problems.push(`is owned by ${owner.split(':')[0]}`)
    if (writableByOthers(mode)) problems.push(`is writable by ${mode & 0o020 ? 'its group' : 'others'}`)
    if (problems.length > 0)
      findings.push({
        check: 'PSP-KEYS-008',
        path: target,
        evidence,
        message: `${problems.join(' and ')}: ${consequence}`,
      })
    else if ((mode & 0o777 & ~recommended) !== 0 && recommended !== 0)
      findings.push({
        check: 'PSP-KEYS-009',
        path: target,
        evidence,
        message: `mode ${octal(mode)} is looser than ${octal(recommended)}: others can read ${kind === 'file' ? 'which keys log in and their restrictions' : 'the keys in it'}`,
      })
  }
  await judge(file, 'file', 0o600)
  const home = path.posix.normalize(user.home)
  for (let dir = path.posix.dirname(file); ; dir = path.posix.dirname(dir)) {
    // ~/.ssh should be 0700; the home directory and above only need to be safe from writes.
    await judge(dir, 'dir', dir === `${home}/.ssh` ? 0o700 : 0)
    if (dir === home || dir === '/') break
  }
  return findings
}

export interface KeysAnalysis {
  /** The authorized_keys files read, in the order of the users in passwd. */
  files: string[]
}

/** The authorized_keys of root and every user under the root, judged once per host. */
export const analyzeKeys = perHost(async (host: Host): Promise<Outcome<KeysAnalysis>> => {
  const settings = await authorizedKeysSettings(host)
  const {users} = await host.accounts()
  const people = users.filter((u): u is typeof u & {home: string} => !!u.home)
  if (!people.some((u) => u.id === 0)) people.unshift({name: 'root', id: 0, home: '/root', line: 0})
  const proxyKeys = await readProxyKeys(host)
  const findings: Finding[] = []
  const files: string[] = []
  const reported = new Set<string>()
  for (const user of people)
    for (const pattern of settings.files) {
      const file = expandKeysFile(pattern, user)
      if (file === undefined || files.includes(file)) continue
      const st = await host.stat(file, {follow: true})
      if (!st.ok && st.missing) continue
      files.push(file)
      findings.push(...(await strictModesFindings(host, file, user, settings.strictModes, reported)))
      const text = await host.readText(file)
      if (!text.ok) {
        if (!findings.some((f) => f.path === file))
          findings.push({check: 'PSP-KEYS-004', path: file, message: text.message, undecided: true})
        continue
      }
      findings.push(...keysFileFindings(text.value, file, {user: user.name, proxyKeys}))
    }
  if (files.length === 0)
    return {
      state: 'absent',
      reason: `no authorized_keys file (${settings.files.join(', ') || 'AuthorizedKeysFile none'}) in any home directory`,
    }
  return {state: 'judged', files, findings}
})
