/**
 * Just enough of a DER reader to inspect an X.509 certificate without node-forge: the parts
 * Node's X509Certificate does not expose (signature algorithm, exact validity, extensions).
 * Anything malformed throws a DerError.
 */
export class DerError extends Error {
  override name = 'DerError'
}

/** One DER element: its tag byte and where its header and content are in the buffer. */
export interface Tlv {
  tag: number
  /** Offset of the tag byte. */
  start: number
  /** Offset of the first content byte. */
  contentStart: number
  /** Offset just past the content. */
  end: number
}

export const TAG = {
  BOOLEAN: 0x01,
  INTEGER: 0x02,
  BIT_STRING: 0x03,
  OCTET_STRING: 0x04,
  OID: 0x06,
  UTC_TIME: 0x17,
  GENERALIZED_TIME: 0x18,
  SEQUENCE: 0x30,
} as const

/** The element starting at `offset`; its content must lie within `limit`. */
export function readTlv(buf: Buffer, offset = 0, limit = buf.length): Tlv {
  if (offset + 2 > limit) throw new DerError('truncated DER element')
  const tag = buf[offset] as number
  if ((tag & 0x1f) === 0x1f) throw new DerError('unsupported high-tag-number DER element')
  let length = buf[offset + 1] as number
  let contentStart = offset + 2
  if (length & 0x80) {
    const count = length & 0x7f
    if (count === 0 || count > 4 || contentStart + count > limit) throw new DerError('bad DER length')
    length = buf.readUIntBE(contentStart, count)
    contentStart += count
  }
  const end = contentStart + length
  if (end > limit) throw new DerError('truncated DER element')
  return {tag, start: offset, contentStart, end}
}

/** The elements inside a constructed element, in order. */
export function children(buf: Buffer, parent: Tlv): Tlv[] {
  const out: Tlv[] = []
  for (let offset = parent.contentStart; offset < parent.end;) {
    const child = readTlv(buf, offset, parent.end)
    out.push(child)
    offset = child.end
  }
  return out
}

export function content(buf: Buffer, tlv: Tlv): Buffer {
  return buf.subarray(tlv.contentStart, tlv.end)
}

function expectTag(tlv: Tlv | undefined, tag: number, what: string): Tlv {
  if (!tlv || tlv.tag !== tag) throw new DerError(`expected ${what}`)
  return tlv
}

/** Dotted form of an OBJECT IDENTIFIER's content: `1.2.840.113549.1.1.11`. */
export function decodeOid(bytes: Buffer): string {
  const arcs: number[] = []
  let value = 0
  for (const byte of bytes) {
    value = value * 128 + (byte & 0x7f)
    if (byte & 0x80) continue
    if (arcs.length === 0)
      arcs.push(value < 80 ? Math.floor(value / 40) : 2, value < 80 ? value % 40 : value - 80)
    else arcs.push(value)
    value = 0
  }
  if (bytes.length === 0 || value !== 0) throw new DerError('bad OBJECT IDENTIFIER')
  return arcs.join('.')
}

/** A UTCTime or GeneralizedTime in the Zulu form RFC 5280 requires. */
export function decodeTime(buf: Buffer, tlv: Tlv): Date {
  const text = content(buf, tlv).toString('latin1')
  const match =
    tlv.tag === TAG.UTC_TIME
      ? /^(\d\d)(\d\d)(\d\d)(\d\d)(\d\d)(\d\d)Z$/.exec(text)
      : tlv.tag === TAG.GENERALIZED_TIME
        ? /^(\d{4})(\d\d)(\d\d)(\d\d)(\d\d)(\d\d)Z$/.exec(text)
        : null
  if (!match) throw new DerError(`bad time ${JSON.stringify(text)}`)
  const [year, month, day, hour, minute, second] = match.slice(1).map(Number) as number[]
  const fullYear = tlv.tag === TAG.UTC_TIME ? (year! < 50 ? 2000 + year! : 1900 + year!) : year!
  return new Date(Date.UTC(fullYear, month! - 1, day, hour, minute, second))
}

/** The bits of a BIT STRING, most significant first: `[true, false, true]` for 101. */
export function decodeBits(bytes: Buffer): boolean[] {
  if (bytes.length === 0) throw new DerError('bad BIT STRING')
  const unused = bytes[0] as number
  const bits: boolean[] = []
  for (const byte of bytes.subarray(1))
    for (let bit = 7; bit >= 0; bit--) bits.push(((byte >> bit) & 1) === 1)
  return bits.slice(0, Math.max(0, bits.length - unused))
}

export interface Extension {
  oid: string
  critical: boolean
  /** The extnValue OCTET STRING's content: the extension's own DER. */
  value: Buffer
}

/** The fields of a DER X.509 certificate that `cert check` judges and `cert issue` reuses. */
export interface ParsedCertificate {
  /** DER of the subject Name: the issuer Name of certificates this one signs. */
  subjectDer: Buffer
  /** The outer signatureAlgorithm's OID. */
  signatureOid: string
  notBefore: Date
  notAfter: Date
  /** The BIT STRING content of subjectPublicKey (for key identifiers). */
  publicKeyBits: Buffer
  extensions: Extension[]
}

/** The BIT STRING content of a SubjectPublicKeyInfo's subjectPublicKey, without the unused-bits byte. */
export function publicKeyBits(buf: Buffer, spki: Tlv | undefined): Buffer {
  const [, bits] = children(buf, expectTag(spki, TAG.SEQUENCE, 'SubjectPublicKeyInfo'))
  return content(buf, expectTag(bits, TAG.BIT_STRING, 'subjectPublicKey')).subarray(1)
}

export function parseCertificate(der: Buffer): ParsedCertificate {
  const outer = readTlv(der)
  if (outer.tag !== TAG.SEQUENCE || outer.end !== der.length) throw new DerError('not a DER certificate')
  const [tbs, algorithm] = children(der, outer)
  const tbsFields = children(der, expectTag(tbs, TAG.SEQUENCE, 'TBSCertificate'))
  // [0] version is optional (absent for v1).
  const fields = tbsFields[0]?.tag === 0xa0 ? tbsFields.slice(1) : tbsFields
  const [, , issuer, validity, subject, spki, ...rest] = fields
  expectTag(issuer, TAG.SEQUENCE, 'issuer')
  const [notBefore, notAfter] = children(der, expectTag(validity, TAG.SEQUENCE, 'validity'))
  if (!notBefore || !notAfter) throw new DerError('expected notBefore and notAfter')
  const subjectTlv = expectTag(subject, TAG.SEQUENCE, 'subject')
  const [signatureOid] = children(der, expectTag(algorithm, TAG.SEQUENCE, 'signatureAlgorithm'))
  const extensionsTlv = rest.find((t) => t.tag === 0xa3)
  return {
    subjectDer: der.subarray(subjectTlv.start, subjectTlv.end),
    signatureOid: decodeOid(content(der, expectTag(signatureOid, TAG.OID, 'algorithm OID'))),
    notBefore: decodeTime(der, notBefore),
    notAfter: decodeTime(der, notAfter),
    publicKeyBits: publicKeyBits(der, spki),
    extensions: extensionsTlv ? parseExtensions(der, extensionsTlv) : [],
  }
}

function parseExtensions(der: Buffer, wrapper: Tlv): Extension[] {
  const [list] = children(der, wrapper)
  return children(der, expectTag(list, TAG.SEQUENCE, 'Extensions')).map((ext) => {
    const [oid, second, third] = children(der, expectTag(ext, TAG.SEQUENCE, 'Extension'))
    const critical = second?.tag === TAG.BOOLEAN ? der[second.contentStart] !== 0 : false
    const value = expectTag(second?.tag === TAG.BOOLEAN ? third : second, TAG.OCTET_STRING, 'extnValue')
    return {
      oid: decodeOid(content(der, expectTag(oid, TAG.OID, 'extnID'))),
      critical,
      value: content(der, value),
    }
  })
}

/** The OIDs of an extendedKeyUsage extension's value. */
export function decodeOidList(value: Buffer): string[] {
  const seq = readTlv(value)
  return children(value, expectTag(seq, TAG.SEQUENCE, 'SEQUENCE of OIDs')).map((t) =>
    decodeOid(content(value, expectTag(t, TAG.OID, 'OID'))),
  )
}

/** basicConstraints: cA and pathLenConstraint. */
export function decodeBasicConstraints(value: Buffer): {ca: boolean; pathLength?: number} {
  const fields = children(value, expectTag(readTlv(value), TAG.SEQUENCE, 'BasicConstraints'))
  const ca = fields[0]?.tag === TAG.BOOLEAN && value[fields[0].contentStart] !== 0
  const length = fields.find((f) => f.tag === TAG.INTEGER)
  return length
    ? {ca, pathLength: content(value, length).readUIntBE(0, length.end - length.contentStart)}
    : {ca}
}

/** The bits of a BIT STRING extension value (keyUsage, nsCertType). */
export function decodeBitStringValue(value: Buffer): boolean[] {
  return decodeBits(content(value, expectTag(readTlv(value), TAG.BIT_STRING, 'BIT STRING')))
}

/** subjectKeyIdentifier: the key identifier octets. */
export function decodeOctetString(value: Buffer): Buffer {
  return content(value, expectTag(readTlv(value), TAG.OCTET_STRING, 'OCTET STRING'))
}

/** authorityKeyIdentifier's keyIdentifier ([0]), when present. */
export function decodeAuthorityKeyId(value: Buffer): Buffer | undefined {
  const keyId = children(value, expectTag(readTlv(value), TAG.SEQUENCE, 'AuthorityKeyIdentifier')).find(
    (t) => t.tag === 0x80,
  )
  return keyId && content(value, keyId)
}

export interface GeneralNames {
  dns: string[]
  /** Addresses as text (`10.0.0.1`, `2001:db8::1`). */
  ip: string[]
}

/** The DNS names and IP addresses of a subjectAltName value (other name forms are ignored). */
export function decodeSubjectAltName(value: Buffer): GeneralNames {
  const names: GeneralNames = {dns: [], ip: []}
  for (const name of children(value, expectTag(readTlv(value), TAG.SEQUENCE, 'GeneralNames'))) {
    const bytes = content(value, name)
    if (name.tag === 0x82) names.dns.push(bytes.toString('latin1'))
    else if (name.tag === 0x87) names.ip.push(ipText(bytes))
  }
  return names
}

function ipText(bytes: Buffer): string {
  if (bytes.length === 4) return [...bytes].join('.')
  if (bytes.length !== 16) return `<${bytes.toString('hex')}>`
  const groups = Array.from({length: 8}, (_, i) => bytes.readUInt16BE(i * 2).toString(16))
  // The longest run of zero groups (at least two) becomes '::', as RFC 5952 writes it.
  let best = {start: -1, length: 0}
  for (let i = 0; i < 8;) {
    let j = i
    while (j < 8 && groups[j] === '0') j++
    if (j - i > best.length && j - i > 1) best = {start: i, length: j - i}
    i = j === i ? i + 1 : j
  }
  if (best.start < 0) return groups.join(':')
  const head = groups.slice(0, best.start).join(':')
  const tail = groups.slice(best.start + best.length).join(':')
  return `${head}::${tail}`
}
