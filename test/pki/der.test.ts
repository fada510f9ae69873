import {X509Certificate} from 'node:crypto'

import {describe, expect, it} from 'vitest'

import {decodeOid, DerError, parseCertificate} from '../../src/pki/der.js'
import {inspectCertificate} from '../../src/pki/inspect.js'
import {DAY, makeCa, makeLeaf} from './fixtures.js'

describe('the DER reader', () => {
  it('decodes object identifiers, including large first arcs', () => {
    expect(decodeOid(Buffer.from('2b06010505070301', 'hex'))).toBe('1.3.6.1.5.5.7.3.1')
    expect(decodeOid(Buffer.from('883703', 'hex'))).toBe('2.999.3')
    expect(decodeOid(Buffer.from('551d2500', 'hex'))).toBe('2.5.29.37.0')
    expect(decodeOid(Buffer.from('2a864886f70d01010b', 'hex'))).toBe('1.2.840.113549.1.1.11')
    expect(() => decodeOid(Buffer.from('2a86', 'hex'))).toThrow(DerError)
  })

  it('reads UTCTime before 2050 and GeneralizedTime after, IPv4 and compressed IPv6 names', async () => {
    const ca = await makeCa()
    const notBefore = new Date(Date.UTC(2049, 11, 31, 23, 59, 59))
    const notAfter = new Date(Date.UTC(2060, 5, 1, 12, 0, 0))
    const leaf = await makeLeaf(ca, {
      notBefore,
      notAfter,
      san: [
        {type: 'ip', value: '10.1.2.3'},
        {type: 'ip', value: '2001:db8:0:0:1:0:0:7'},
        {type: 'ip', value: '::1'},
      ],
    })
    const parsed = parseCertificate(new X509Certificate(leaf.pem).raw)
    expect(parsed.notBefore).toEqual(notBefore)
    expect(parsed.notAfter).toEqual(notAfter)
    const info = inspectCertificate(new X509Certificate(leaf.pem))
    expect(info.san).toEqual({dns: [], ip: ['10.1.2.3', '2001:db8::1:0:0:7', '::1']})
    expect(info.notAfter.getTime() - info.notBefore.getTime()).toBeGreaterThan(3650 * DAY)
  }, 30_000)

  it('refuses truncated input', () => {
    expect(() => parseCertificate(Buffer.from('3082ffff30', 'hex'))).toThrow(DerError)
    expect(() => parseCertificate(Buffer.alloc(0))).toThrow(DerError)
  })
})
