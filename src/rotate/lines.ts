import {parseAuthorizedKeys, parsePublicKey, type PublicKey} from '../parsers/authorized-keys.js'

/** The comment of the proxy's line, as the installer and the rotation script wrote it. */
export const PROXY_COMMENT = 'pulse-sensor-proxy'

/** A public key as the .pub file holds it: `type base64 [comment]`, read by the exact parser. */
export function readPublicKey(text: string): PublicKey | undefined {
  const [type, data] = text.trim().split(/\s+/)
  if (!type || !data) return undefined
  const key = parsePublicKey(type, data)
  return 'error' in key ? undefined : key
}

/**
 * The restricted line the proxy's key gets on every node, exactly as issue 7 and the Pulse proxy hardening guide give it.
 * Refused (Error) when sshd would not read it back with this from= and command.
 */
export function proxyLine(publicKey: string, subnets: readonly string[], forcedCommand: string): string {
  const [type, data] = publicKey.trim().split(/\s+/)
  if (/[\n\r\0]/.test(forcedCommand) || /\\("|$)/.test(forcedCommand))
    throw new Error(
      'the forced command may hold no newline, no NUL and no backslash before a quote or at its end',
    )
  const command = forcedCommand.replace(/"/g, '\\"')
  const line =
    `from="${subnets.join(',')}",command="${command}",no-port-forwarding,no-X11-forwarding,` +
    `no-agent-forwarding,no-pty ${type} ${data} ${PROXY_COMMENT}`
  const [entry] = parseAuthorizedKeys(line).entries
  if (
    entry?.kind !== 'key' ||
    entry.effective.command !== forcedCommand ||
    entry.effective.from !== subnets.join(',')
  )
    throw new Error(`sshd would not read the line as meant: ${line}`)
  return line
}

/** What an edit of one authorized_keys file does. */
export interface KeysEdit {
  content: Buffer
  /** The wanted line was appended (it was not there exactly as wanted). */
  added: boolean
  /** 1-based numbers (in the old file) of the lines removed. */
  removed: number[]
}

/**
 * Add `add` (unless the file already has exactly this line) and remove every other line, used or
 * ignored by sshd, that carries one of the keys in `removeKeyIds` or add's own key. Every other line
 * is kept byte for byte, line endings included.
 */
export function editAuthorizedKeys(
  before: Buffer,
  change: {add?: string; removeKeyIds: readonly string[]},
): KeysEdit {
  const text = before.toString('utf8')
  const addKey = change.add === undefined ? undefined : lineKeyId(change.add)
  const drop = new Set(change.removeKeyIds)
  if (addKey) drop.add(addKey)
  const removed: number[] = []
  let kept = false
  for (const entry of parseAuthorizedKeys(text).entries) {
    if (entry.kind === 'comment' || !entry.key || !drop.has(entry.key.id)) continue
    if (change.add !== undefined && !kept && entry.text === change.add) {
      kept = true
      continue
    }
    removed.push(entry.line)
  }
  const gone = new Set(removed)
  const out = byteLines(before).filter((_, index) => !gone.has(index + 1))
  const added = change.add !== undefined && !kept
  if (added) {
    const last = out.at(-1)
    if (last && last.at(-1) !== 0x0a) out.push(Buffer.from('\n'))
    out.push(Buffer.from(`${change.add}\n`))
  }
  return {content: Buffer.concat(out), added, removed}
}

/** The key id of one authorized_keys line (undefined when the line carries no key). */
export function lineKeyId(line: string): string | undefined {
  const [entry] = parseAuthorizedKeys(line).entries
  return entry && entry.kind !== 'comment' ? entry.key?.id : undefined
}

/** A file's lines as bytes, each with its line ending, so that what is kept is exactly what was there. */
export function byteLines(before: Buffer): Buffer[] {
  const lines: Buffer[] = []
  let start = 0
  for (let i = 0; i <= before.length; i++) {
    if (i === before.length || before[i] === 0x0a) {
      if (i < before.length || start < before.length)
        lines.push(before.subarray(start, Math.min(i + 1, before.length)))
      start = i + 1
    }
  }
  return lines
}
