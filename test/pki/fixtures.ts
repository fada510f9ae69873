import {createPrivateKey, X509Certificate} from 'node:crypto'

import {buildCertificate, caSigner, type CertKind, selfSigner, type Signer} from '../../src/pki/build.js'
import {generateRsaKey} from '../../src/pki/keys.js'
import type {SanEntry} from '../../src/pki/names.js'

export const DAY = 86_400_000

export interface Issued {
  pem: string
  key: string
}

export interface TestCa extends Issued {
  signer: Signer
}

/** A CA made with the library, valid from `from` for `days` days. */
export async function makeCa(
  options: {from?: Date; days?: number; commonName?: string} = {},
): Promise<TestCa> {
  const pair = await generateRsaKey(2048)
  const from = options.from ?? new Date(Date.now() - DAY)
  const pem = await buildCertificate(
    {
      kind: 'ca',
      subject: {commonName: options.commonName ?? 'Test CA', organization: 'PCP Authority'},
      san: [],
      notBefore: from,
      notAfter: new Date(from.getTime() + (options.days ?? 3650) * DAY),
      publicKey: pair.publicKey,
    },
    selfSigner(createPrivateKey(pair.privateKey)),
  )
  return {
    pem,
    key: pair.privateKey,
    signer: caSigner(new X509Certificate(pem), createPrivateKey(pair.privateKey)),
  }
}

/** A certificate signed by `ca` for a new (or given) key, valid between two dates. */
export async function makeLeaf(
  ca: TestCa,
  options: {
    kind?: CertKind
    san?: SanEntry[]
    notBefore?: Date
    notAfter?: Date
    bits?: number
    key?: {privateKey: string; publicKey: string}
  } = {},
): Promise<Issued> {
  const pair = options.key ?? (await generateRsaKey(options.bits ?? 2048))
  const notBefore = options.notBefore ?? new Date(Date.now() - DAY)
  const pem = await buildCertificate(
    {
      kind: options.kind ?? 'server',
      subject: {commonName: 'pcp1.example.com', organization: 'PCP Authority'},
      san: options.san ?? [{type: 'dns', value: 'pcp1.example.com'}],
      notBefore,
      notAfter: options.notAfter ?? new Date(notBefore.getTime() + 365 * DAY),
      publicKey: pair.publicKey,
    },
    ca.signer,
  )
  return {pem, key: pair.privateKey}
}
