import type {Host} from '../host/host.js'

export const TLS_CONF_PATH = '/etc/pcp/tls.conf'

/**
 * The keys PCP 6 reads from tls.conf, in the order libpcp tries them (__pmGetSecureConfig in
 * src/libpcp/src/secureconnect.c): a written key selects the first of these it is a prefix of.
 */
export const TLS_KEYS = [
  'tls-cert-file',
  'tls-key-file',
  'tls-ciphers',
  'tls-ciphersuites',
  'tls-ca-cert-file',
  'tls-ca-cert-dir',
  'tls-client-cert-file',
  'tls-client-key-file',
  'tls-verify-clients',
] as const

export type TlsKey = (typeof TLS_KEYS)[number]

export interface TlsSetting {
  key: TlsKey
  /** The key as written (a prefix of `key`, e.g. `tls-ca`). */
  written: string
  value: string
  line: number
}

export interface TlsConf {
  path: string
  present: boolean
  /** The value PCP uses for each key: the last non-empty one. */
  values: Partial<Record<TlsKey, string>>
  settings: TlsSetting[]
  /** Lines PCP ignores (unknown key, no separator, no value), with why. */
  ignored: {line: number; text: string; why: string; dropped?: TlsSetting}[]
  /** Why a file that is there cannot be read (a directory, a FIFO, a symlink loop, denied, too large). */
  error?: string
}

const isSpace = (c: string | undefined) => c === ' ' || c === '\t' || c === '\r' || c === '\v' || c === '\f'

/**
 * Parse tls.conf exactly as libpcp does: `key = value` or `key: value` (the first `=` or `:`
 * separates), keys case-sensitive and matched by prefix, the value is the first word after the
 * separator and ends at whitespace or `#`, a `#` before the separator makes the line a comment,
 * the last non-empty value of a key wins. A last line without a newline is dropped, as libpcp does.
 */
export function parseTlsConf(text: string, path = TLS_CONF_PATH): TlsConf {
  const conf: TlsConf = {path, present: true, values: {}, settings: [], ignored: []}
  const lines = text.split('\n')
  lines.forEach((raw, index) => {
    const terminated = index < lines.length - 1
    if (!terminated && raw === '') return
    let i = 0
    while (isSpace(raw[i])) i++
    if (i === raw.length || raw[i] === '#') return
    const keyStart = i
    let keyEnd = -1
    let separated = false
    for (; i < raw.length; i++) {
      const c = raw[i]
      if (c === '#') break
      if (c === ':' || c === '=') {
        if (keyEnd < 0) keyEnd = i
        separated = true
        i++
        break
      }
      if (isSpace(c) && keyEnd < 0) keyEnd = i
    }
    const written = raw.slice(keyStart, keyEnd < 0 ? i : keyEnd)
    const ignore = (why: string, dropped?: TlsSetting) =>
      conf.ignored.push({line: index + 1, text: raw, why, ...(dropped ? {dropped} : {})})
    if (!separated)
      return ignore(
        raw[i] === '#' ? 'a "#" before the separator comments the line out' : 'no "=" or ":" after the key',
      )
    const key = TLS_KEYS.find((k) => k.startsWith(written))
    if (!key) return ignore(`unknown key "${written}": PCP ignores it`)
    while (isSpace(raw[i])) i++
    let end = i
    while (end < raw.length && raw[end] !== '#' && !isSpace(raw[end])) end++
    const value = raw.slice(i, end)
    if (value === '') return ignore(`no value for ${key}`)
    if (end === raw.length && !terminated)
      return ignore(`the last line has no newline: PCP drops ${key}`, {key, written, value, line: index + 1})
    conf.settings.push({key, written, value, line: index + 1})
    conf.values[key] = value
  })
  return conf
}

/** The root's tls.conf; an absent or unreadable file reads as empty, the unreadable one with its error. */
export async function readTlsConf(host: Host, path = TLS_CONF_PATH): Promise<TlsConf> {
  const text = await host.readText(path)
  if (!text.ok)
    return {
      path,
      present: false,
      values: {},
      settings: [],
      ignored: [],
      ...(text.missing ? {} : {error: text.message}),
    }
  return parseTlsConf(text.value, path)
}
