import {InputError} from '../engine/errors.js'

/**
 * The Pulse sensor proxy's log (rcourtman/Pulse cmd/pulse-sensor-proxy, zerolog): as a journal
 * export (`journalctl -u pulse-sensor-proxy -o export`), as journal JSON (`-o json`), or as its
 * own JSON log (one zerolog object per line: `level`, `message`, `time`, `uid`). The messages
 * counted are the proxy's own: `Peer authorization failed` (a peer uid that is not allowed),
 * `Rate limit exceeded`, and SSH failures (`Failed to push SSH key`, and any other message that
 * names SSH and a failure).
 */
export interface ProxyEvents {
  rateLimitHits: Date[]
  sshFailures: Date[]
  unknownPeers: Date[]
}

interface Entry {
  at: Date | undefined
  message: string
}

const PEER = /\bPeer authorization failed\b/
const RATE = /\bRate limit exceeded\b/
const SSH = /\bSSH\b/i
const FAILED = /\bfail(ed|ure)?\b/i

export function countProxyEvents(entries: readonly Entry[], fallback: Date): ProxyEvents {
  const events: ProxyEvents = {rateLimitHits: [], sshFailures: [], unknownPeers: []}
  for (const {at, message} of entries) {
    const when = at ?? fallback
    if (PEER.test(message)) events.unknownPeers.push(when)
    else if (RATE.test(message)) events.rateLimitHits.push(when)
    else if (SSH.test(message) && FAILED.test(message)) events.sshFailures.push(when)
  }
  return events
}

/** The entries of a proxy log in any of the three forms; a malformed line is named by file and line. */
export function parseProxyLog(text: string, file: string): Entry[] {
  const first = text.trimStart()
  if (first.startsWith('{')) return parseJsonLines(text, file)
  if (/^[A-Z_][A-Z0-9_]*=/m.test(first.split('\n', 1)[0] ?? '')) return parseExport(text)
  throw new InputError(`${file}:1: not a journal export (journalctl -o export) or a JSON log`)
}

function parseJsonLines(text: string, file: string): Entry[] {
  const entries: Entry[] = []
  text.split('\n').forEach((line, i) => {
    if (line.trim() === '') return
    let data: unknown
    try {
      data = JSON.parse(line)
    } catch {
      throw new InputError(`${file}:${i + 1}: not a JSON object`)
    }
    if (typeof data !== 'object' || data === null || Array.isArray(data))
      throw new InputError(`${file}:${i + 1}: not a JSON object`)
    const o = data as Record<string, unknown>
    if (typeof o.MESSAGE === 'string') {
      entries.push({at: fromMicros(o.__REALTIME_TIMESTAMP), message: o.MESSAGE})
    } else if (typeof o.message === 'string') {
      entries.push({at: fromZerolog(o.time), message: o.message})
    }
  })
  return entries
}

/** Journal export format: entries separated by a blank line, `FIELD=value` per line (text fields). */
function parseExport(text: string): Entry[] {
  const entries: Entry[] = []
  for (const block of text.split(/\n\n+/)) {
    const fields = new Map<string, string>()
    for (const line of block.split('\n')) {
      const eq = line.indexOf('=')
      // A binary field is `NAME` alone, then its length and bytes: skipped, like its data.
      if (eq > 0 && /^[A-Z_][A-Z0-9_]*$/.test(line.slice(0, eq)))
        fields.set(line.slice(0, eq), line.slice(eq + 1))
    }
    const message = fields.get('MESSAGE')
    if (message !== undefined) entries.push({at: fromMicros(fields.get('__REALTIME_TIMESTAMP')), message})
  }
  return entries
}

function fromMicros(value: unknown): Date | undefined {
  const n = typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : Number.NaN
  return Number.isFinite(n) ? new Date(n / 1000) : undefined
}

/** zerolog's `time`: Unix seconds (the proxy sets TimeFormatUnix) or RFC 3339. */
function fromZerolog(value: unknown): Date | undefined {
  if (typeof value === 'number') return new Date(value * 1000)
  if (typeof value === 'string') {
    const d = new Date(value)
    return Number.isNaN(d.getTime()) ? undefined : d
  }
  return undefined
}
