import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {generateRsaKey} from '../../src/pki/keys.js'
import {cli} from '../cli/run-cli.js'
import {removeTree} from '../helpers/tree.js'
import {DAY, type Issued, makeCa, makeLeaf} from '../pki/fixtures.js'
import {realTlsFiles, type TreeFile, treeEntries} from './real-certs.js'
import {collectorRoot} from './tree.js'

/** `cert check` on certificates made by the library with dates around now, as the built CLI reports them. */
let root: string
let empty: string
/** The CA of the /fixtures certificates (not the one tls.conf names). */
const CA = '/fixtures/ca.crt'

const TLS_CONF =
  'tls-ca-cert-file = /etc/pcp/tls/ca.crt\ntls-cert-file = /etc/pcp/tls/server.crt\ntls-key-file = /etc/pcp/tls/server.key\n' +
  'tls-client-cert-file = /etc/pcp/tls/client.crt\ntls-client-key-file = /etc/pcp/tls/client.key\n'
const ALICE_CONF =
  'tls-ca-cert-file = /etc/pcp/tls/ca.crt\ntls-client-cert-file = /home/alice/.pcp/tls/client.crt\n' +
  'tls-client-key-file = /home/alice/.pcp/tls/client.key\ntls-verify-clients = true\n'

beforeAll(async () => {
  const now = Date.now()
  const ca = await makeCa()
  const [key, other] = await Promise.all([generateRsaKey(2048), generateRsaKey(2048)])
  const server = await makeLeaf(ca, {key, san: [{type: 'dns', value: 'pcp1.example.com'}]})
  const fixtures: Record<string, Issued> = {
    expired: await makeLeaf(ca, {
      key,
      notBefore: new Date(now - 400 * DAY),
      notAfter: new Date(now - 3 * DAY),
    }),
    notyet: await makeLeaf(ca, {key, notBefore: new Date(now + 2 * DAY)}),
    soon: await makeLeaf(ca, {
      key,
      notBefore: new Date(now - 300 * DAY),
      notAfter: new Date(now + 20.5 * DAY),
    }),
    weak: await makeLeaf(ca, {bits: 1024}),
    mismatch: {pem: server.pem, key: other.privateKey},
    wrongeku: await makeLeaf(ca, {key, kind: 'client', san: []}),
  }
  const files: Record<string, TreeFile> = {
    ...(await realTlsFiles()),
    '/etc/pcp/tls.conf': {content: TLS_CONF, mode: '0644', owner: 'root'},
    '/home/alice/.pcp/tls.conf': {content: ALICE_CONF, mode: '0644', owner: 'alice'},
    '/fixtures/garbage.crt': {content: 'crt\n', mode: '0644', owner: 'root'},
    '/fixtures/ca.crt': {content: ca.pem, mode: '0644', owner: 'root'},
  }
  for (const [name, issued] of Object.entries(fixtures)) {
    files[`/fixtures/${name}.crt`] = {content: issued.pem, mode: '0644', owner: 'root'}
    files[`/fixtures/${name}.key`] = {content: issued.key, mode: '0600', owner: 'pcp'}
  }
  root = await collectorRoot(treeEntries(files))
  empty = await collectorRoot()
}, 60_000)

afterAll(async () => {
  await removeTree(root)
  await removeTree(empty)
})

describe('cert check', {timeout: 30_000}, () => {
  it("checks what the collector's and the users' tls.conf name: all OK, exit 0", async () => {
    const run = await cli(['cert', 'check', '--root', root, '--host', 'pcp1.example.com'])
    expect(run.stderr).toBe('')
    expect(run.code).toBe(0)
    expect(run.stdout.split('\n').filter((l) => /^[A-Z]+ \//.test(l))).toEqual([
      'OK /etc/pcp/tls/ca.crt (ca)',
      'OK /etc/pcp/tls/server.crt (server)',
      'OK /etc/pcp/tls/client.crt (client)',
      'OK /home/alice/.pcp/tls/client.crt (client)',
    ])
    expect(run.stdout).toContain('OK - 4 certificates: 4 OK')
  })

  it('nagios: one plugin line with days_left perfdata for each certificate', async () => {
    const run = await cli(['cert', 'check', '--root', root, '--format', 'nagios', '-w', '400', '-c', '7'])
    expect(run.code).toBe(1)
    const [head] = run.stdout.split('\n')
    expect(head).toMatch(/^PCP-HARDEN CERT WARNING - .* \| /)
    const perfdata = head!.split(' | ')[1]!.split(/ (?=')/)
    expect(perfdata).toHaveLength(4)
    expect(perfdata[1]).toMatch(/^'days_left \/etc\/pcp\/tls\/server\.crt'=36[34];400;7;0$/)
  })

  it('json: the report as data', async () => {
    const run = await cli(['cert', 'check', '--root', root, '--format', 'json'])
    expect(run.code).toBe(0)
    const report = JSON.parse(run.stdout)
    expect(report).toMatchObject({status: 'OK', warningDays: 30, criticalDays: 7})
    expect(report.certificates[1]).toMatchObject({
      path: '/etc/pcp/tls/server.crt',
      role: 'server',
      keyPath: '/etc/pcp/tls/server.key',
      status: 'OK',
      problems: [],
      certificate: {
        key: 'RSA 2048',
        signatureAlgorithm: 'sha256WithRSAEncryption',
        san: ['DNS:pcp1.example.com'],
      },
    })
  })

  it.each([
    ['expired', [], 2, /^CRITICAL: expired on \d{4}-\d\d-\d\d \(3 days ago\)$/],
    ['notyet', [], 2, /^CRITICAL: not valid yet: valid from .* \(in 2 days\)$/],
    ['weak', [], 2, /^CRITICAL: RSA 1024-bit key: RSA keys need at least 2048 bits$/],
    ['mismatch', [], 2, /^CRITICAL: key \/fixtures\/mismatch\.key does not match the certificate$/],
    ['wrongeku', ['--role', 'server'], 2, /^CRITICAL: extendedKeyUsage lacks serverAuth/],
    ['soon', [], 1, /^WARNING: expires in 20 days/],
    ['garbage', [], 3, /^UNKNOWN: no PEM certificate in it$/],
  ] as const)('%s: the right problem and Nagios state', async (name, extra, code, problem) => {
    const run = await cli(['cert', 'check', '--root', root, `/fixtures/${name}.crt`, '--ca', CA, ...extra])
    expect(run.stderr).toBe('')
    expect(run.code).toBe(code)
    const lines = run.stdout.split('\n').map((l) => l.trim())
    expect(lines.filter((l) => problem.test(l))).toHaveLength(1)
  })

  it('names the path once, beside the verdict, not again in the problem', async () => {
    const run = await cli(['cert', 'check', '--root', root, '/fixtures/absent.crt', '/fixtures/garbage.crt'])
    expect(run.code).toBe(3)
    expect(run.stdout.split('\n').filter((l) => l.includes('/fixtures/'))).toEqual([
      'UNKNOWN /fixtures/absent.crt (server)',
      'UNKNOWN /fixtures/garbage.crt (server)',
    ])
  })

  it('the worst certificate sets the exit code; nagios lists each problem', async () => {
    const files = ['/fixtures/soon.crt', '/fixtures/expired.crt', '/fixtures/garbage.crt']
    const run = await cli(['cert', 'check', '--root', root, '--format', 'nagios', '--ca', CA, ...files])
    expect(run.code).toBe(2)
    const [head, ...details] = run.stdout.trimEnd().split('\n')
    expect(head).toMatch(/^PCP-HARDEN CERT CRITICAL - /)
    expect(head!.split(' | ')[1]!.split(/ (?=')/)).toHaveLength(2)
    expect(details).toEqual([
      expect.stringMatching(/^\[CRITICAL\] \/fixtures\/expired\.crt: expired on /),
      expect.stringMatching(/^\[WARNING\] \/fixtures\/soon\.crt: expires in 20 days/),
      '[UNKNOWN] /fixtures/garbage.crt: no PEM certificate in it',
    ])
  })

  it('chains FILEs to --ca, or to the CA tls.conf names', async () => {
    const run = await cli([
      'cert',
      'check',
      '--root',
      root,
      '/fixtures/soon.crt',
      '--ca',
      '/fixtures/expired.crt',
    ])
    expect(run.stdout).toContain('CRITICAL: not signed by the CA in /fixtures/expired.crt')
    const unreadable = await cli(['cert', 'check', '--root', root, '/fixtures/none.crt'])
    expect(unreadable.code).toBe(3)
    expect(unreadable.stdout).toContain('UNKNOWN: not found')
  })

  it('without certificates to check: one line, exit 3', async () => {
    const run = await cli(['cert', 'check', '--root', empty])
    expect(run.stderr).toBe(
      "pcp-harden: error: no certificates to check: the root's tls.conf files name none; give FILE arguments\n",
    )
    expect(run.code).toBe(3)
  })
})
