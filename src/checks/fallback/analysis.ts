import path from 'node:path'

import type {Host} from '../../host/host.js'
import {type AuthorizedKeysEntry, authorizedKeysEntries} from '../../parsers/authorized-keys.js'
import {type Finding, type Outcome, perHost} from '../family.js'
import {sedReplaceLine} from '../fix.js'
import {fromMatchesEverything} from '../keys/analysis.js'
import {restrictLine} from '../keys/remedy.js'
import {withRemedy} from '../remedy.js'
import {authorizedKeysFiles} from '../legacy/keys-files.js'

/** The marker the node setup script the Pulse server generates puts at the end of its line. */
export const FALLBACK_MARKER = /#\s*pulse-sensors(?:\s|$)/
/** The wrapper that setup script installs (Pulse 5.1.15 and later; before: `sensors -j`). */
export const SENSORS_WRAPPER = '/usr/local/sbin/pulse-sensors'
/** root's PATH for a forced command (Debian's sshd default for uid 0). */
const ROOT_PATH = ['/usr/local/sbin', '/usr/local/bin', '/usr/sbin', '/usr/bin', '/sbin', '/bin']

export const isFallbackLine = (entry: AuthorizedKeysEntry) =>
  entry.kind !== 'comment' && FALLBACK_MARKER.test(entry.text)

export interface FallbackAnalysis {
  /** The lines found, as `file:line`. */
  lines: string[]
  files: string[]
}

const octal = (mode: number) => mode.toString(8).padStart(4, '0')

/** The program a forced command runs: its first word, looked up in root's PATH when it has no slash. */
async function commandFile(host: Host, command: string): Promise<string | undefined> {
  const word = command.trim().split(/\s+/)[0] ?? ''
  if (word === '') return undefined
  if (word.includes('/')) return path.posix.normalize(word)
  for (const dir of ROOT_PATH) if (await host.exists(`${dir}/${word}`)) return `${dir}/${word}`
  return undefined
}

/**
 * PULSE-SSH-002: the forced command runs as root for whoever holds the key; the file and every
 * directory above it must be root's and writable by nobody else (group root aside).
 */
async function commandFindings(
  host: Host,
  file: string,
  at: {path: string; line: number},
  reported: Set<string>,
): Promise<Finding[]> {
  const findings: Finding[] = []
  const chain: string[] = []
  const st = await host.stat(file, {follow: true})
  const real = st.ok ? st.value.resolved : file
  if (st.ok) chain.push(real)
  for (let dir = path.posix.dirname(real); ; dir = path.posix.dirname(dir)) {
    chain.push(dir)
    if (dir === '/') break
  }
  for (const target of chain) {
    if (reported.has(target)) continue
    reported.add(target)
    const s = await host.stat(target, {follow: true})
    if (!s.ok) {
      if (!s.missing)
        findings.push({check: 'PULSE-SSH-002', path: target, message: s.message, undecided: true})
      continue
    }
    const {mode, uid, gid} = s.value
    const problems: string[] = []
    const owner = await host.ownerOf(s.value)
    if (uid !== 0) problems.push(`is owned by ${owner.split(':')[0]}`)
    if (mode & 0o002) problems.push('is writable by others')
    if (mode & 0o020 && gid !== 0) problems.push(`is writable by group ${owner.split(':')[1]}`)
    if (problems.length === 0) continue
    const fix = uid !== 0 ? `chown root:root ${target} && chmod go-w ${target}` : `chmod go-w ${target}`
    const strip = 0o002 | (gid === 0 ? 0 : 0o020)
    findings.push({
      ...withRemedy({
        kind: 'attrs',
        path: target,
        ...(uid === 0 ? {} : {owner: 'root', group: 'root'}),
        mode: mode & 0o7777 & ~(uid === 0 ? strip : 0o022),
      }),
      check: 'PULSE-SSH-002',
      path: target,
      evidence: `${octal(mode)} ${owner}`,
      message:
        `${problems.join(' and ')}: the Pulse sensors key runs ${file} as root (${at.path}:${at.line}), so whoever can change ` +
        `${target === real ? 'it' : 'what lies below it'} runs any command as root through that key; ${fix}`,
    })
  }
  return findings
}

/** The placeholder of the Pulse server's address: only the admin knows it, and sshd lets no client in with it. */
export const PULSE_SERVER_PLACEHOLDER = '<ADDRESS-OF-THE-PULSE-SERVER>'

const NEEDS_ADDRESS =
  `only the admin knows the Pulse server's address: replace ${PULSE_SERVER_PLACEHOLDER} with it before running ` +
  'the command (left as it is, sshd lets no client in with the key)'

/** PULSE-SSH-001: from= added to Pulse's own line, key byte-identical, with the address left to the admin. */
function fromRemedy(file: string, entry: AuthorizedKeysEntry) {
  const line = restrictLine(entry.text, {from: PULSE_SERVER_PLACEHOLDER})
  return line === undefined
    ? {}
    : withRemedy({
        kind: 'manual',
        command: sedReplaceLine(file, entry.text, line, entry.line),
        why: NEEDS_ADDRESS,
      })
}

/**
 * PULSE-SSH-003: the line as the fixed setup script (5.1.15) writes it, around the key found on the
 * broken line, with from= to fill. Manual: it turns on a login that never worked.
 */
async function rewrittenFallbackLine(host: Host, file: string, entry: AuthorizedKeysEntry) {
  const key = /(?:^|[\s,"])((?:ssh|ecdsa|sk)-[A-Za-z0-9@.-]+ [A-Za-z0-9+/]+={0,3})(?:\s|$)/.exec(
    entry.text,
  )?.[1]
  if (!key) return {}
  const command = (await host.exists(SENSORS_WRAPPER)) ? SENSORS_WRAPPER : 'sensors -j'
  const line =
    `from="${PULSE_SERVER_PLACEHOLDER}",command="${command}",no-port-forwarding,no-X11-forwarding,` +
    `no-agent-forwarding,no-pty ${key} # pulse-sensors`
  return withRemedy({
    kind: 'manual',
    command: sedReplaceLine(file, entry.text, line, entry.line),
    why: `${NEEDS_ADDRESS}; the rewritten line lets Pulse read temperatures over SSH again, which the broken one never did`,
  })
}

/** The `# pulse-sensors` lines of the SSH fallback in every authorized_keys file under the root. */
export const analyzeFallback = perHost(async (host: Host): Promise<Outcome<FallbackAnalysis>> => {
  const {files} = await authorizedKeysFiles(host)
  const findings: Finding[] = []
  const lines: string[] = []
  const reported = new Set<string>()
  for (const file of files)
    // Only marked lines are parsed: the marker is in the line's raw text.
    for (const entry of authorizedKeysEntries(file.text, (raw) => FALLBACK_MARKER.test(raw))) {
      if (entry.kind === 'comment' || !isFallbackLine(entry)) continue
      lines.push(`${file.path}:${entry.line}`)
      const at = {
        check: '',
        path: file.path,
        line: entry.line,
        ...(entry.key ? {evidence: entry.key.fingerprint} : {}),
      }
      if (entry.kind === 'ignored') {
        findings.push({
          ...at,
          check: 'PULSE-SSH-003',
          message:
            `sshd ignores this line (${entry.message.replace(/([A-Za-z0-9+/]{12})[A-Za-z0-9+/=]{28,}/g, '$1...')}): Pulse reads no temperatures over SSH through it; ` +
            'rerun the node setup script of Pulse 5.1.15 or later (earlier ones broke on their own quotes), or rewrite the options with plain double quotes',
          ...(await rewrittenFallbackLine(host, file.path, entry)),
        })
        continue
      }
      if (entry.kind !== 'key') continue
      const from = entry.effective.from
      if (from === undefined || fromMatchesEverything(from))
        findings.push({
          ...at,
          check: 'PULSE-SSH-001',
          message:
            `${from === undefined ? 'no from= restriction' : `from="${from}" matches every address`}: whoever holds the Pulse server's sensors key ` +
            `runs its forced command as ${file.user} from any address; prefix the line with from="<the Pulse server's address>" as Pulse's SECURITY.md asks`,
          ...fromRemedy(file.path, entry),
        })
      const command = entry.effective.command
      const program = command === undefined ? undefined : await commandFile(host, command)
      if (program) findings.push(...(await commandFindings(host, program, at, reported)))
    }
  if (lines.length === 0)
    return {state: 'absent', reason: 'no # pulse-sensors line in any authorized_keys file'}
  return {state: 'judged', findings, lines, files: [...new Set(lines.map((l) => l.replace(/:\d+$/, '')))]}
})
