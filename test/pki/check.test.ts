import {X509Certificate} from 'node:crypto'
import {mkdtemp, readFile, rm, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import path from 'node:path'

import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {check as pcpCert001} from '../../src/checks/cert/pcp-cert-001.js'
import {Host} from '../../src/host/host.js'
import {MemoryBackend, parseTreeSpec} from '../../src/host/tree.js'
import {
  type CertTarget,
  type CheckOptions,
  judgeCertificate,
  type Material,
  tlsConfTargets,
} from '../../src/pki/check.js'
import {formatCertNagios} from '../../src/pki/format.js'
import {generateRsaKey, type KeyPairPem} from '../../src/pki/keys.js'
import {ACCOUNTS} from '../helpers/tree.js'
import {DAY, type Issued, makeCa, makeLeaf, type TestCa} from './fixtures.js'
import {openssl} from './openssl.js'

const now = new Date()
const options: CheckOptions = {now, warningDays: 30, criticalDays: 7}
const server: CertTarget = {
  path: '/etc/pcp/tls/server.crt',
  role: 'server',
  keyPath: '/etc/pcp/tls/server.key',
  caFile: '/etc/pcp/tls/ca.crt',
  sources: [],
}

let ca: TestCa
let otherCa: TestCa
let keys: KeyPairPem[]
let good: Issued

beforeAll(async () => {
  ;[ca, otherCa, keys] = await Promise.all([
    makeCa(),
    makeCa({commonName: 'Other CA'}),
    Promise.all([generateRsaKey(2048), generateRsaKey(2048), generateRsaKey(2048)]),
  ])
  good = await makeLeaf(ca, {
    key: keys[0],
    san: [
      {type: 'dns', value: 'pcp1.example.com'},
      {type: 'ip', value: '10.1.2.3'},
    ],
  })
}, 60_000)

function material(cert: Issued, caPem = ca.pem, key = cert.key): Material {
  return {
    certificate: {ok: true, value: cert.pem},
    key: {ok: true, value: key},
    ca: {path: '/etc/pcp/tls/ca.crt', certificates: {ok: true, value: [new X509Certificate(caPem)]}},
  }
}

function judge(
  cert: Issued,
  extra: Partial<CheckOptions> = {},
  target: Partial<CertTarget> = {},
  caPem = ca.pem,
) {
  return judgeCertificate({...server, ...target}, material(cert, caPem), {...options, ...extra})
}

describe('judgeCertificate', () => {
  it('passes a good certificate: chained, key matching, 2048-bit, SHA-256, serverAuth, SAN', () => {
    const verdict = judge(good)
    expect(verdict.problems).toEqual([])
    expect(verdict.status).toBe('OK')
    expect(verdict.certificate).toMatchObject({
      key: 'RSA 2048',
      signatureAlgorithm: 'sha256WithRSAEncryption',
      san: ['DNS:pcp1.example.com', 'IP:10.1.2.3'],
    })
    expect(verdict.certificate?.daysLeft).toBeOneOf([363, 364])
  })

  it('an expired certificate is CRITICAL', async () => {
    const expired = await makeLeaf(ca, {
      key: keys[1],
      notBefore: new Date(now.getTime() - 400 * DAY),
      notAfter: new Date(now.getTime() - 10 * DAY),
    })
    const verdict = judge(expired)
    expect(verdict.status).toBe('CRITICAL')
    expect(verdict.problems).toEqual([
      {state: 'CRITICAL', message: expect.stringMatching(/^expired on \d{4}-\d\d-\d\d \(10 days ago\)$/)},
    ])
    expect(verdict.certificate?.daysLeft).toBe(-10)
  })

  it('a certificate not valid yet is CRITICAL', async () => {
    const future = await makeLeaf(ca, {key: keys[1], notBefore: new Date(now.getTime() + 10 * DAY)})
    const verdict = judge(future)
    expect(verdict.status).toBe('CRITICAL')
    expect(verdict.problems[0]?.message).toMatch(/^not valid yet: valid from .* \(in 10 days\)$/)
  })

  it('days left against -w and -c: WARNING below 30, CRITICAL below 7', async () => {
    const soon = await makeLeaf(ca, {
      key: keys[1],
      notBefore: new Date(now.getTime() - 300 * DAY),
      notAfter: new Date(now.getTime() + 20.5 * DAY),
    })
    expect(judge(soon).problems).toEqual([
      {state: 'WARNING', message: expect.stringMatching(/^expires in 20 days/)},
    ])
    expect(judge(soon, {warningDays: 10, criticalDays: 5}).status).toBe('OK')
    expect(judge(soon, {criticalDays: 21}).problems).toEqual([
      {state: 'CRITICAL', message: expect.stringMatching(/^expires in 20 days/)},
    ])
  })

  it('a 1024-bit RSA key is CRITICAL', async () => {
    const weak = await makeLeaf(ca, {bits: 1024})
    const verdict = judge(weak)
    expect(verdict.status).toBe('CRITICAL')
    expect(verdict.problems).toEqual([
      {state: 'CRITICAL', message: 'RSA 1024-bit key: RSA keys need at least 2048 bits'},
    ])
  }, 30_000)

  it('a key that does not match is CRITICAL', () => {
    const verdict = judgeCertificate(server, material(good, ca.pem, keys[2]!.privateKey), options)
    expect(verdict.status).toBe('CRITICAL')
    expect(verdict.problems).toEqual([
      {state: 'CRITICAL', message: 'key /etc/pcp/tls/server.key does not match the certificate'},
    ])
  })

  it('a client certificate used as the server certificate is CRITICAL (wrong extendedKeyUsage)', async () => {
    const client = await makeLeaf(ca, {key: keys[1], kind: 'client', san: []})
    const verdict = judge(client)
    expect(verdict.status).toBe('CRITICAL')
    expect(verdict.problems).toContainEqual({
      state: 'CRITICAL',
      message:
        'extendedKeyUsage lacks serverAuth: OpenSSL refuses it as a server certificate (it has clientAuth)',
    })
    expect(judge(client, {}, {role: 'client'}).status).toBe('OK')
  })

  it('a certificate another CA signed is CRITICAL', () => {
    const verdict = judge(good, {}, {}, otherCa.pem)
    expect(verdict.problems).toEqual([
      {state: 'CRITICAL', message: 'not signed by the CA in /etc/pcp/tls/ca.crt'},
    ])
  })

  it('--host must be among the subjectAltNames; --max-days bounds the validity period', () => {
    expect(judge(good, {host: '10.1.2.3'}).status).toBe('OK')
    expect(judge(good, {host: 'pcp1.example.com'}).status).toBe('OK')
    expect(judge(good, {host: 'pcp2.example.com'}).problems).toEqual([
      {
        state: 'CRITICAL',
        message: 'does not name pcp2.example.com: its subjectAltName is DNS:pcp1.example.com, IP:10.1.2.3',
      },
    ])
    expect(judge(good, {maxDays: 90}).problems).toEqual([
      {state: 'WARNING', message: 'valid for 365 days, longer than 90'},
    ])
  })

  it('a CA role needs a CA certificate', () => {
    const asCa = judgeCertificate(
      {path: '/x.crt', role: 'ca', sources: []},
      {certificate: {ok: true, value: good.pem}},
      options,
    )
    expect(asCa.problems).toEqual([
      {state: 'CRITICAL', message: 'not a CA certificate (no basicConstraints CA:true)'},
    ])
    const realCa = judgeCertificate(
      {path: '/ca.crt', role: 'ca', sources: []},
      {certificate: {ok: true, value: ca.pem}},
      options,
    )
    expect(realCa.status).toBe('OK')
  })

  it('unreadable or unparseable input is UNKNOWN', () => {
    const missing = judgeCertificate(
      server,
      {certificate: {ok: false, missing: true, message: '/etc/pcp/tls/server.crt: not found'}},
      options,
    )
    expect(missing).toMatchObject({
      status: 'UNKNOWN',
      problems: [{state: 'UNKNOWN', message: 'not found'}],
    })
    const garbage = judgeCertificate(server, {certificate: {ok: true, value: 'crt\n'}}, options)
    expect(garbage.problems).toEqual([{state: 'UNKNOWN', message: 'no PEM certificate in it'}])
    const broken = judgeCertificate(
      server,
      {certificate: {ok: true, value: '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n'}},
      options,
    )
    expect(broken.status).toBe('UNKNOWN')
    const badKey = judgeCertificate(server, {...material(good), key: {ok: true, value: 'key\n'}}, options)
    expect(badKey.problems).toEqual([
      {state: 'UNKNOWN', message: 'key /etc/pcp/tls/server.key: not a private key PCP can read'},
    ])
  })
})

describe('certificates made by openssl as seed 001 does', () => {
  let dir: string

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'pcp-harden-seedcerts-'))
    await writeFile(path.join(dir, 'ca.crt'), ca.pem)
    await writeFile(path.join(dir, 'ca.key'), ca.key)
    await writeFile(path.join(dir, 'server.key'), keys[1]!.privateKey)
    // Seed 001's openssl.cnf
    await writeFile(
      path.join(dir, 'openssl.cnf'),
      '[ server_cert ]\nkeyUsage = digitalSignature, keyEncipherment\nnsCertType = server\n',
    )
    const csr = openssl(
      [
        'req',
        '-new',
        '-sha256',
        '-subj',
        '/O=PCP Authority/CN=PCP Collector',
        '-key',
        'server.key',
        '-out',
        'server.csr',
      ],
      {cwd: dir},
    )
    expect(csr.code, csr.stderr).toBe(0)
    for (const digest of ['sha256', 'sha1']) {
      const run = openssl(
        [
          'x509',
          '-req',
          `-${digest}`,
          '-days',
          '365',
          '-in',
          'server.csr',
          '-CA',
          'ca.crt',
          '-CAkey',
          'ca.key',
        ].concat(['-extfile', 'openssl.cnf', '-extensions', 'server_cert', '-out', `server-${digest}.crt`]),
        {cwd: dir},
      )
      expect(run.code, run.stderr).toBe(0)
    }
  })

  afterAll(async () => {
    await rm(dir, {recursive: true, force: true})
  })

  async function seedCert(digest: string): Promise<Issued> {
    return {pem: await readFile(path.join(dir, `server-${digest}.crt`), 'utf8'), key: keys[1]!.privateKey}
  }

  it('nsCertType server stands in for serverAuth; the missing subjectAltName is a WARNING', async () => {
    const verdict = judge(await seedCert('sha256'), {now: new Date()})
    expect(verdict.problems).toEqual([
      {
        state: 'WARNING',
        message: 'no subjectAltName: clients that check the host name (HTTPS to pmproxy) refuse it',
      },
    ])
  })

  it('a SHA-1 signature is CRITICAL', async () => {
    const verdict = judge(await seedCert('sha1'), {now: new Date()})
    expect(verdict.status).toBe('CRITICAL')
    expect(verdict.problems).toContainEqual({
      state: 'CRITICAL',
      message: 'signed with sha1WithRSAEncryption: a forgeable digest',
    })
  })

  it('an encrypted key is CRITICAL: PCP cannot load it', async () => {
    const run = openssl(['pkey', '-in', 'server.key', '-aes256', '-passout', 'pass:secret'], {cwd: dir})
    expect(run.code, run.stderr).toBe(0)
    const verdict = judgeCertificate(
      server,
      {...material(await seedCert('sha256')), key: {ok: true, value: run.stdout}},
      {...options, now: new Date()},
    )
    expect(verdict.problems).toContainEqual({
      state: 'CRITICAL',
      message: 'key /etc/pcp/tls/server.key is encrypted: PCP cannot load it',
    })
  })
})

describe('tls.conf targets', () => {
  const tree = (files: Record<string, string>) =>
    new Host(
      new MemoryBackend(
        parseTreeSpec(
          `entries:${ACCOUNTS}\n${Object.entries(files)
            .map(([p, content]) => `  - path: ${p}\n    content: ${JSON.stringify(content)}`)
            .join('\n')}\n`,
          'tree',
        ),
        'tree',
      ),
    )

  it("the collector's server, client and CA, and each user's client certificate; one CA judged once", async () => {
    const host = tree({
      '/etc/pcp/tls.conf':
        'tls-ca-cert-file = /etc/pcp/tls/ca.crt\ntls-key-file = /etc/pcp/tls/server.key\ntls-cert-file = /etc/pcp/tls/server.crt\n' +
        'tls-client-key-file = /etc/pcp/tls/client.key\ntls-client-cert-file = /etc/pcp/tls/client.crt\n',
      '/home/alice/.pcp/tls.conf':
        'tls-ca-cert-file = /etc/pcp/tls/ca.crt\ntls-client-cert-file = /home/alice/.pcp/tls/client.crt\ntls-client-key-file = /home/alice/.pcp/tls/client.key\n',
    })
    const targets = await tlsConfTargets(host, {users: true})
    expect(targets).toEqual([
      {
        path: '/etc/pcp/tls/ca.crt',
        role: 'ca',
        sources: ['/etc/pcp/tls.conf:1 tls-ca-cert-file', '/home/alice/.pcp/tls.conf:1 tls-ca-cert-file'],
      },
      {
        path: '/etc/pcp/tls/server.crt',
        role: 'server',
        keyPath: '/etc/pcp/tls/server.key',
        caFile: '/etc/pcp/tls/ca.crt',
        sources: ['/etc/pcp/tls.conf:3 tls-cert-file'],
      },
      {
        path: '/etc/pcp/tls/client.crt',
        role: 'client',
        keyPath: '/etc/pcp/tls/client.key',
        caFile: '/etc/pcp/tls/ca.crt',
        sources: ['/etc/pcp/tls.conf:5 tls-client-cert-file'],
      },
      {
        path: '/home/alice/.pcp/tls/client.crt',
        role: 'client',
        keyPath: '/home/alice/.pcp/tls/client.key',
        caFile: '/etc/pcp/tls/ca.crt',
        sources: ['/home/alice/.pcp/tls.conf:2 tls-client-cert-file'],
      },
    ])
    expect(await tlsConfTargets(host, {users: false})).toHaveLength(3)
  })

  it('PCP-CERT-001 fails an expired server certificate, passes good ones, skips without TLS', async () => {
    const expired = await makeLeaf(ca, {
      key: keys[1],
      notBefore: new Date(now.getTime() - 400 * DAY),
      notAfter: new Date(now.getTime() - DAY),
    })
    const files = (cert: Issued) => ({
      '/etc/pcp/tls.conf':
        'tls-ca-cert-file = /etc/pcp/tls/ca.crt\ntls-key-file = /etc/pcp/tls/server.key\ntls-cert-file = /etc/pcp/tls/server.crt\n',
      '/etc/pcp/tls/ca.crt': ca.pem,
      '/etc/pcp/tls/server.crt': cert.pem,
      '/etc/pcp/tls/server.key': cert.key,
    })
    const failing = await pcpCert001.run(tree(files(expired)))
    expect(failing).toEqual([
      {
        status: 'pass',
        path: '/etc/pcp/tls/ca.crt',
        message: expect.stringMatching(/^ca: \d+ days left$/),
        evidence: expect.any(String),
      },
      {
        status: 'fail',
        path: '/etc/pcp/tls/server.crt',
        message: expect.stringMatching(/^server: expired on /),
        evidence: expect.any(String),
      },
    ])
    const passing = await pcpCert001.run(tree(files(good)))
    expect(passing.map((r) => r.status)).toEqual(['pass', 'pass'])
    expect(await pcpCert001.run(tree({'/etc/pcp/tls.conf': '# nothing\n'}))).toEqual([
      {status: 'skip', message: 'not applicable: no certificate in tls.conf or the TLS directory'},
    ])
    const broken = await pcpCert001.run(tree({...files(good), '/etc/pcp/tls/server.crt': 'crt\n'}))
    expect(broken[1]).toMatchObject({
      status: 'error',
      message: 'no PEM certificate in it',
    })
  }, 30_000)
})

describe('formatCertNagios', () => {
  it('one plugin line with days_left perfdata per certificate, then a line per problem', () => {
    const verdicts = [judge(good), judge(good, {host: 'other.example.com'}, {path: '/etc/pcp/tls/other.crt'})]
    const days = verdicts[0]?.certificate?.daysLeft
    const output = formatCertNagios({
      status: 'CRITICAL',
      warningDays: 30,
      criticalDays: 7,
      certificates: verdicts,
    })
    const [head, ...details] = output.trimEnd().split('\n')
    expect(head).toBe(
      'PCP-HARDEN CERT CRITICAL - /etc/pcp/tls/other.crt: does not name other.example.com: its subjectAltName is ' +
        `DNS:pcp1.example.com, IP:10.1.2.3 | 'days_left /etc/pcp/tls/server.crt'=${days};30;7;0 ` +
        `'days_left /etc/pcp/tls/other.crt'=${days};30;7;0`,
    )
    expect(details).toEqual([
      '[CRITICAL] /etc/pcp/tls/other.crt: does not name other.example.com: its subjectAltName is DNS:pcp1.example.com, IP:10.1.2.3',
    ])
  })
})
