import {mkdir, mkdtemp, readFile, rm, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import path from 'node:path'

import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {Host} from '../../src/host/host.js'
import {MemoryBackend, parseTreeSpec} from '../../src/host/tree.js'
import {randomSerial} from '../../src/pki/build.js'
import {planInit} from '../../src/pki/init.js'
import {planIssue} from '../../src/pki/issue.js'
import {generateRsaKey} from '../../src/pki/keys.js'
import {makeFiles} from '../../src/pki/run.js'
import {ACCOUNTS} from '../helpers/tree.js'
import {DAY, makeCa} from './fixtures.js'
import {openssl} from './openssl.js'

/**
 * Differential: what the library makes, as the real OpenSSL judges it (`openssl verify
 * -x509_strict` with the TLS purposes, `openssl x509 -text`, `openssl rsa -check`, `openssl pkey`).
 */
const host = new Host(new MemoryBackend(parseTreeSpec(`entries:${ACCOUNTS}`, 'accounts'), 'accounts'))
let dir: string

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'pcp-harden-pki-'))
})

afterAll(async () => {
  await rm(dir, {recursive: true, force: true})
})

/** Write a run's files flat into `sub` (names only) and return that directory. */
async function writeRun(sub: string, contents: Map<string, string>): Promise<string> {
  const out = path.join(dir, sub)
  await rm(out, {recursive: true, force: true})
  await mkdir(out)
  for (const [file, content] of contents) await writeFile(path.join(out, path.basename(file)), content)
  return out
}

function text(cwd: string, file: string): string {
  const run = openssl(['x509', '-in', file, '-text', '-noout'], {cwd})
  expect(run.code, run.stderr).toBe(0)
  return run.stdout
}

/** The lines of `openssl x509 -text` after an extension's heading, up to the next heading. */
function extension(textOut: string, heading: string): string {
  const lines = textOut.split('\n')
  const at = lines.findIndex((l) => l.trim().startsWith(heading))
  if (at < 0) return ''
  return [lines[at]!.trim(), lines[at + 1]!.trim()].join(' ')
}

describe('cert init material', () => {
  let out: string

  beforeAll(async () => {
    const run = await planInit(host, {
      dir: '/etc/pcp/tls',
      san: ['pcp1.example.com', '10.1.2.3', '2001:db8::7'],
      caCn: 'PCP Certificate Authority',
      org: 'PCP Authority',
      days: 365,
      caDays: 3650,
      keySize: 2048,
      owner: 'pcp',
      now: new Date(),
    })
    out = await writeRun('init', await makeFiles(run))
  }, 60_000)

  it('openssl verify -x509_strict accepts the server and client certificates for their TLS purposes', () => {
    for (const [file, purpose] of [
      ['server.crt', 'sslserver'],
      ['client.crt', 'sslclient'],
    ] as const) {
      const run = openssl(['verify', '-x509_strict', '-purpose', purpose, '-CAfile', 'ca.crt', file], {
        cwd: out,
      })
      expect(run.stdout.trim(), run.stderr).toBe(`${file}: OK`)
      expect(run.code).toBe(0)
    }
  })

  it('openssl refuses each certificate for the other role', () => {
    expect(
      openssl(['verify', '-purpose', 'sslclient', '-CAfile', 'ca.crt', 'server.crt'], {cwd: out}).code,
    ).not.toBe(0)
    expect(
      openssl(['verify', '-purpose', 'sslserver', '-CAfile', 'ca.crt', 'client.crt'], {cwd: out}).code,
    ).not.toBe(0)
  })

  it('the CA: v3, SHA-256, CA:TRUE pathlen 0 critical, keyCertSign+cRLSign critical, key identifiers', () => {
    const ca = text(out, 'ca.crt')
    expect(ca).toContain('Version: 3 (0x2)')
    expect(ca).toContain('Signature Algorithm: sha256WithRSAEncryption')
    expect(ca).toContain('Subject: O = PCP Authority, CN = PCP Certificate Authority')
    expect(extension(ca, 'X509v3 Basic Constraints')).toBe(
      'X509v3 Basic Constraints: critical CA:TRUE, pathlen:0',
    )
    expect(extension(ca, 'X509v3 Key Usage')).toBe('X509v3 Key Usage: critical Certificate Sign, CRL Sign')
    const ski = extension(ca, 'X509v3 Subject Key Identifier').split(' ').at(-1)
    expect(ski).toMatch(/^([0-9A-F]{2}:){19}[0-9A-F]{2}$/)
    expect(extension(ca, 'X509v3 Authority Key Identifier')).toContain(ski)
  })

  it('the server: digitalSignature+keyEncipherment, serverAuth, nsCertType server, SANs, AKI = the CA key id', () => {
    const server = text(out, 'server.crt')
    const caKeyId = extension(text(out, 'ca.crt'), 'X509v3 Subject Key Identifier').split(' ').at(-1)
    expect(server).toContain('Signature Algorithm: sha256WithRSAEncryption')
    expect(server).toContain('Issuer: O = PCP Authority, CN = PCP Certificate Authority')
    expect(server).toContain('Subject: O = PCP Authority, CN = pcp1.example.com')
    expect(server).toContain('Public-Key: (2048 bit)')
    expect(extension(server, 'X509v3 Basic Constraints')).toBe('X509v3 Basic Constraints: critical CA:FALSE')
    expect(extension(server, 'X509v3 Key Usage')).toBe(
      'X509v3 Key Usage: critical Digital Signature, Key Encipherment',
    )
    expect(extension(server, 'X509v3 Extended Key Usage')).toBe(
      'X509v3 Extended Key Usage: TLS Web Server Authentication',
    )
    expect(extension(server, 'Netscape Cert Type')).toBe('Netscape Cert Type: SSL Server')
    expect(extension(server, 'X509v3 Subject Alternative Name')).toBe(
      'X509v3 Subject Alternative Name: DNS:pcp1.example.com, IP Address:10.1.2.3, IP Address:2001:DB8:0:0:0:0:0:7',
    )
    expect(extension(server, 'X509v3 Subject Key Identifier')).toMatch(/([0-9A-F]{2}:){19}[0-9A-F]{2}$/)
    expect(extension(server, 'X509v3 Authority Key Identifier')).toContain(caKeyId)
  })

  it('the client: clientAuth, nsCertType client, no subjectAltName', () => {
    const client = text(out, 'client.crt')
    expect(extension(client, 'X509v3 Extended Key Usage')).toBe(
      'X509v3 Extended Key Usage: TLS Web Client Authentication',
    )
    expect(extension(client, 'Netscape Cert Type')).toBe('Netscape Cert Type: SSL Client')
    expect(client).not.toContain('Subject Alternative Name')
  })

  it('serials are random, positive and at least 64 bits; validity is --days', () => {
    const serials = ['ca.crt', 'server.crt', 'client.crt'].map((f) => {
      const run = openssl(['x509', '-in', f, '-noout', '-serial', '-startdate', '-enddate'], {cwd: out})
      const fields = Object.fromEntries(
        run.stdout
          .trim()
          .split('\n')
          .map((l) => l.split('=') as [string, string]),
      )
      const days = (Date.parse(fields.notAfter!) - Date.parse(fields.notBefore!)) / 86_400_000
      expect(days).toBe(f === 'ca.crt' ? 3650 : 365)
      return fields.serial!
    })
    for (const serial of serials) {
      expect(serial.length).toBeGreaterThanOrEqual(16)
      expect(Number.parseInt(serial[0]!, 16)).toBeLessThan(8)
    }
    expect(new Set(serials).size).toBe(3)
  })

  it('keys are unencrypted PKCS#8 that openssl rsa -check and openssl pkey accept', () => {
    for (const key of ['ca.key', 'server.key', 'client.key']) {
      const check = openssl(['rsa', '-check', '-noout', '-in', key], {cwd: out})
      expect(check.stdout.trim(), check.stderr).toBe('RSA key ok')
      const pkey = openssl(['pkey', '-in', key, '-noout', '-text'], {cwd: out})
      expect(pkey.code).toBe(0)
      expect(pkey.stdout).toContain('Private-Key: (2048 bit, 2 primes)')
    }
  })

  it("each key is its certificate's", () => {
    for (const name of ['ca', 'server', 'client']) {
      const fromCert = openssl(['x509', '-in', `${name}.crt`, '-noout', '-pubkey'], {cwd: out}).stdout
      const fromKey = openssl(['pkey', '-in', `${name}.key`, '-pubout'], {cwd: out}).stdout
      expect(fromKey).toBe(fromCert)
    }
  })
})

describe('key sizes', () => {
  it.each([3072, 4096])(
    'RSA %i keys and certificates',
    async (bits) => {
      const pair = await generateRsaKey(bits)
      const out = path.join(dir, `rsa${bits}`)
      await mkdir(out, {recursive: true})
      await writeFile(path.join(out, 'k.key'), pair.privateKey)
      const pkey = openssl(['rsa', '-check', '-noout', '-text', '-in', 'k.key'], {cwd: out})
      expect(pkey.stdout).toContain(`Private-Key: (${bits} bit, 2 primes)`)
      expect(pkey.stdout).toContain('RSA key ok')
    },
    60_000,
  )
})

describe('cert issue material', () => {
  it('signs with a CA made by seed 001 openssl commands (RSA) and by an EC CA', async () => {
    const out = path.join(dir, 'seedca')
    await mkdir(out, {recursive: true})
    // Seed 001, section 15.4, verbatim but for the paths.
    expect(openssl(['genrsa', '-out', 'ca.key'], {cwd: out}).code).toBe(0)
    const seedCa = openssl(
      ['req', '-x509', '-new', '-nodes', '-sha256', '-days', '3650', '-key', 'ca.key'].concat([
        '-subj',
        '/O=PCP Authority/CN=Certificate Authority',
        '-out',
        'ca.crt',
      ]),
      {cwd: out},
    )
    expect(seedCa.code, seedCa.stderr).toBe(0)
    const ecDir = path.join(dir, 'ecca')
    await mkdir(ecDir, {recursive: true})
    const ec = openssl(
      [
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:P-256',
        '-nodes',
        '-days',
        '30',
      ].concat(['-subj', '/O=EC Authority/CN=EC CA', '-keyout', 'ca.key', '-out', 'ca.crt']),
      {cwd: ecDir},
    )
    expect(ec.code, ec.stderr).toBe(0)

    for (const caDir of [out, ecDir]) {
      const tree = parseTreeSpec(
        `entries:${ACCOUNTS}
  - {path: /home/alice, type: dir, owner: alice}
  - path: /ca/ca.crt
    content: ${JSON.stringify(await readFile(path.join(caDir, 'ca.crt'), 'utf8'))}
  - path: /ca/ca.key
    content: ${JSON.stringify(await readFile(path.join(caDir, 'ca.key'), 'utf8'))}
`,
        'ca',
      )
      const caHost = new Host(new MemoryBackend(tree, 'ca'))
      const common = {caDir: '/ca', days: 365, keySize: 2048, now: new Date()}
      const client = await planIssue(caHost, {...common, user: 'alice', server: false, san: []})
      const server = await planIssue(caHost, {
        ...common,
        server: true,
        san: ['pcp2.example.com'],
        out: '/srv',
      })
      expect(client.certs[0]?.subject).toEqual({
        commonName: 'alice',
        organization: caDir === out ? 'PCP Authority' : 'EC Authority',
      })
      const issued = await writeRun(
        `issued-${path.basename(caDir)}`,
        new Map([...(await makeFiles(client)), ...(await makeFiles(server))]),
      )
      // No -x509_strict: openssl req -x509 makes CAs without keyUsage, which it refuses in a CA.
      for (const [file, purpose] of [
        ['client.crt', 'sslclient'],
        ['server.crt', 'sslserver'],
      ] as const) {
        const run = openssl(['verify', '-purpose', purpose, '-CAfile', 'ca.crt', file], {
          cwd: issued,
        })
        expect(run.stdout.trim(), run.stderr).toBe(`${file}: OK`)
      }
      expect(text(issued, 'server.crt')).toContain(
        caDir === out
          ? 'Signature Algorithm: sha256WithRSAEncryption'
          : 'Signature Algorithm: ecdsa-with-SHA256',
      )
    }
  }, 60_000)

  it('keeps a certificate inside the validity of its CA', async () => {
    const now = new Date(Math.floor(Date.now() / 1000) * 1000)
    const ca = await makeCa({from: now, days: 10})
    const tree = parseTreeSpec(
      `entries:${ACCOUNTS}
  - path: /ca/ca.crt
    content: ${JSON.stringify(ca.pem)}
  - path: /ca/ca.key
    content: ${JSON.stringify(ca.key)}
`,
      'ca',
    )
    const run = await planIssue(new Host(new MemoryBackend(tree, 'ca')), {
      caDir: '/ca',
      out: '/out',
      server: false,
      san: [],
      days: 365,
      keySize: 2048,
      now,
    })
    expect(run.certs[0]?.notAfter.getTime()).toBe(now.getTime() + 10 * DAY)
    expect(run.warnings).toEqual([expect.stringContaining('the CA expires on')])
  }, 30_000)
})

describe('randomSerial', () => {
  it('is 16 octets, positive, without a leading zero octet', () => {
    for (let i = 0; i < 200; i++) {
      const serial = randomSerial()
      expect(serial).toMatch(/^[4-7][0-9a-f]{31}$/)
    }
  })
})
