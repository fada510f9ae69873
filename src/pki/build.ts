import {type KeyObject, randomBytes, sign, type X509Certificate} from 'node:crypto'

import type {asn1 as Asn1, pki as Pki} from 'node-forge'

import {decodeOctetString, parseCertificate} from './der.js'
import {OID} from './inspect.js'
import {keyIdentifier} from './keys.js'
import type {SanEntry, Subject} from './names.js'

/** What a certificate is for: a CA, a collector (TLS server) or a monitor / client. */
export type CertKind = 'ca' | 'server' | 'client'

export interface CertRequest {
  kind: CertKind
  subject: Subject
  /** subjectAltName entries; none: no subjectAltName extension. */
  san: readonly SanEntry[]
  notBefore: Date
  notAfter: Date
  /** The certified public key (PEM SubjectPublicKeyInfo); an RSA key. */
  publicKey: string
}

/** Who signs: the CA's private key, its subject Name and key identifier. */
export interface Signer {
  privateKey: KeyObject
  /** DER of the CA certificate's subject Name; absent for a self-signed certificate. */
  subjectDer?: Buffer
  /** The CA's key identifier (authorityKeyIdentifier of what it signs). */
  keyId: Buffer
}

/** The signatureAlgorithm for a CA key: SHA-256 with RSA (PKCS#1 v1.5) or ECDSA. */
function signatureAlgorithm(key: KeyObject): {oid: string; nullParameters: boolean} {
  if (key.asymmetricKeyType === 'rsa') return {oid: '1.2.840.113549.1.1.11', nullParameters: true}
  if (key.asymmetricKeyType === 'ec') return {oid: '1.2.840.10045.4.3.2', nullParameters: false}
  throw new Error(`cannot sign with a ${key.asymmetricKeyType ?? 'unknown'} CA key: RSA or EC only`)
}

/**
 * A serial number of 126 random bits, as hex: positive, 16 octets, its first octet 0x40-0x7f so the
 * DER INTEGER needs no leading zero (RFC 5280 4.1.2.2: positive, at most 20 octets; CA/B: >= 64 bits).
 */
export function randomSerial(): string {
  const bytes = randomBytes(16)
  bytes[0] = ((bytes[0] as number) & 0x3f) | 0x40
  return bytes.toString('hex')
}

/** The signer of a self-signed certificate (the CA signing itself). */
export function selfSigner(privateKey: KeyObject): Signer {
  return {privateKey, keyId: keyIdentifier(privateKey)}
}

/**
 * The signer made of a CA certificate and its key: the issuer Name is the CA's subject byte for
 * byte, the authority key identifier its subjectKeyIdentifier (computed when it has none).
 */
export function caSigner(ca: X509Certificate, privateKey: KeyObject): Signer {
  const parsed = parseCertificate(ca.raw)
  const ski = parsed.extensions.find((e) => e.oid === OID.subjectKeyIdentifier)
  return {
    privateKey,
    subjectDer: parsed.subjectDer,
    keyId: ski ? decodeOctetString(ski.value) : keyIdentifier(ca.publicKey),
  }
}

/** DER as PEM with 64-character lines. */
export function toPem(der: Buffer, label = 'CERTIFICATE'): string {
  const lines = der.toString('base64').match(/.{1,64}/g) ?? []
  return `-----BEGIN ${label}-----\n${lines.join('\n')}\n-----END ${label}-----\n`
}

/**
 * An X.509 v3 certificate, built with node-forge (loaded only here) and signed with Node's crypto:
 * SHA-256, a random serial, basicConstraints and keyUsage critical, subject and authority key
 * identifiers; a CA gets CA:true with pathlen 0 and keyCertSign/cRLSign; a server or client gets
 * digitalSignature/keyEncipherment, the extendedKeyUsage and nsCertType of its role (the openssl.cnf of
 * the PCP User's and Administrator's Guide, "Establishing Secure Connections") and its subjectAltName. Returns PEM.
 */
export async function buildCertificate(request: CertRequest, signer: Signer): Promise<string> {
  const {default: forge} = await import('node-forge')
  const {asn1} = forge
  const binary = (bytes: Buffer) => bytes.toString('binary')
  const algorithm = signatureAlgorithm(signer.privateKey)

  const cert = forge.pki.createCertificate()
  cert.serialNumber = randomSerial()
  cert.validity.notBefore = request.notBefore
  cert.validity.notAfter = request.notAfter
  cert.publicKey = forge.pki.publicKeyFromPem(request.publicKey)
  const attributes = [
    ...(request.subject.organization ? [{shortName: 'O', value: request.subject.organization}] : []),
    {shortName: 'CN', value: request.subject.commonName},
    // UTF8String, as RFC 5280 asks (@types/node-forge mistypes valueTagClass as a tag class).
  ].map((a) => ({...a, valueTagClass: asn1.Type.UTF8 as number as Asn1.Class}))
  cert.setSubject(attributes)
  cert.setIssuer(attributes)
  cert.siginfo.algorithmOid = algorithm.oid
  cert.setExtensions(extensionsFor(request, signer, forge))

  // getTBSCertificate is part of forge's API but missing from its type definitions.
  const {getTBSCertificate} = forge.pki as typeof forge.pki & {
    getTBSCertificate(c: Pki.Certificate): Asn1.Asn1
  }
  const tbs = getTBSCertificate(cert)
  const fields = tbs.value as Asn1.Asn1[]
  const algorithmIdentifier = () =>
    asn1.create(asn1.Class.UNIVERSAL, asn1.Type.SEQUENCE, true, [
      asn1.create(asn1.Class.UNIVERSAL, asn1.Type.OID, false, asn1.oidToDer(algorithm.oid).getBytes()),
      ...(algorithm.nullParameters ? [asn1.create(asn1.Class.UNIVERSAL, asn1.Type.NULL, false, '')] : []),
    ])
  // forge writes NULL parameters for every algorithm, and re-encodes names it parsed; the issuer
  // Name is the CA certificate's subject, byte for byte.
  fields[2] = algorithmIdentifier()
  if (signer.subjectDer) fields[3] = asn1.fromDer(binary(signer.subjectDer))
  const tbsDer = Buffer.from(asn1.toDer(tbs).getBytes(), 'binary')
  const signature = sign('sha256', tbsDer, signer.privateKey)
  const certificate = asn1.create(asn1.Class.UNIVERSAL, asn1.Type.SEQUENCE, true, [
    tbs,
    algorithmIdentifier(),
    asn1.create(asn1.Class.UNIVERSAL, asn1.Type.BITSTRING, false, `\0${binary(signature)}`),
  ])
  return toPem(Buffer.from(asn1.toDer(certificate).getBytes(), 'binary'))
}

type Forge = typeof import('node-forge')

function extensionsFor(request: CertRequest, signer: Signer, forge: Forge): object[] {
  const {asn1} = forge
  const keyIds = [
    {
      name: 'subjectKeyIdentifier',
      value: asn1.create(
        asn1.Class.UNIVERSAL,
        asn1.Type.OCTETSTRING,
        false,
        keyIdentifier(request.publicKey).toString('binary'),
      ),
    },
    {name: 'authorityKeyIdentifier', keyIdentifier: signer.keyId.toString('binary')},
  ]
  if (request.kind === 'ca') {
    return [
      {name: 'basicConstraints', critical: true, cA: true, pathLenConstraint: 0},
      {name: 'keyUsage', critical: true, keyCertSign: true, cRLSign: true},
      ...keyIds,
    ]
  }
  const server = request.kind === 'server'
  const altNames = request.san.map((s) =>
    s.type === 'ip' ? {type: 7, ip: s.value} : {type: 2, value: s.value},
  )
  return [
    {name: 'basicConstraints', critical: true, cA: false},
    {name: 'keyUsage', critical: true, digitalSignature: true, keyEncipherment: true},
    {name: 'extKeyUsage', ...(server ? {serverAuth: true} : {clientAuth: true})},
    {name: 'nsCertType', ...(server ? {server: true} : {client: true})},
    ...(altNames.length > 0 ? [{name: 'subjectAltName', altNames}] : []),
    ...keyIds,
  ]
}
