import {Buffer} from 'node:buffer'
import {spawnSync} from 'node:child_process'
import {createPublicKey, generateKeyPairSync} from 'node:crypto'
import {mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import path from 'node:path'

import {afterAll, describe, expect, it} from 'vitest'

import {onCurve, parsePublicKey} from '../../src/parsers/authorized-keys.js'

/** The curves by OpenSSH name, with their JWK name, coordinate size and parameters. */
const CURVES = [
  {
    name: 'nistp256',
    jwk: 'P-256',
    bytes: 32,
    p: 2n ** 256n - 2n ** 224n + 2n ** 192n + 2n ** 96n - 1n,
    b: 0x5ac635d8aa3a93e7b3ebbd55769886bc651d06b0cc53b0f63bce3c3e27d2604bn,
    n: 0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551n,
  },
  {
    name: 'nistp384',
    jwk: 'P-384',
    bytes: 48,
    p: 2n ** 384n - 2n ** 128n - 2n ** 96n + 2n ** 32n - 1n,
    b: 0xb3312fa7e23ee7e4988e056be3f82d19181d9c6efe8141120314088f5013875ac656398d8a2ed19d2a85c8edd3ec2aefn,
    n: 0xffffffffffffffffffffffffffffffffffffffffffffffffc7634d81f4372ddf581a0db248b0a77aecec196accc52973n,
  },
  {
    name: 'nistp521',
    jwk: 'P-521',
    bytes: 66,
    p: 2n ** 521n - 1n,
    b: 0x0051953eb9618e1c9a1f929a21a0b68540eea2da725b99b315f3b8b489918ef109e156193951ec7e937b1652c0bd3bb1bf073573df883d2c34f1ef451fd46b503f00n,
    n: 0x01fffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffa51868783bf2f966b7fcc0148f709a5d03bb5c9b8899c47aebb6fb71e91386409n,
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

/** base^exp mod m. */
function modPow(base: bigint, exp: bigint, m: bigint): bigint {
  let result = 1n
  let b = base % m
  for (let e = exp; e > 0n; e >>= 1n) {
    if (e & 1n) result = (result * b) % m
    b = (b * b) % m
  }
  return result
}

/** The first point of the curve whose x is `from` or more (p is 3 mod 4 on the three curves: y = rhs^((p+1)/4)). */
function pointFrom(curve: (typeof CURVES)[number], from: bigint): {x: Buffer; y: Buffer} {
  const {p, b} = curve
  for (let x = from; ; x++) {
    const rhs = (((x * x * x - 3n * x + b) % p) + p) % p
    const y = modPow(rhs, (p + 1n) / 4n, p)
    if ((y * y) % p === rhs) {
      const bytes = (v: bigint) => Buffer.from(v.toString(16).padStart(curve.bytes * 2, '0'), 'hex')
      return {x: bytes(x), y: bytes(y)}
    }
  }
}

/** The authorized_keys key data of a point, as OpenSSH encodes an ecdsa-sha2-* public key. */
function keyData(curve: (typeof CURVES)[number], {x, y}: {x: Buffer; y: Buffer}): string {
  const field = (bytes: Buffer) => {
    const length = Buffer.alloc(4)
    length.writeUInt32BE(bytes.length)
    return Buffer.concat([length, bytes])
  }
  const point = Buffer.concat([Buffer.from([4]), x, y])
  return Buffer.concat([
    field(Buffer.from(`ecdsa-sha2-${curve.name}`)),
    field(Buffer.from(curve.name)),
    field(point),
  ]).toString('base64')
}

describe.each(CURVES)(
  '$name points on the curve that OpenSSH refuses: the parser agrees with ssh-keygen',
  (curve) => {
    const dir = mkdtempSync(path.join(tmpdir(), 'pcp-harden-ecdsa-'))
    /** Whether OpenSSH's own parser (ssh-keygen -l, sshkey_from_blob as sshd uses it) takes the key. */
    const sshKeygenAccepts = (data: string) => {
      const file = path.join(dir, 'key.pub')
      writeFileSync(file, `ecdsa-sha2-${curve.name} ${data} test\n`)
      const run = spawnSync('ssh-keygen', ['-l', '-f', file], {encoding: 'utf8', timeout: 10_000})
      if (run.error) throw run.error
      return run.status === 0
    }
    const parserAccepts = (data: string) => !('error' in parsePublicKey(`ecdsa-sha2-${curve.name}`, data))

    it.each([
      {
        name: 'a real key',
        accepted: true,
        make: () => {
          const {publicKey} = generateKeyPairSync('ec', {namedCurve: curve.jwk})
          const {x, y} = publicKey.export({format: 'jwk'}) as {x: string; y: string}
          return {x: Buffer.from(x, 'base64url'), y: Buffer.from(y, 'base64url')}
        },
      },
      {name: 'x of a few bits', accepted: false, make: () => pointFrom(curve, 1n)},
      {
        name: 'x at the order minus one or above',
        accepted: false,
        make: () => pointFrom(curve, curve.n - 1n),
      },
    ])('$name', ({accepted, make}) => {
      const point = make()
      // Each point is on the curve (OpenSSL takes it): only OpenSSH's own checks can refuse it.
      expect(onCurve(curve, point.x, point.y)).toBe(true)
      const data = keyData(curve, point)
      expect(sshKeygenAccepts(data)).toBe(accepted)
      expect(parserAccepts(data)).toBe(accepted)
    })

    afterAll(() => rmSync(dir, {recursive: true, force: true}))
  },
)
