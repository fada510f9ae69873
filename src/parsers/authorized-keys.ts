/**
 * OpenSSH authorized_keys as sshd 9.x reads it (auth2-pubkeyfile.c `auth_check_authkey_line`,
 * auth-options.c `sshauthopt_parse`, sshkey.c `sshkey_read`). The parser is pure and never throws:
 * every non-blank line comes back as a key sshd uses, a line sshd ignores (with sshd's reason), or a
 * comment. Which line wins for a key (the first that matches) is the checker's business; each key
 * carries an `id` that is equal for the same key however it is written.
 */

import {createHash} from 'node:crypto'

/** What sshd permits a session authenticated by the key (auth-options.c defaults: all on). */
export interface KeyPermissions {
  portForwarding: boolean
  agentForwarding: boolean
  x11Forwarding: boolean
  pty: boolean
  userRc: boolean
  /** FIDO keys only: a touch is required (`no-touch-required` turns it off). */
  touchRequired: boolean
  /** FIDO keys only: user verification (PIN) is required (`verify-required`). */
  verifyRequired: boolean
}

/** `expiry-time="YYYYMMDD[HHMM[SS]][Z|UTC]"`. */
export interface ExpiryTime {
  text: string
  /** False: sshd reads the stamp in the server's local time zone. */
  utc: boolean
  /** Seconds since the epoch, reading the stamp as UTC (exact when `utc`). */
  epochSeconds: number
}

/** The options of a line after sshd has applied them in order. */
export interface EffectiveKeyOptions {
  /** `restrict` was given (it turns off every permission, including any added in future). */
  restrict: boolean
  permissions: KeyPermissions
  /** The key is a certificate authority: sshd never accepts it as a plain user key. */
  certAuthority: boolean
  command?: string
  /** The `from=` pattern list (hosts and addresses, `*`, `?`, `!` negation, CIDR). */
  from?: string
  principals?: string
  /** `NAME=value` strings; of the same name only the first counts (and only with PermitUserEnvironment). */
  environment: string[]
  permitOpen: string[]
  /** As sshd records them: a bare port is stored as `*:port`. */
  permitListen: string[]
  tunnel?: string
  /** The earliest `expiry-time`. */
  expiryTime?: ExpiryTime
}

/** One option as written on the line. */
export interface KeyOption {
  /** The keyword, lower-cased, with its `no-` prefix when negated: `no-pty`, `command`. */
  name: string
  /** The dequoted value of a `name="value"` option. */
  value?: string
}

/** A public key read from its type and base64 data. */
export interface PublicKey {
  /** The type as written before the data (`rsa-sha2-256` is accepted for an RSA key). */
  declaredType: string
  /** The type named inside the key data. */
  type: string
  /** Canonical type and base64 of the key: the same key however it is written. */
  id: string
  /** `SHA256:` and the unpadded base64 of the key's SHA-256, as `ssh-keygen -lf` prints it. */
  fingerprint: string
  /** Key size as `ssh-keygen -l` prints it. */
  bits: number
  /** An OpenSSH certificate (its signature is not verified here). */
  certificate: boolean
}

/** A line sshd uses. */
export interface AuthorizedKey {
  kind: 'key'
  line: number
  text: string
  options: KeyOption[]
  effective: EffectiveKeyOptions
  key: PublicKey
  comment: string
  /** sshd finds the key on this line but always refuses it (e.g. `principals=` without `cert-authority`). */
  refused?: string
}

/**
 * Why sshd skips a line: `unterminated-quote` and `bad-options` are logged by sshd ("bad key options: ..."),
 * `no-key` is skipped silently (sshd found no key where it looked for one).
 */
export type IgnoredReason = 'unterminated-quote' | 'bad-options' | 'no-key'

/** A line sshd skips: no key on it ever authenticates through it. */
export interface IgnoredLine {
  kind: 'ignored'
  line: number
  text: string
  reason: IgnoredReason
  message: string
  /** The key on the line, when one can be read from it: the key sshd would use had the line been right. */
  key?: PublicKey
}

export interface CommentLine {
  kind: 'comment'
  line: number
  text: string
}

export type AuthorizedKeysEntry = AuthorizedKey | IgnoredLine | CommentLine

export interface AuthorizedKeys {
  /** Every non-blank line, in file order. */
  entries: AuthorizedKeysEntry[]
}

interface KeyClass {
  family: 'ed25519' | 'ed25519-sk' | 'ecdsa' | 'ecdsa-sk' | 'rsa' | 'dsa'
  certificate: boolean
  curve?: 'nistp256' | 'nistp384' | 'nistp521'
}

/** Key type names sshd 9.x reads (sshkey.c `keyimpls`, ssh-dss still compiled in on 9.2). */
const KEY_TYPES = new Map<string, KeyClass>()
for (const certificate of [false, true]) {
  /** The plain name (`base` + `plainSuffix`) or the certificate name of a key type. */
  const typeName = (base: string, plainSuffix = '') =>
    certificate ? `${base}-cert-v01@openssh.com` : `${base}${plainSuffix}`
  KEY_TYPES.set(typeName('ssh-ed25519'), {family: 'ed25519', certificate})
  KEY_TYPES.set(typeName('sk-ssh-ed25519', '@openssh.com'), {family: 'ed25519-sk', certificate})
  for (const curve of ['nistp256', 'nistp384', 'nistp521'] as const)
    KEY_TYPES.set(typeName(`ecdsa-sha2-${curve}`), {family: 'ecdsa', certificate, curve})
  KEY_TYPES.set(typeName('sk-ecdsa-sha2-nistp256', '@openssh.com'), {
    family: 'ecdsa-sk',
    certificate,
    curve: 'nistp256',
  })
  KEY_TYPES.set(typeName('ssh-dss'), {family: 'dsa', certificate})
  for (const name of ['ssh-rsa', 'rsa-sha2-256', 'rsa-sha2-512'])
    KEY_TYPES.set(typeName(name), {family: 'rsa', certificate})
}
KEY_TYPES.set('webauthn-sk-ecdsa-sha2-nistp256@openssh.com', {
  family: 'ecdsa-sk',
  certificate: false,
  curve: 'nistp256',
})

/** The name sshd writes for a plain key of a class (`sshkey_ssh_name`). */
const CANONICAL_NAME: Record<KeyClass['family'], string> = {
  ed25519: 'ssh-ed25519',
  'ed25519-sk': 'sk-ssh-ed25519@openssh.com',
  ecdsa: 'ecdsa-sha2-',
  'ecdsa-sk': 'sk-ecdsa-sha2-nistp256@openssh.com',
  rsa: 'ssh-rsa',
  dsa: 'ssh-dss',
}

/**
 * The NIST prime curves (FIPS 186-4, D.1.2; SEC 2): y^2 = x^3 - 3x + b over the integers modulo p.
 * A point is checked with BigInt arithmetic rather than by building a KeyObject per key (OpenSSL's
 * import does the same check, at about 135 us a key). `n` is the order of the curve's group (its
 * cofactor is 1, so every point of the curve but infinity has order n).
 */
const CURVES = {
  nistp256: {
    bytes: 32,
    bits: 256,
    p: 2n ** 256n - 2n ** 224n + 2n ** 192n + 2n ** 96n - 1n,
    b: 0x5ac635d8aa3a93e7b3ebbd55769886bc651d06b0cc53b0f63bce3c3e27d2604bn,
    n: 0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551n,
  },
  nistp384: {
    bytes: 48,
    bits: 384,
    p: 2n ** 384n - 2n ** 128n - 2n ** 96n + 2n ** 32n - 1n,
    b: 0xb3312fa7e23ee7e4988e056be3f82d19181d9c6efe8141120314088f5013875ac656398d8a2ed19d2a85c8edd3ec2aefn,
    n: 0xffffffffffffffffffffffffffffffffffffffffffffffffc7634d81f4372ddf581a0db248b0a77aecec196accc52973n,
  },
  nistp521: {
    bytes: 66,
    bits: 521,
    p: 2n ** 521n - 1n,
    b: 0x0051953eb9618e1c9a1f929a21a0b68540eea2da725b99b315f3b8b489918ef109e156193951ec7e937b1652c0bd3bb1bf073573df883d2c34f1ef451fd46b503f00n,
    n: 0x01fffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffa51868783bf2f966b7fcc0148f709a5d03bb5c9b8899c47aebb6fb71e91386409n,
  },
} as const

/** Whether (x, y), big-endian coordinates, is a point of the curve (so not the point at infinity). */
export function onCurve(curve: {p: bigint; b: bigint}, xBytes: Buffer, yBytes: Buffer): boolean {
  const x = BigInt(`0x${xBytes.toString('hex')}`)
  const y = BigInt(`0x${yBytes.toString('hex')}`)
  const {p, b} = curve
  if (x >= p || y >= p) return false
  const left = (y * y) % p
  const right = (((x * x) % p) * x - 3n * x + b) % p
  return left === (right + p) % p
}

/**
 * What OpenSSH's sshkey_ec_validate_public asks of a point OpenSSL has found on the curve: each
 * coordinate longer than half the order's bits, and below the order minus one (the point is then
 * not infinity, and n times it is infinity since the cofactor is 1). ssh-keygen and sshd refuse a
 * key that fails it ("is not a public key file"), however valid it is to OpenSSL.
 */
export function sshdAcceptsPoint(curve: {n: bigint}, xBytes: Buffer, yBytes: Buffer): boolean {
  const half = curve.n.toString(2).length >> 1
  const limit = curve.n - 1n
  return [xBytes, yBytes].every((bytes) => {
    const value = BigInt(`0x${bytes.toString('hex')}`)
    return value.toString(2).length > half && value < limit
  })
}

/** The largest bignum sshbuf accepts (SSHBUF_MAX_BIGNUM), and RSA's smallest modulus. */
const MAX_BIGNUM_BYTES = 16384 / 8
const RSA_MIN_BITS = 1024

const BASE64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/'
const isCSpace = (c: string) => c === ' ' || (c >= '\t' && c <= '\r')

const CANONICAL_BASE64 = /^[A-Za-z0-9+/]*={0,2}$/

/** OpenBSD `b64_pton`: whitespace skipped, exact padding, no stray bits, nothing but whitespace after. */
function decodeBase64(text: string): Buffer | undefined {
  // The common case, canonical base64, through Node's decoder: what encodes back to the same text
  // is what b64_pton reads from it (10,000-line files, see bench/scale.js).
  if (text.length % 4 === 0 && CANONICAL_BASE64.test(text)) {
    const fast = Buffer.from(text, 'base64')
    if (fast.toString('base64') === text) return fast
  }
  const out: number[] = []
  let state = 0
  let slop = 0
  let i = 0
  for (; i < text.length; i++) {
    const c = text[i] as string
    if (isCSpace(c)) continue
    if (c === '=') break
    const v = BASE64.indexOf(c)
    if (v < 0) return undefined
    if (state === 0) slop = v << 2
    else if (state === 1) {
      out.push(slop | (v >> 4))
      slop = (v & 0x0f) << 4
    } else if (state === 2) {
      out.push(slop | (v >> 2))
      slop = (v & 0x03) << 6
    } else {
      out.push(slop | v)
      slop = 0
    }
    state = (state + 1) % 4
  }
  if (i === text.length) return state === 0 ? Buffer.from(out) : undefined
  if (state < 2) return undefined
  i++
  if (state === 2) {
    while (i < text.length && isCSpace(text[i] as string)) i++
    if (text[i] !== '=') return undefined
    i++
  }
  for (; i < text.length; i++) if (!isCSpace(text[i] as string)) return undefined
  return slop === 0 ? Buffer.from(out) : undefined
}

/** SSH wire-format reader; every read returns undefined past the end. */
class BlobReader {
  private at = 0
  constructor(private readonly blob: Buffer) {}
  get done() {
    return this.at === this.blob.length
  }
  u32(): number | undefined {
    if (this.at + 4 > this.blob.length) return undefined
    this.at += 4
    return this.blob.readUInt32BE(this.at - 4)
  }
  u64(): bigint | undefined {
    if (this.at + 8 > this.blob.length) return undefined
    this.at += 8
    return this.blob.readBigUInt64BE(this.at - 8)
  }
  bytes(): Buffer | undefined {
    const length = this.u32()
    if (length === undefined || this.at + length > this.blob.length) return undefined
    this.at += length
    return this.blob.subarray(this.at - length, this.at)
  }
  text(): string | undefined {
    return this.bytes()?.toString('latin1')
  }
  /** A non-negative mpint without its leading zeros, or a reason it is refused. */
  mpint(): Buffer | string {
    const value = this.bytes()
    if (value === undefined) return 'truncated key data'
    if (value.length > 0 && ((value[0] as number) & 0x80) !== 0) return 'negative number in key data'
    if (value.length > MAX_BIGNUM_BYTES + 1 || (value.length === MAX_BIGNUM_BYTES + 1 && value[0] !== 0))
      return 'number in key data too large'
    let start = 0
    while (start < value.length && value[start] === 0) start++
    return value.subarray(start)
  }
}

const sshString = (value: Buffer | string) => {
  const bytes = typeof value === 'string' ? Buffer.from(value, 'latin1') : value
  const length = Buffer.alloc(4)
  length.writeUInt32BE(bytes.length)
  return Buffer.concat([length, bytes])
}
const sshMpint = (magnitude: Buffer) =>
  sshString(
    magnitude.length > 0 && ((magnitude[0] as number) & 0x80) !== 0
      ? Buffer.concat([Buffer.from([0]), magnitude])
      : magnitude,
  )
const bitLength = (magnitude: Buffer) =>
  magnitude.length === 0 ? 0 : (magnitude.length - 1) * 8 + (magnitude[0] as number).toString(2).length

interface PlainKey {
  /** The key re-serialised as sshd writes it (`sshkey_to_blob`). */
  canonical: Buffer[]
  bits: number
}

/** The public fields of a plain key of a class (the `deserialize_public` of each key type). */
function readPlainKey(cls: KeyClass, blobType: string, reader: BlobReader): PlainKey | string {
  const name =
    cls.family === 'ecdsa' ? `${CANONICAL_NAME.ecdsa}${cls.curve as string}` : CANONICAL_NAME[cls.family]
  switch (cls.family) {
    case 'ed25519':
    case 'ed25519-sk': {
      const pk = reader.bytes()
      if (pk === undefined) return 'truncated key data'
      if (pk.length !== 32) return `an ed25519 key is 32 bytes, this one is ${pk.length}`
      const parts = [sshString(name), sshString(pk)]
      if (cls.family === 'ed25519-sk') {
        const application = reader.bytes()
        if (application === undefined) return 'truncated key data'
        parts.push(sshString(application))
      }
      return {canonical: parts, bits: 256}
    }
    case 'ecdsa':
    case 'ecdsa-sk': {
      const curveName = reader.text()
      const point = reader.bytes()
      if (curveName === undefined || point === undefined) return 'truncated key data'
      const curve = CURVES[cls.curve as keyof typeof CURVES]
      if (curveName !== cls.curve) return `key data names curve ${curveName}, ${blobType} needs ${cls.curve}`
      if (point.length !== 1 + 2 * curve.bytes || point[0] !== 4) return 'not an uncompressed curve point'
      const x = point.subarray(1, 1 + curve.bytes)
      const y = point.subarray(1 + curve.bytes)
      if (!onCurve(curve, x, y)) return 'the point is not on the curve'
      if (!sshdAcceptsPoint(curve, x, y))
        return 'OpenSSH refuses the point (sshkey_ec_validate_public: a coordinate too short or not below the order)'
      const parts = [sshString(name), sshString(curveName), sshString(point)]
      if (cls.family === 'ecdsa-sk') {
        const application = reader.bytes()
        if (application === undefined) return 'truncated key data'
        parts.push(sshString(application))
      }
      return {canonical: parts, bits: curve.bits}
    }
    case 'rsa': {
      const e = reader.mpint()
      const n = reader.mpint()
      if (typeof e === 'string') return e
      if (typeof n === 'string') return n
      if (bitLength(n) < RSA_MIN_BITS)
        return `RSA modulus of ${bitLength(n)} bits is below sshd's ${RSA_MIN_BITS}`
      return {canonical: [sshString(name), sshMpint(e), sshMpint(n)], bits: bitLength(n)}
    }
    case 'dsa': {
      const numbers = [reader.mpint(), reader.mpint(), reader.mpint(), reader.mpint()]
      const bad = numbers.find((x) => typeof x === 'string')
      if (bad !== undefined) return bad as string
      const [p] = numbers as Buffer[]
      return {
        canonical: [sshString(name), ...(numbers as Buffer[]).map(sshMpint)],
        bits: bitLength(p as Buffer),
      }
    }
  }
}

/** The certificate fields after the public key (sshkey.c `cert_parse`; the signature is not checked). */
function readCertificateTail(reader: BlobReader): string | undefined {
  if (reader.u64() === undefined) return 'truncated certificate'
  const certType = reader.u32()
  if (certType !== 1 && certType !== 2) return 'unknown certificate type'
  for (const field of ['key id', 'principals']) if (reader.bytes() === undefined) return `truncated ${field}`
  if (reader.u64() === undefined || reader.u64() === undefined) return 'truncated validity'
  for (const field of ['critical options', 'extensions', 'reserved', 'signature key', 'signature'])
    if (reader.bytes() === undefined) return `truncated ${field}`
  return undefined
}

/** The `SHA256:` fingerprint of a key from its `id` (the base64 after the type is the hashed blob). */
export function fingerprintOfId(id: string): string {
  const blob = Buffer.from(id.slice(id.indexOf(' ') + 1), 'base64')
  return `SHA256:${createHash('sha256').update(blob).digest('base64').replace(/=+$/, '')}`
}

/** Read a key from its type and base64 data, as `sshkey_read` does, or say why sshd would not. */
export function parsePublicKey(declaredType: string, data: string): PublicKey | {error: string} {
  const declared = KEY_TYPES.get(declaredType)
  if (!declared) return {error: `unknown key type '${declaredType}'`}
  const blob = decodeBase64(data)
  if (!blob) return {error: 'key data is not valid base64'}
  const reader = new BlobReader(blob)
  const type = reader.text()
  if (type === undefined) return {error: 'truncated key data'}
  const cls = KEY_TYPES.get(type)
  if (!cls) return {error: `key data is of unknown type '${type}'`}
  if (cls.certificate && reader.bytes() === undefined) return {error: 'truncated certificate'}
  const key = readPlainKey(cls, type, reader)
  if (typeof key === 'string') return {error: key}
  if (cls.certificate) {
    const problem = readCertificateTail(reader)
    if (problem) return {error: problem}
  }
  if (!reader.done) return {error: 'extra bytes after the key data'}
  if (
    cls.family !== declared.family ||
    cls.certificate !== declared.certificate ||
    cls.curve !== declared.curve
  )
    return {error: `key data is a ${type} key, the line says ${declaredType}`}
  const canonical = cls.certificate ? blob : Buffer.concat(key.canonical)
  const name = canonical.subarray(4, 4 + canonical.readUInt32BE(0)).toString('latin1')
  const id = `${name} ${canonical.toString('base64')}`
  let fingerprint: string | undefined
  return {
    declaredType,
    type,
    id,
    // Hashed when first asked for: findings name few keys of a 10,000-line file (bench/scale.js).
    get fingerprint() {
      fingerprint ??= fingerprintOfId(id)
      return fingerprint
    },
    bits: key.bits,
    certificate: cls.certificate,
  }
}

const skipBlanks = (s: string, at: number) => {
  while (s[at] === ' ' || s[at] === '\t') at++
  return at
}
const wordEnd = (s: string, at: number) => {
  while (at < s.length && s[at] !== ' ' && s[at] !== '\t') at++
  return at
}

/** `sshkey_read` on the text from `at`: the key and where its comment starts, or why there is none. */
function readKey(s: string, at: number): {key: PublicKey; next: number} | {error: string} {
  const typeEnd = wordEnd(s, at)
  const type = s.slice(at, typeEnd)
  if (typeEnd === s.length) return {error: KEY_TYPES.has(type) ? 'no key data' : `'${type}' is not a key`}
  const dataStart = skipBlanks(s, typeEnd)
  if (dataStart === s.length) return {error: 'no key data'}
  const dataEnd = wordEnd(s, dataStart)
  const key = parsePublicKey(type, s.slice(dataStart, dataEnd))
  return 'error' in key ? key : {key, next: skipBlanks(s, dataEnd)}
}

/** `sshkey_advance_past_options`: the first blank outside double quotes (`\"` escapes), or -1 if a quote is open. */
function optionsEnd(s: string): number {
  let quoted = false
  let at = 0
  for (; at < s.length && (quoted || (s[at] !== ' ' && s[at] !== '\t')); at++) {
    if (s[at] === '\\' && s[at + 1] === '"') at++
    else if (s[at] === '"') quoted = !quoted
  }
  return at === s.length && quoted ? -1 : at
}

/** The flag options in the order sshd tries them, and whether a `no-` prefix negates them. */
const FLAGS: [string, boolean][] = [
  ['restrict', false],
  ['cert-authority', false],
  ['port-forwarding', true],
  ['agent-forwarding', true],
  ['x11-forwarding', true],
  ['touch-required', true],
  ['verify-required', true],
  ['pty', true],
  ['user-rc', true],
]
const VALUED = [
  'command',
  'principals',
  'from',
  'expiry-time',
  'environment',
  'permitopen',
  'permitlisten',
  'tunnel',
]

const startsWithCi = (s: string, at: number, word: string) =>
  s.slice(at, at + word.length).toLowerCase() === word.toLowerCase()

class OptionError extends Error {}

/** `parse_absolute_time`: YYYYMMDD[HHMM[SS]] with an optional `Z` or `UTC` suffix. */
function parseExpiryTime(text: string): ExpiryTime | undefined {
  const suffix = text.length > 1 && /z$/i.test(text) ? 1 : text.length > 3 && /utc$/i.test(text) ? 3 : 0
  const digits = text.slice(0, text.length - suffix)
  if (![8, 12, 14].includes(digits.length) || !/^\d+$/.test(digits)) return undefined
  const field = (from: number) => Number(digits.slice(from, from + 2) || '0')
  const [year, month, day, hour, minute, second] = [
    Number(digits.slice(0, 4)),
    field(4),
    field(6),
    field(8),
    field(10),
    field(12),
  ]
  if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 61)
    return undefined
  const epochSeconds = Date.UTC(year, month - 1, day, hour, minute, second) / 1000
  return epochSeconds > 0 ? {text, utc: suffix > 0, epochSeconds} : undefined
}

/** hpdelim plus the port check of auth-options.c `handle_permit`. */
function permitProblem(spec: string): string | undefined {
  let hostEnd: number
  if (spec.startsWith('[')) {
    const close = spec.indexOf(']')
    if (close < 0) return 'invalid permission hostname'
    hostEnd = close + 1
  } else {
    const delimiter = spec.search(/[:/]/)
    hostEnd = delimiter < 0 ? spec.length : delimiter
  }
  if (hostEnd < spec.length && spec[hostEnd] !== ':' && spec[hostEnd] !== '/')
    return 'invalid permission hostname'
  if (hostEnd >= 1025) return 'invalid permission hostname'
  if (hostEnd === spec.length) return 'invalid permission port'
  const port = spec.slice(hostEnd + 1)
  if (port === '*') return undefined
  // a2port: a number 1-65535, or a service name (resolved through the host's /etc/services).
  if (/^\d+$/.test(port))
    return Number(port) >= 1 && Number(port) <= 65535 ? undefined : 'invalid permission port'
  return /^[A-Za-z][A-Za-z0-9._+-]*$/.test(port) ? undefined : 'invalid permission port'
}

/** `sshauthopt_parse` on the line from the start of its options: sshd's error message on failure. */
function parseOptions(s: string): {options: KeyOption[]; effective: EffectiveKeyOptions} {
  const options: KeyOption[] = []
  const permissions: KeyPermissions = {
    portForwarding: true,
    agentForwarding: true,
    x11Forwarding: true,
    pty: true,
    userRc: true,
    touchRequired: true,
    verifyRequired: false,
  }
  const effective: EffectiveKeyOptions = {
    restrict: false,
    permissions,
    certAuthority: false,
    environment: [],
    permitOpen: [],
    permitListen: [],
  }
  const flagSetters: Record<string, (on: boolean) => void> = {
    'port-forwarding': (on) => (permissions.portForwarding = on),
    'agent-forwarding': (on) => (permissions.agentForwarding = on),
    'x11-forwarding': (on) => (permissions.x11Forwarding = on),
    'touch-required': (on) => (permissions.touchRequired = on),
    'verify-required': (on) => (permissions.verifyRequired = on),
    pty: (on) => (permissions.pty = on),
    'user-rc': (on) => (permissions.userRc = on),
  }
  let at = 0
  const dequote = (): string => {
    if (s[at] !== '"') throw new OptionError('missing start quote')
    let value = ''
    let i = at + 1
    for (; i < s.length && s[i] !== '"'; i++) {
      if (s[i] === '\\' && s[i + 1] === '"') i++
      value += s[i]
    }
    if (i >= s.length) throw new OptionError('missing end quote')
    at = i + 1
    return value
  }
  const once = (name: string, current: string | undefined) => {
    if (current !== undefined) throw new OptionError(`multiple "${name}" clauses`)
    return dequote()
  }

  while (at < s.length && s[at] !== ' ' && s[at] !== '\t') {
    const negated = startsWithCi(s, at, 'no-')
    const flag = FLAGS.find(([word, negatable]) => startsWithCi(s, at + (negatable && negated ? 3 : 0), word))
    const valued = flag
      ? undefined
      : VALUED.find((word) => startsWithCi(s, at, word) && s[at + word.length] === '=')
    if (flag) {
      const [word, negatable] = flag
      const off = negatable && negated
      at += word.length + (off ? 3 : 0)
      options.push({name: off ? `no-${word}` : word})
      if (word === 'restrict') {
        effective.restrict = true
        Object.assign(permissions, {
          portForwarding: false,
          agentForwarding: false,
          x11Forwarding: false,
          pty: false,
          userRc: false,
        })
      } else if (word === 'cert-authority') effective.certAuthority = true
      else flagSetters[word]?.(!off)
    } else if (valued) {
      at += valued.length + 1
      let value: string
      switch (valued) {
        case 'command':
          value = effective.command = once(valued, effective.command)
          break
        case 'principals':
          value = effective.principals = once(valued, effective.principals)
          break
        case 'from':
          value = effective.from = once(valued, effective.from)
          break
        case 'expiry-time': {
          value = dequote()
          const expiry = parseExpiryTime(value)
          if (!expiry) throw new OptionError('invalid expires time')
          if (!effective.expiryTime || expiry.epochSeconds < effective.expiryTime.epochSeconds)
            effective.expiryTime = expiry
          break
        }
        case 'environment': {
          if (effective.environment.length > 1024) throw new OptionError('too many environment strings')
          value = dequote()
          const equals = value.indexOf('=')
          const name = value.slice(0, equals)
          if (equals < 0 || !/^[A-Za-z0-9_]+$/.test(name)) throw new OptionError('invalid environment string')
          if (!effective.environment.some((e) => e.startsWith(`${name}=`))) effective.environment.push(value)
          break
        }
        case 'permitopen':
        case 'permitlisten': {
          value = dequote()
          const recorded = valued === 'permitlisten' && !value.includes(':') ? `*:${value}` : value
          const problem = permitProblem(recorded)
          if (problem) throw new OptionError(problem)
          ;(valued === 'permitopen' ? effective.permitOpen : effective.permitListen).push(recorded)
          break
        }
        default: {
          value = dequote()
          const tunnel = /^\s*\+?(\d+)$/.exec(value)
          if (value.toLowerCase() !== 'any' && !(tunnel && Number(tunnel[1]) <= 0x7fffffff - 2))
            throw new OptionError('invalid tun device')
          effective.tunnel = value
        }
      }
      options.push({name: valued, value})
    }
    // Nothing matched leaves `at` where it was: a comma there is skipped (so `,,` and a leading
    // comma pass), anything else is an unknown option.
    if (at >= s.length || s[at] === ' ' || s[at] === '\t') break
    if (s[at] !== ',') throw new OptionError('unknown key option')
    at++
    if (at >= s.length) throw new OptionError('unexpected end-of-options')
  }
  return {options, effective}
}

/** Why sshd found no key on a line, in words an admin can act on, and the key it missed if any. */
function explainNoKey(s: string, stop: number): {message: string; key?: PublicKey} {
  if (/^\s*$/.test(s))
    return {message: 'a blank line with a control character (CR?): sshd reads it as a key line'}
  const first = s.slice(0, wordEnd(s, 0))
  const atStart = readKey(s, 0)
  if (KEY_TYPES.has(first) && 'error' in atStart) return {message: atStart.error}
  const glued = first.slice(first.lastIndexOf(',') + 1)
  if (first.includes(',') && KEY_TYPES.has(glued)) {
    const gluedKey = readKey(`${glued}${s.slice(first.length)}`, 0)
    return {
      message: `no blank between the options and the key type '${glued}'`,
      ...('key' in gluedKey ? {key: gluedKey.key} : {}),
    }
  }
  const after = skipBlanks(s, stop)
  const expected = s.slice(after, wordEnd(s, after))
  for (let at = skipBlanks(s, wordEnd(s, after)); at < s.length; at = skipBlanks(s, wordEnd(s, at))) {
    const later = readKey(s, at)
    if ('key' in later) {
      const unquoted = /(?:^|,)[A-Za-z-]+=(?!")/.test(s.slice(0, stop))
      const what = unquoted ? 'option value not in double quotes' : 'options separated by blanks'
      return {message: `${what}: sshd reads '${expected}' where it expects the key type`, key: later.key}
    }
  }
  if (expected === '') return {message: `'${first}' is not a key, and no key follows it`}
  if (!/[=,"]/.test(first) && /^[A-Za-z0-9+/]{16,}={0,2}$/.test(expected))
    return {message: `unknown key type '${first}'`}
  const afterOptions = readKey(s, after)
  return {message: 'error' in afterOptions ? afterOptions.error : `'${expected}' is not a key`}
}

/** What a line without options allows, shared (and frozen) by every such line of a file. */
const NO_OPTIONS = deepFreeze(parseOptions(''))

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object') {
    for (const inner of Object.values(value)) deepFreeze(inner)
    Object.freeze(value)
  }
  return value
}

/** One line as `auth_check_authkey_line` reads it (the caller has dropped blank and comment lines). */
function parseKeyLine(s: string, line: number, text: string): AuthorizedKey | IgnoredLine {
  const bare = readKey(s, 0)
  if ('key' in bare) {
    const {options, effective} = NO_OPTIONS
    return {kind: 'key', line, text, options, effective, key: bare.key, comment: s.slice(bare.next).trimEnd()}
  }
  const stop = optionsEnd(s)
  if (stop < 0)
    return {kind: 'ignored', line, text, reason: 'unterminated-quote', message: 'invalid key option string'}
  const keyed = readKey(s, skipBlanks(s, stop))
  if ('error' in keyed) return {kind: 'ignored', line, text, reason: 'no-key', ...explainNoKey(s, stop)}
  try {
    const {options, effective} = parseOptions(s)
    const entry: AuthorizedKey = {
      kind: 'key',
      line,
      text,
      options,
      effective,
      key: keyed.key,
      comment: s.slice(keyed.next).trimEnd(),
    }
    if (effective.principals !== undefined && !effective.certAuthority)
      entry.refused = 'principals on non-CA key'
    return entry
  } catch (error) {
    if (!(error instanceof OptionError)) throw error
    return {kind: 'ignored', line, text, reason: 'bad-options', message: error.message, key: keyed.key}
  }
}

/**
 * The entries of an authorized_keys text one at a time, in file order, without holding the others:
 * a 100,000-line file costs one line's parse at a time (bench/memory.js). Lines that `wanted`
 * refuses (by their raw text or number) are skipped before they are parsed.
 */
export function* authorizedKeysEntries(
  text: string,
  wanted?: (raw: string, line: number) => boolean,
): Generator<AuthorizedKeysEntry, void, undefined> {
  let start = 0
  for (let lineNumber = 1; start <= text.length; lineNumber++) {
    const newline = text.indexOf('\n', start)
    const end = newline < 0 ? text.length : newline
    const raw = text.slice(start, end)
    start = end + 1
    if (wanted && !wanted(raw, lineNumber)) continue
    // sshd handles each line as a C string: a NUL byte ends it.
    const nul = raw.indexOf('\0')
    const line = nul < 0 ? raw : raw.slice(0, nul)
    const first = skipBlanks(line, 0)
    if (first === line.length) continue
    if (line[first] === '#') yield {kind: 'comment', line: lineNumber, text: raw}
    else yield parseKeyLine(line.slice(first), lineNumber, raw)
  }
}

/** Parse a whole authorized_keys file. */
export function parseAuthorizedKeys(text: string): AuthorizedKeys {
  return {entries: [...authorizedKeysEntries(text)]}
}
