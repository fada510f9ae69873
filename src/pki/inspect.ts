import {X509Certificate} from 'node:crypto'

import {
  decodeAuthorityKeyId,
  decodeBasicConstraints,
  decodeBitStringValue,
  decodeOctetString,
  decodeOidList,
  decodeSubjectAltName,
  type Extension,
  type GeneralNames,
  parseCertificate,
} from './der.js'
import {describeKey} from './keys.js'

export const OID = {
  basicConstraints: '2.5.29.19',
  keyUsage: '2.5.29.15',
  extKeyUsage: '2.5.29.37',
  subjectAltName: '2.5.29.17',
  subjectKeyIdentifier: '2.5.29.14',
  authorityKeyIdentifier: '2.5.29.35',
  nsCertType: '2.16.840.1.113730.1.1',
  serverAuth: '1.3.6.1.5.5.7.3.1',
  clientAuth: '1.3.6.1.5.5.7.3.2',
  anyExtendedKeyUsage: '2.5.29.37.0',
} as const

/** Signature algorithms by OID, as OpenSSL names them; `weak` ones are forgeable (MD2/MD4/MD5/SHA-1). */
const SIGNATURE_ALGORITHMS: Record<string, {name: string; weak?: true}> = {
  '1.2.840.113549.1.1.2': {name: 'md2WithRSAEncryption', weak: true},
  '1.2.840.113549.1.1.3': {name: 'md4WithRSAEncryption', weak: true},
  '1.2.840.113549.1.1.4': {name: 'md5WithRSAEncryption', weak: true},
  '1.2.840.113549.1.1.5': {name: 'sha1WithRSAEncryption', weak: true},
  '1.2.840.113549.1.1.10': {name: 'rsassaPss'},
  '1.2.840.113549.1.1.11': {name: 'sha256WithRSAEncryption'},
  '1.2.840.113549.1.1.12': {name: 'sha384WithRSAEncryption'},
  '1.2.840.113549.1.1.13': {name: 'sha512WithRSAEncryption'},
  '1.2.840.113549.1.1.14': {name: 'sha224WithRSAEncryption'},
  '1.2.840.10040.4.3': {name: 'dsa_with_SHA1', weak: true},
  '1.2.840.10045.4.1': {name: 'ecdsa-with-SHA1', weak: true},
  '1.2.840.10045.4.3.1': {name: 'ecdsa-with-SHA224'},
  '1.2.840.10045.4.3.2': {name: 'ecdsa-with-SHA256'},
  '1.2.840.10045.4.3.3': {name: 'ecdsa-with-SHA384'},
  '1.2.840.10045.4.3.4': {name: 'ecdsa-with-SHA512'},
  '1.3.101.112': {name: 'ED25519'},
  '1.3.101.113': {name: 'ED448'},
}

const KEY_USAGE_BITS = [
  'digitalSignature',
  'nonRepudiation',
  'keyEncipherment',
  'dataEncipherment',
  'keyAgreement',
  'keyCertSign',
  'cRLSign',
  'encipherOnly',
  'decipherOnly',
] as const

export type KeyUsage = (typeof KEY_USAGE_BITS)[number]

const NS_CERT_TYPE_BITS = [
  'client',
  'server',
  'email',
  'objsign',
  'reserved',
  'sslCA',
  'emailCA',
  'objCA',
] as const

/** What `cert check` looks at in one certificate. */
export interface CertInfo {
  x509: X509Certificate
  subject: string
  issuer: string
  serial: string
  notBefore: Date
  notAfter: Date
  /** `RSA 2048`, `EC prime256v1`. */
  key: string
  keyType: string
  /** RSA modulus bits, when RSA. */
  rsaBits?: number
  /** EC curve, when EC. */
  curve?: string
  signatureAlgorithm: {oid: string; name: string; weak: boolean}
  /** basicConstraints; absent when the extension is. */
  basicConstraints?: {ca: boolean; pathLength?: number}
  keyUsage?: KeyUsage[]
  /** extendedKeyUsage OIDs. */
  extKeyUsage?: string[]
  nsCertType?: string[]
  san?: GeneralNames
  subjectKeyId?: string
  authorityKeyId?: string
  /** Issued by itself, and its signature verifies with its own key. */
  selfSigned: boolean
  fingerprint256: string
}

const PEM_CERTIFICATE = /-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g

/** Every PEM certificate in a file, in order (a chain or a CA bundle); throws if one does not parse. */
export function readCertificates(text: string): X509Certificate[] {
  return (text.match(PEM_CERTIFICATE) ?? []).map((pem) => new X509Certificate(pem))
}

function setBits<T extends string>(names: readonly T[], bits: boolean[]): T[] {
  return names.filter((_, index) => bits[index])
}

function hex(bytes: Buffer): string {
  return bytes
    .toString('hex')
    .toUpperCase()
    .replace(/(..)(?!$)/g, '$1:')
}

/** The certificate's fields, its extensions decoded; throws (DerError) on a malformed one. */
export function inspectCertificate(x509: X509Certificate): CertInfo {
  const parsed = parseCertificate(x509.raw)
  const extension = (oid: string): Extension | undefined => parsed.extensions.find((e) => e.oid === oid)
  const decode = <T>(oid: string, decoder: (value: Buffer) => T): T | undefined => {
    const found = extension(oid)
    return found && decoder(found.value)
  }
  const key = x509.publicKey
  const known = SIGNATURE_ALGORITHMS[parsed.signatureOid]
  const subjectKeyId = decode(OID.subjectKeyIdentifier, decodeOctetString)
  const authorityKeyId = decode(OID.authorityKeyIdentifier, decodeAuthorityKeyId)
  return {
    x509,
    subject: x509.subject,
    issuer: x509.issuer,
    serial: x509.serialNumber,
    notBefore: parsed.notBefore,
    notAfter: parsed.notAfter,
    key: describeKey(key),
    keyType: key.asymmetricKeyType ?? 'unknown',
    rsaBits: key.asymmetricKeyDetails?.modulusLength,
    curve: key.asymmetricKeyDetails?.namedCurve,
    signatureAlgorithm: {
      oid: parsed.signatureOid,
      name: known?.name ?? parsed.signatureOid,
      weak: known?.weak ?? false,
    },
    basicConstraints: decode(OID.basicConstraints, decodeBasicConstraints),
    keyUsage: decode(OID.keyUsage, (v) => setBits(KEY_USAGE_BITS, decodeBitStringValue(v))),
    extKeyUsage: decode(OID.extKeyUsage, decodeOidList),
    nsCertType: decode(OID.nsCertType, (v) => setBits(NS_CERT_TYPE_BITS, decodeBitStringValue(v))),
    san: decode(OID.subjectAltName, decodeSubjectAltName),
    subjectKeyId: subjectKeyId && hex(subjectKeyId),
    authorityKeyId: authorityKeyId && hex(authorityKeyId),
    selfSigned: x509.checkIssued(x509) && x509.verify(key),
    fingerprint256: x509.fingerprint256,
  }
}
