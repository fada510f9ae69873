import path from 'node:path'

import type {Host} from '../../host/host.js'
import {
  type AuthorizedKey,
  type AuthorizedKeysEntry,
  authorizedKeysEntries,
  fingerprintOfId,
  parseAuthorizedKeys,
  type PublicKey,
} from '../../parsers/authorized-keys.js'
import {type Finding, type Outcome, perHost} from '../family.js'
import {keyMaterialKind} from '../../report/redact.js'
import {
  FROM_PLACEHOLDER,
  manualDelete,
  manualReplace,
  PROXY_FORCED_COMMAND,
  replaceLine,
  restrictLine,
} from './remedy.js'
import {sedDeleteLineNumber} from '../fix.js'
import {withRemedy} from '../remedy.js'
import {analyzeProxyConfig} from '../proxy/config-analysis.js'
import {authorizedKeysSettings, expandKeysFile} from './sshd-config.js'
import {ipFamily} from '../../net/ip.js'

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

export interface KeysFileContext {
  /** Whose file it is, for messages: `root`. */
  user: string
  proxyKeys: ProxyKeys
  /** For expiry-time (default: now). */
  nowMs?: number
  /** The proxy's source subnets (allowed_source_subnets of its config), for the from= of a remedy. */
  proxyFrom?: readonly string[]
}

/** Key data quoted in a parser message, cut short: findings name keys by fingerprint, never by their data. */
const shortenKeyData = (message: string) =>
  message.replace(/([A-Za-z0-9+/]{12})[A-Za-z0-9+/=]{28,}/g, '$1...')

const sshdRefusal = (entry: {key?: PublicKey}) =>
  entry.key ? `the key ${entry.key.fingerprint} never authenticates through it` : 'no key is read from it'

/** The 16 bytes of an IPv6 address (with an IPv4 tail where written so), or undefined. */
function ipv6Bytes(text: string): number[] | undefined {
  if (ipFamily(text) !== 6) return undefined
  const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(text)?.[1]
  let hex = text
  if (v4) {
    const [a, b, c, d] = v4.split('.').map(Number) as [number, number, number, number]
    hex = `${text.slice(0, -v4.length)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`
  }
  const [head = '', tail] = hex.split('::')
  const words = (part: string) => (part === '' ? [] : part.split(':').map((w) => Number.parseInt(w, 16)))
  const left = words(head)
  const right = tail === undefined ? [] : words(tail)
  const all = [...left, ...Array<number>(8 - left.length - right.length).fill(0), ...right]
  return all.flatMap((w) => [w >> 8, w & 0xff])
}

/** The address bytes of a numeric IPv4 or IPv6 address. */
function addressBytes(text: string): number[] | undefined {
  return ipFamily(text) === 4 ? text.split('.').map(Number) : ipv6Bytes(text)
}

/**
 * One from= entry as sshd's addr_match_list reads it: an error (sshd then lets no client in through
 * the line), an address block (CIDR or a bare address), or a host name pattern.
 */
function fromEntry(raw: string): {error: string} | {bytes: number[]; bits: number} | {pattern: string} {
  const entry = raw.startsWith('!') ? raw.slice(1) : raw
  if (entry === '') return {error: 'an empty entry'}
  const slash = entry.indexOf('/')
  const address = slash < 0 ? entry : entry.slice(0, slash)
  const mask = slash < 0 ? undefined : entry.slice(slash + 1)
  const bytes = addressBytes(address)
  if (!bytes || (mask !== undefined && (!/^\d+$/.test(mask) || Number(mask) > 128))) return {pattern: entry}
  const bits = mask === undefined ? bytes.length * 8 : Number(mask)
  if (bits > bytes.length * 8)
    return {error: `/${bits} is longer than an IPv${bytes.length === 4 ? 4 : 6} address`}
  const hostBitsSet = bytes.some((byte, i) => {
    const kept = Math.max(0, Math.min(8, bits - i * 8))
    return (byte & (0xff >> kept)) !== 0
  })
  if (hostBitsSet) return {error: `${entry} has host bits set (sshd rejects it, it does not round it down)`}
  return {bytes, bits}
}

/** Why sshd lets no client in through a from= list (it rejects the whole list), if it does. */
export function fromProblem(from: string): string | undefined {
  for (const raw of from.split(',')) {
    const entry = fromEntry(raw)
    if ('error' in entry) return entry.error
  }
  return undefined
}

/** Whether a from= pattern list lets every address in (a negated entry still lets nearly every one). */
export function fromMatchesEverything(from: string): boolean {
  return from.split(',').some((raw) => {
    if (raw.startsWith('!')) return false
    const entry = fromEntry(raw)
    if ('bits' in entry) return entry.bits === 0
    return 'pattern' in entry && /^[*?.:]+$/.test(entry.pattern) && entry.pattern.includes('*')
  })
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

const PERMISSION_BITS = [...PERMISSION_OPTIONS, ['userRc', 'no-user-rc'] as const]

/**
 * The first line sshd uses for a key, as a later line with the same key is compared with it: only
 * what the comparison and PSP-KEYS-006 need, so a 100,000-line file keeps a few numbers a key
 * rather than every parsed line (bench/memory.js).
 */
interface UsedLine {
  line: number
  /** The line as written (a remedy names the text it expects). Only lines compared keep one. */
  text: string
  /** The key's `id` (its fingerprint is hashed from it only when PSP-KEYS-006 names it). */
  id: string
  restrictsFrom: boolean
  command: boolean
  /** Bit i: the permission PERMISSION_BITS[i] is allowed. */
  allowed: number
  expires: boolean
}

function usedLine(key: AuthorizedKey): UsedLine {
  let allowed = 0
  PERMISSION_BITS.forEach(([permission], bit) => {
    if (key.effective.permissions[permission]) allowed |= 1 << bit
  })
  return {
    line: key.line,
    text: key.text,
    id: key.key.id,
    restrictsFrom: restrictsFrom(key),
    command: key.effective.command !== undefined,
    allowed,
    expires: key.effective.expiryTime !== undefined,
  }
}

/** The restrictions of `later` that `used` lacks (for a key on both lines). */
function restrictionsLacking(used: UsedLine, later: AuthorizedKey): string[] {
  const lacking: string[] = []
  if (restrictsFrom(later) && !used.restrictsFrom) lacking.push(`from="${later.effective.from}"`)
  if (later.effective.command !== undefined && !used.command)
    lacking.push(`command="${later.effective.command}"`)
  PERMISSION_BITS.forEach(([permission, option], bit) => {
    if (!later.effective.permissions[permission] && (used.allowed & (1 << bit)) !== 0) lacking.push(option)
  })
  if (later.effective.expiryTime && !used.expires)
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

/**
 * The remedy of a proxy line's findings: one replacement of the line that adds every restriction
 * that can be exact (command=, the no-* options, and from= when the proxy's config names its
 * source subnets), so that each finding carries the same edit; from= that only the admin can
 * choose is a manual step with a clearly marked placeholder.
 */
function proxyLineRemedies(
  file: string,
  key: AuthorizedKey,
  findings: Finding[],
  add: {needFrom: boolean; from?: readonly string[]; command: boolean; no: string[]},
): void {
  const from = add.needFrom && add.from && add.from.length > 0 ? add.from.join(',') : undefined
  const wanted = {
    ...(from === undefined ? {} : {from}),
    ...(add.command ? {command: PROXY_FORCED_COMMAND} : {}),
    no: add.no,
  }
  const exact = restrictLine(key.text, wanted)
  const [reread] = exact === undefined ? [] : parseAuthorizedKeys(exact).entries
  const sound = reread?.kind === 'key' && reread.key.id === key.key.id && exact !== key.text
  const plan = sound ? replaceLine(file, key.line, key.text, exact as string) : undefined
  for (const f of findings) {
    if (f.check === 'PSP-KEYS-001' && from === undefined) {
      const full = restrictLine(key.text, {...wanted, from: FROM_PLACEHOLDER})
      if (full)
        Object.assign(
          f,
          manualReplace(
            file,
            key.line,
            key.text,
            full,
            `from= must list the addresses the proxy connects from, which /etc/pulse-sensor-proxy/config.yaml does not name (allowed_source_subnets): replace ${FROM_PLACEHOLDER} with them before running it (left as it is, sshd lets no client in with the key)`,
          ),
        )
    } else if (plan) Object.assign(f, withRemedy(plan))
  }
}

/** The proxy line's restrictions that the Pulse proxy hardening guide asks for (PSP-KEYS-001, 002, 003). */
function proxyLineFindings(
  file: string,
  key: AuthorizedKey,
  user: string,
  proxyFrom?: readonly string[],
): Finding[] {
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
  if (findings.length > 0)
    proxyLineRemedies(file, key, findings, {
      needFrom: from === undefined || fromMatchesEverything(from),
      ...(proxyFrom ? {from: proxyFrom} : {}),
      command: key.effective.command === undefined,
      no: allowed,
    })
  return findings
}

/**
 * A line sshd ignores or refuses is never rewritten by guesswork: the proxy's line is rewritten by
 * rotate-keys on every node; an admin's line is the admin's to correct (or remove).
 */
function ignoredLineRemedy(file: string, entry: AuthorizedKeysEntry, proxy: boolean) {
  if (proxy)
    return withRemedy({
      kind: 'manual',
      command: 'pcp-harden rotate-keys --dry-run && pcp-harden rotate-keys',
      why: "rotate-keys writes the proxy's line as sshd reads it on every node and removes the broken one",
    })
  // Key material is never quoted, not even in a command: the line goes by its number.
  if (keyMaterialKind(entry.text))
    return withRemedy({
      kind: 'manual',
      command: sedDeleteLineNumber(file, entry.line),
      why: `line ${entry.line} as audited holds key material, which is not shown: check it is still line ${entry.line} (several such lines: remove from the last one up), and replace the key if anyone else could read it`,
    })
  return manualDelete(
    file,
    entry.line,
    entry.text,
    'sshd has never let anyone in through this line: correct its options (comma-separated, no blanks, values double-quoted) if the key should log in, else remove it',
  )
}

/** How many shadowed lines a PSP-KEYS-006 message names. */
const LISTED_LINES = 5

/** Lines of one key: the same key, and a CA line apart from a plain one. */
const groupOf = (key: AuthorizedKey) => `${key.effective.certAuthority ? 'cert-authority ' : ''}${key.key.id}`

/** FNV-1a, 32 bits, over a string's UTF-16 code units. */
function fnv1a(text: string): number {
  let hash = 0x811c9dc5
  for (let i = 0; i < text.length; i++) hash = Math.imul(hash ^ text.charCodeAt(i), 0x01000193)
  return hash >>> 0
}

/** (line, hash) pairs in typed arrays: 8 bytes a line. */
class HashList {
  private lines = new Uint32Array(1024)
  private hashes = new Uint32Array(1024)
  private size = 0
  add(line: number, hash: number) {
    if (this.size === this.lines.length) {
      const grow = (old: Uint32Array) => {
        const bigger = new Uint32Array(old.length * 2)
        bigger.set(old)
        return bigger
      }
      this.lines = grow(this.lines)
      this.hashes = grow(this.hashes)
    }
    this.lines[this.size] = line
    this.hashes[this.size] = hash
    this.size++
  }
  /** The lines whose hash another line has too. */
  linesOfRepeated(): number[] {
    const sorted = this.hashes.slice(0, this.size).sort()
    const repeated = new Set<number>()
    for (let i = 1; i < sorted.length; i++) if (sorted[i] === sorted[i - 1]) repeated.add(sorted[i] as number)
    const lines: number[] = []
    for (let i = 0; i < this.size; i++)
      if (repeated.has(this.hashes[i] as number)) lines.push(this.lines[i] as number)
    return lines
  }
}

/**
 * The findings of one authorized_keys file's text, linear in its lines. sshd tries the lines in
 * order and uses the first line with the key that authorises the connection; a line whose from= does
 * not match the client lets sshd go on to a later line with the same key. So a later line with the
 * same key is never used once an earlier one has no from= (or the same from=).
 */
export function keysFileFindings(text: string, file: string, context: KeysFileContext): Finding[] {
  const {proxyKeys, user} = context
  const nowSeconds = (context.nowMs ?? Date.now()) / 1000
  const findings: Finding[] = []
  /** Per key (and whether the line is a CA): the first line without a working from=, and the first for each from=. */
  const catchers = new Map<string, {all?: UsedLine; byFrom?: Map<string, UsedLine>}>()
  const shadowed = new Map<UsedLine, {line: number; lacking: string[]}[]>()
  // Two passes, so that a 100,000-line file does not keep a record per key (bench/memory.js). The
  // first judges every line alone and notes a 32-bit hash of each usable line's key; the second
  // compares, exactly, only the lines whose hash is not unique (the same key, or a rare collision)
  // and the proxy's lines, whose findings depend on no earlier line shadowing them.
  const hashes = new HashList()
  const proxyLines: number[] = []

  for (const entry of authorizedKeysEntries(text)) {
    if (entry.kind === 'comment') continue
    const proxy = belongsToProxy(entry, proxyKeys)
    // Where a finding of this line points; the fingerprint is hashed only when a finding is made,
    // not for every line of a large file.
    const at = () => ({path: file, line: entry.line, ...(entry.key ? {evidence: entry.key.fingerprint} : {})})
    if (proxy && staleProxyKey(entry, proxyKeys))
      findings.push({
        check: 'PSP-KEYS-007',
        ...at(),
        message: `a key marked as the proxy's that is none of its current keys (${proxyKeys.files.join(', ')}): a stale key left by an earlier install or rotation`,
        ...manualDelete(
          file,
          entry.line,
          entry.text,
          "in a cluster-wide file (Proxmox links root's into /etc/pve/priv) it may be another node's proxy key: remove it once no node's proxy uses it",
        ),
      })
    if (entry.kind === 'ignored') {
      // A private key or certificate where keys should be (a symlink to ca.key): say what it looks
      // like and quote none of it.
      const material = entry.key ? undefined : keyMaterialKind(entry.text)
      findings.push({
        check: 'PSP-KEYS-004',
        ...at(),
        message: material
          ? `line ${entry.line} is not a key line: it looks like ${material}; sshd ignores it`
          : `sshd ignores this line (${shortenKeyData(entry.message)}): ${sshdRefusal(entry)}`,
        ...ignoredLineRemedy(file, entry, proxy),
      })
      continue
    }
    const badFrom = entry.effective.from === undefined ? undefined : fromProblem(entry.effective.from)
    const expiry = entry.effective.expiryTime
    // A stamp without Z is in the server's time zone: read as UTC, it is off by at most a day.
    const expired = expiry && expiry.epochSeconds < nowSeconds ? `expired on ${expiry.text}` : undefined
    const refused = entry.refused ?? (badFrom ? `from= has ${badFrom}` : expired)
    if (refused) {
      findings.push({
        check: 'PSP-KEYS-004',
        ...at(),
        message: `sshd refuses this line (${refused}): ${sshdRefusal(entry)}`,
        ...ignoredLineRemedy(file, entry, proxy),
      })
      continue
    }
    hashes.add(entry.line, fnv1a(groupOf(entry)))
    if (proxy) proxyLines.push(entry.line)
  }

  const compared = new Set([...hashes.linesOfRepeated(), ...proxyLines])
  for (const entry of authorizedKeysEntries(text, (_raw, line) => compared.has(line))) {
    if (entry.kind !== 'key') continue
    const proxy = belongsToProxy(entry, proxyKeys)
    const at = () => ({path: file, line: entry.line, evidence: entry.key.fingerprint})
    const group = groupOf(entry)
    let catcher = catchers.get(group)
    if (!catcher) {
      catcher = {}
      catchers.set(group, catcher)
    }
    const from = restrictsFrom(entry) ? entry.effective.from : undefined
    const earlier = catcher.all ?? (from === undefined ? undefined : catcher.byFrom?.get(from))
    if (earlier) {
      const lacking = restrictionsLacking(earlier, entry)
      if (lacking.length > 0) {
        const later = shadowed.get(earlier) ?? []
        later.push({line: entry.line, lacking})
        shadowed.set(earlier, later)
      } else
        findings.push({
          check: 'PSP-KEYS-005',
          ...at(),
          message: `the same key as line ${earlier.line}, which sshd uses first: this line is never used`,
          // sshd never reads past the earlier line for this key: removing the proxy's copy changes no login.
          ...(proxy
            ? withRemedy({
                kind: 'edit',
                path: file,
                edits: [{op: 'delete', line: entry.line, expect: entry.text}],
                validate: 'authorized-keys',
              })
            : manualDelete(
                file,
                entry.line,
                entry.text,
                "an admin's line: pcp-harden edits only the proxy's lines",
              )),
        })
      continue
    }
    if (from === undefined) catcher.all = usedLine(entry)
    else (catcher.byFrom ??= new Map()).set(from, usedLine(entry))
    if (proxy) findings.push(...proxyLineFindings(file, entry, user, context.proxyFrom))
  }

  for (const [used, later] of shadowed) {
    // Which of the lines for the key to keep is the admin's choice: the proxy line's own remedies
    // (that would make it equal to a later line) give way to it.
    for (const f of findings)
      if (f.line === used.line && f.remedy?.kind === 'edit')
        Object.assign(
          f,
          manualDelete(
            file,
            used.line,
            used.text,
            `line ${later[0]?.line} has the same key: remove this line to put that one in force, or restrict this one and remove that`,
          ),
        )
    findings.push({
      check: 'PSP-KEYS-006',
      path: file,
      line: used.line,
      evidence: fingerprintOfId(used.id),
      message:
        `sshd uses this line for the key, never ${later.length === 1 ? 'line' : 'lines'} ` +
        later
          .slice(0, LISTED_LINES)
          .map((l) => `${l.line} (with ${l.lacking.join(', ')})`)
          .join(', ') +
        (later.length > LISTED_LINES ? ` and ${later.length - LISTED_LINES} more` : '') +
        ': the restrictions written there are not in force',
      ...manualDelete(
        file,
        used.line,
        used.text,
        'removing the earlier, weaker line puts the restricted one in force; keep it instead if the key is meant to have its wider rights',
      ),
    })
  }
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

/**
 * Debian's sshd (user-group-modes.patch, in Debian and Proxmox) accepts a group-writable path when
 * its group has exactly one member, the path's owner, by primary group or as the only listed member.
 */
async function ownersPrivateGroup(host: Host, st: {uid: number; gid: number}): Promise<boolean> {
  const {users, groups} = await host.accounts()
  const group = groups.find((g) => g.id === st.gid)
  const owner = users.find((u) => u.id === st.uid)
  if (!group || !owner) return false
  const primary = users.filter((u) => u.gid === group.id)
  if (primary.some((u) => u.id !== st.uid)) return false
  const listed = (group.members ?? []).filter((m) => m !== '')
  if (listed.length > 1 || (listed.length === 1 && listed[0] !== owner.name)) return false
  return primary.length + listed.length > 0
}
const octal = (mode: number) => mode.toString(8).padStart(4, '0')

/**
 * sshd's StrictModes (misc.c `safe_path`) for one authorized_keys file: the file a regular file, it and
 * every directory above it up to the home directory (or /) owned by the user or root and not
 * writable by others, nor by a group other than the owner's private one (PSP-KEYS-008); group-writable
 * or looser than 0600 / 0700 otherwise (PSP-KEYS-009).
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
      for (const check of ['PSP-KEYS-008', 'PSP-KEYS-009'])
        findings.push({check, path: target, message: st.message, undecided: true})
      return
    }
    const {mode, type} = st.value
    const owner = await host.ownerOf(st.value)
    const evidence = `${octal(mode)} ${owner}`
    const problems: string[] = []
    if (kind === 'file' && type !== 'file') problems.push(`is a ${type}, not a regular file`)
    if (st.value.uid !== 0 && st.value.uid !== user.id) problems.push(`is owned by ${owner.split(':')[0]}`)
    if (mode & 0o002) problems.push('is writable by others')
    const group = owner.split(':')[1] as string
    const privateGroup = await ownersPrivateGroup(host, st.value)
    if (mode & 0o020 && !privateGroup)
      problems.push(`is writable by group ${group}, which has members other than ${owner.split(':')[0]}`)
    // Only write bits are taken (and the owner given back to the user): nothing sshd needs to read goes.
    const safe = (strip: number) => ({
      ...(st.value.uid !== 0 && st.value.uid !== user.id ? {owner: user.name} : {}),
      mode: mode & 0o7777 & ~strip,
    })
    if (problems.length > 0)
      findings.push({
        check: 'PSP-KEYS-008',
        path: target,
        evidence,
        message: `${problems.join(' and ')}: ${consequence}`,
        ...(kind === 'file' && type !== 'file'
          ? {}
          : withRemedy({
              kind: 'attrs',
              path: target,
              // Straight to the recommended mode, so that PSP-KEYS-009 has nothing left to say.
              ...safe((privateGroup ? 0o002 : 0o022) | (recommended === 0 ? 0 : 0o777 & ~recommended)),
            })),
      })
    else if (mode & 0o020)
      findings.push({
        check: 'PSP-KEYS-009',
        path: target,
        evidence,
        message: `mode ${octal(mode)} is group-writable: Debian's sshd accepts it only because group ${group} has no member but its owner; whoever joins the group can add keys`,
        ...withRemedy({
          kind: 'attrs',
          path: target,
          mode: mode & 0o7777 & ~(0o020 | (0o777 & ~(recommended || 0o777))),
        }),
      })
    else if ((mode & 0o777 & ~recommended) !== 0 && recommended !== 0)
      findings.push({
        check: 'PSP-KEYS-009',
        path: target,
        evidence,
        message: `mode ${octal(mode)} is looser than ${octal(recommended)}: others can read ${kind === 'file' ? 'which keys log in and their restrictions' : 'the keys in it'}`,
        ...withRemedy({kind: 'attrs', path: target, mode: mode & 0o7777 & ~(0o777 & ~recommended)}),
      })
  }
  await judge(file, 'file', 0o600)
  // sshd walks up the file's real path (Proxmox links root's file into /etc/pve/priv) to the real home.
  const real = async (p: string) => {
    const st = await host.stat(p, {follow: true})
    return st.ok ? st.value.resolved : path.posix.normalize(p)
  }
  const home = await real(user.home)
  for (let dir = path.posix.dirname(await real(file)); ; dir = path.posix.dirname(dir)) {
    // ~/.ssh should be 0700; the home directory and above only need to be safe from writes.
    await judge(dir, 'dir', dir === `${home}/.ssh` ? 0o700 : 0)
    if (dir === home || dir === '/') break
  }
  return findings
}

/** The checks judged from a file's lines. */
export const LINE_CHECKS = [
  'PSP-KEYS-001',
  'PSP-KEYS-002',
  'PSP-KEYS-003',
  'PSP-KEYS-004',
  'PSP-KEYS-005',
  'PSP-KEYS-006',
  'PSP-KEYS-007',
]

const undecidedLines = (file: string, message: string): Finding[] =>
  LINE_CHECKS.map((check) => ({check, path: file, message, undecided: true}))

export interface KeysAnalysis {
  /** The authorized_keys files read, in the order of the users in passwd. */
  files: string[]
}

/**
 * The proxy's source subnets as its config.yaml names them (allowed_source_subnets), when every one
 * is a valid network no wider than PSP-CONF-002 accepts: the from= a remedy may write without asking.
 */
async function configuredSourceSubnets(host: Host): Promise<string[] | undefined> {
  const config = await analyzeProxyConfig(host)
  if (config.state !== 'judged' || !config.present) return undefined
  if (config.findings.some((f) => f.check === 'PSP-CONF-002' || f.check === 'PSP-CONF-008')) return undefined
  const subnets = (config.conf.allowedSourceSubnets?.value ?? [])
    .map((s) => s.value.trim())
    .filter((s) => s !== '')
  if (subnets.length === 0 || subnets.some((s) => /[\s",\\]/.test(s))) return undefined
  return fromProblem(subnets.join(',')) === undefined && !fromMatchesEverything(subnets.join(','))
    ? subnets
    : undefined
}

/** The authorized_keys of root and every user under the root, judged once per host. */
export const analyzeKeys = perHost(async (host: Host): Promise<Outcome<KeysAnalysis>> => {
  const settings = await authorizedKeysSettings(host)
  const {users} = await host.accounts()
  const people = users.filter((u): u is typeof u & {home: string} => !!u.home)
  if (!people.some((u) => u.id === 0)) people.unshift({name: 'root', id: 0, home: '/root', line: 0})
  const proxyKeys = await readProxyKeys(host)
  const proxyFrom = await configuredSourceSubnets(host)
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
      // sshd opens a user's file with the user's rights: a link to a file the user cannot read
      // (a CA key) is read by neither sshd nor us.
      const denied = await host.unreadableBy(file, user)
      if (denied) {
        // Refused already (PSP-KEYS-008: not the user's own file): no line of it lets anyone in.
        if (!findings.some((f) => f.path === file && !f.undecided))
          findings.push(...undecidedLines(file, denied))
        continue
      }
      const text = await host.readText(file)
      if (!text.ok) {
        // Not a regular file: PSP-KEYS-008 says sshd refuses it. Otherwise no line check can decide.
        if (!findings.some((f) => f.path === file && !f.undecided))
          findings.push(...undecidedLines(file, text.message))
        continue
      }
      findings.push(
        ...keysFileFindings(text.value, file, {
          user: user.name,
          proxyKeys,
          ...(proxyFrom ? {proxyFrom} : {}),
        }),
      )
    }
  if (files.length === 0)
    return {
      state: 'absent',
      reason: `no authorized_keys file (${settings.files.join(', ') || 'AuthorizedKeysFile none'}) in any home directory`,
    }
  return {state: 'judged', files, findings}
})
