import {Buffer} from 'node:buffer'
import {createPublicKey, generateKeyPairSync} from 'node:crypto'

import {describe, expect, it} from 'vitest'

import {onCurve} from '../../src/parsers/authorized-keys.js'

/** The curves by OpenSSH name, with their JWK name, coordinate size and parameters. */
const CURVES = [
  {
    name: 'nistp256',
    jwk: 'P-256',
    bytes: 32,
    p: 2n ** 256n - 2n ** 224n + 2n ** 192n + 2n ** 96n - 1n,
    b: 0x5ac635d8aa3a93e7b3ebbd55769886bc651d06b0cc53b0f63bce3c3e27d2604bn,
  },
  {
    name: 'nistp384',
    jwk: 'P-384',
    bytes: 48,
    p: 2n ** 384n - 2n ** 128n - 2n ** 96n + 2n ** 32n - 1n,
    b: 0xb3312fa7e23ee7e4988e056be3f82d19181d9c6efe8141120314088f5013875ac656398d8a2ed19d2a85c8edd3ec2aefn,
  },
  {
    name: 'nistp521',
    jwk: 'P-521',
    bytes: 66,
    p: 2n ** 521n - 1n,
    b: 0x0051953eb9618e1c9a1f929a21a0b68540eea2da725b99b315f3b8b489918ef109e156193951ec7e937b1652c0bd3bb1bf073573df883d2c34f1ef451fd46b503f00n,
  },
] as const

/** What OpenSSL says of the point: the oracle the BigInt check replaces. */
function opensslAccepts(jwk: string, x: Buffer, y: Buffer): boolean {
  try {
    createPublicKey({
      key: {kty: 'EC', crv: jwk, x: x.toString('base64url'), y: y.toString('base64url')},
      format: 'jwk',
    })
    return true
  } catch {
    return false
  }
}

describe.each(CURVES)('$name points: the BigInt check agrees with OpenSSL', (curve) => {
  const points = Array.from({length: 20}, () => {
    const {publicKey} = generateKeyPairSync('ec', {namedCurve: curve.jwk})
    const {x, y} = publicKey.export({format: 'jwk'}) as {x: string; y: string}
    return {x: Buffer.from(x, 'base64url'), y: Buffer.from(y, 'base64url')}
  })

  it('accepts real public keys', () => {
    for (const {x, y} of points) {
      expect(x.length).toBe(curve.bytes)
      expect(onCurve(curve, x, y)).toBe(true)
    }
  })

  it('refuses points off the curve, as OpenSSL does', () => {
    for (const [i, {x, y}] of points.entries()) {
      const bent = Buffer.from(y)
      bent[i % bent.length]! ^= 1 << (i % 8)
      expect(onCurve(curve, x, bent)).toBe(false)
      expect(opensslAccepts(curve.jwk, x, bent)).toBe(false)
    }
    const zero = Buffer.alloc(curve.bytes)
    expect(onCurve(curve, zero, zero)).toBe(opensslAccepts(curve.jwk, zero, zero))
  })

  it('refuses coordinates not below p', () => {
    const {x, y} = points[0]!
    const pBytes = Buffer.from(curve.p.toString(16).padStart(curve.bytes * 2, '0'), 'hex')
    expect(onCurve(curve, pBytes, y)).toBe(false)
    expect(onCurve(curve, x, pBytes)).toBe(false)
    // The same point with y replaced by y + p would satisfy the equation modulo p.
    const yPlusP = BigInt(`0x${y.toString('hex')}`) + curve.p
    const hex = yPlusP.toString(16)
    if (hex.length <= curve.bytes * 2)
      expect(onCurve(curve, x, Buffer.from(hex.padStart(curve.bytes * 2, '0'), 'hex'))).toBe(false)
  })
})
