import {createHash, createPublicKey, generateKeyPair, type KeyObject} from 'node:crypto'

import {publicKeyBits, readTlv} from './der.js'

/** RSA modulus sizes `cert init` and `cert issue` make; below 2048 `cert check` fails a key. */
export const KEY_SIZES = [2048, 3072, 4096] as const

export type KeySize = (typeof KEY_SIZES)[number]

/** A new key pair as PEM: the private key as PKCS#8 (`BEGIN PRIVATE KEY`, read by OpenSSL 3 and PCP). */
export interface KeyPairPem {
  privateKey: string
  publicKey: string
}

/**
 * A new RSA key pair from Node's native crypto (OpenSSL underneath), off the main thread:
 * several keys are generated in parallel on libuv's thread pool.
 */
export function generateRsaKey(bits: number): Promise<KeyPairPem> {
  return new Promise((resolve, reject) => {
    generateKeyPair(
      'rsa',
      {
        modulusLength: bits,
        publicExponent: 0x10001,
        publicKeyEncoding: {type: 'spki', format: 'pem'},
        privateKeyEncoding: {type: 'pkcs8', format: 'pem'},
      },
      (error, publicKey, privateKey) => (error ? reject(error) : resolve({privateKey, publicKey})),
    )
  })
}

/** `RSA 2048`, `EC prime256v1`, `ED25519`: a key's type and strength as `cert init` and `cert check` show it. */
export function describeKey(key: KeyObject): string {
  const type = key.asymmetricKeyType ?? 'unknown'
  const details = key.asymmetricKeyDetails ?? {}
  if (details.modulusLength !== undefined) return `${type.toUpperCase()} ${details.modulusLength}`
  if (details.namedCurve !== undefined) return `${type.toUpperCase()} ${details.namedCurve}`
  return type.toUpperCase()
}

/**
 * The key identifier of RFC 5280 4.2.1.2 method (1), as OpenSSL computes it: SHA-1 of the
 * subjectPublicKey BIT STRING's content. Used for subjectKeyIdentifier and authorityKeyIdentifier.
 */
export function keyIdentifier(key: KeyObject | string): Buffer {
  const publicKey = typeof key !== 'string' && key.type === 'public' ? key : createPublicKey(key)
  const spki = publicKey.export({type: 'spki', format: 'der'})
  return createHash('sha1')
    .update(publicKeyBits(spki, readTlv(spki)))
    .digest()
}
