import path from 'node:path'

import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {cli} from '../cli/run-cli.js'
import {removeTree} from '../helpers/tree.js'
import {openssl} from '../pki/openssl.js'
import {ALICE, collectorRoot, modeOf, PCP, snapshot} from './tree.js'

const TLS = '/etc/pcp/tls'
const roots: string[] = []

async function root(): Promise<string> {
  const dir = await collectorRoot()
  roots.push(dir)
  return dir
}

afterAll(async () => {
  await Promise.all(roots.map(removeTree))
})

function verify(dir: string, file: string, purpose: 'sslserver' | 'sslclient') {
  return openssl(['verify', '-x509_strict', '-purpose', purpose, '-CAfile', 'ca.crt', file], {cwd: dir})
}

describe('cert init', {timeout: 30_000}, () => {
  let r: string
  let local: string

  beforeAll(async () => {
    r = await root()
    local = path.join(r, TLS)
  })

  it('--dry-run shows files, owners, subjects, SANs and validity, prints no key material, writes nothing', async () => {
    const before = await snapshot(r)
    const run = await cli(['cert', 'init', '--root', r, '--dry-run'])
    expect(run.stderr).toBe('')
    expect(run.code).toBe(0)
    const lines = run.stdout.split('\n')
    expect(lines).toContain(`mkdir ${TLS} (0750 root:pcp)`)
    expect(lines).toContain(`create ${TLS}/ca.key (0600 root:root)`)
    expect(lines).toContain(`create ${TLS}/server.key (0600 pcp:pcp)`)
    expect(lines).toContain(`create ${TLS}/client.key (0600 pcp:pcp)`)
    expect(lines).toContain(`create ${TLS}/server.crt (0644 root:root)`)
    expect(run.stdout).toMatch(
      /^server \/etc\/pcp\/tls\/server\.crt: O=PCP Authority, CN=pcp1\.example\.com; subjectAltName DNS:pcp1\.example\.com; RSA 2048; valid \d{4}-\d\d-\d\d to \d{4}-\d\d-\d\d \(365 days\)$/m,
    )
    expect(run.stdout).toMatch(/^ca {5}\/etc\/pcp\/tls\/ca\.crt: .*\(3650 days\)$/m)
    expect(run.stdout).toContain('warning: the CA key /etc/pcp/tls/ca.key is on the collector')
    expect(run.stdout).toContain('dry run: nothing written')
    expect(run.stdout).not.toMatch(/BEGIN|PRIVATE/)
    expect(await snapshot(r)).toEqual(before)
  })

  it('writes the CA and the collector certificates with exact modes and owners', async () => {
    const run = await cli(['cert', 'init', '--root', r, '--san', 'pcp1.example.com,10.1.2.3'])
    expect(run.stderr).toBe('')
    expect(run.code).toBe(0)
    expect(run.stdout).not.toMatch(/BEGIN|PRIVATE/)
    expect(run.stdout).toContain(`  tls-key-file = ${TLS}/server.key`)
    expect(await modeOf(r, TLS)).toEqual({mode: '0750', uid: 0, gid: PCP})
    expect(await modeOf(r, `${TLS}/ca.key`)).toEqual({mode: '0600', uid: 0, gid: 0})
    for (const key of ['server.key', 'client.key'])
      expect(await modeOf(r, `${TLS}/${key}`)).toEqual({mode: '0600', uid: PCP, gid: PCP})
    for (const cert of ['ca.crt', 'server.crt', 'client.crt'])
      expect(await modeOf(r, `${TLS}/${cert}`)).toEqual({mode: '0644', uid: 0, gid: 0})
    expect(Object.keys(await snapshot(r, TLS)).sort()).toEqual(
      ['ca.crt', 'ca.key', 'client.crt', 'client.key', 'server.crt', 'server.key'].map((f) => `${TLS}/${f}`),
    )
  })

  it('openssl verify accepts them for their purposes; openssl x509 -text shows the extensions', () => {
    expect(verify(local, 'server.crt', 'sslserver').stdout).toBe('server.crt: OK\n')
    expect(verify(local, 'client.crt', 'sslclient').stdout).toBe('client.crt: OK\n')
    const server = openssl(['x509', '-in', 'server.crt', '-text', '-noout'], {cwd: local}).stdout
    expect(server).toContain('Signature Algorithm: sha256WithRSAEncryption')
    expect(server).toMatch(/X509v3 Key Usage: critical\n\s+Digital Signature, Key Encipherment/)
    expect(server).toMatch(/X509v3 Extended Key Usage: \n\s+TLS Web Server Authentication/)
    expect(server).toMatch(/Netscape Cert Type: \n\s+SSL Server/)
    expect(server).toMatch(
      /X509v3 Subject Alternative Name: \n\s+DNS:pcp1\.example\.com, IP Address:10\.1\.2\.3/,
    )
    expect(server).toMatch(/X509v3 Authority Key Identifier: \n\s+([0-9A-F]{2}:){19}[0-9A-F]{2}/)
    const ca = openssl(['x509', '-in', 'ca.crt', '-text', '-noout'], {cwd: local}).stdout
    expect(ca).toMatch(/X509v3 Basic Constraints: critical\n\s+CA:TRUE, pathlen:0/)
    expect(ca).toMatch(/X509v3 Key Usage: critical\n\s+Certificate Sign, CRL Sign/)
  })

  it('openssl rsa -check and openssl pkey accept the keys', () => {
    for (const key of ['ca.key', 'server.key', 'client.key']) {
      expect(openssl(['rsa', '-check', '-noout', '-in', key], {cwd: local}).stdout).toBe('RSA key ok\n')
      const pkey = openssl(['pkey', '-in', key, '-noout'], {cwd: local})
      expect(pkey.code, pkey.stderr).toBe(0)
    }
  })

  it('never replaces existing keys without --force, and names them', async () => {
    const before = await snapshot(r)
    const run = await cli(['cert', 'init', '--root', r, '--san', 'other.example.com'])
    expect(run.code).toBe(3)
    expect(run.stderr).toMatch(
      /^pcp-harden: error: \/etc\/pcp\/tls\/ca\.crt, \/etc\/pcp\/tls\/ca\.key, .*give --force/,
    )
    expect(run.stderr).toContain(`${TLS}/server.key`)
    expect(run.stderr.split('\n')).toHaveLength(2)
    expect(await snapshot(r)).toEqual(before)
  })

  it('--force replaces them and keeps the old ones as backups nobody else can read', async () => {
    const before = await snapshot(r)
    const run = await cli(['cert', 'init', '--root', r, '--san', 'pcp1.example.com', '--force'])
    expect(run.stderr).toBe('')
    expect(run.code).toBe(0)
    expect(run.stdout).toContain(`warning: ${TLS}/ca.key is replaced by a new CA`)
    const after = await snapshot(r)
    for (const file of ['ca.key', 'server.key', 'client.key', 'server.crt']) {
      expect(after[`${TLS}/${file}`]?.sha).not.toBe(before[`${TLS}/${file}`]?.sha)
      expect(after[`${TLS}/${file}.pcp-harden.bak`]?.sha).toBe(before[`${TLS}/${file}`]?.sha)
    }
    for (const [file, entry] of Object.entries(after))
      if (/\.key(\.pcp-harden\.bak)?$/.test(file)) expect(entry.mode & 0o077, file).toBe(0)
    expect(verify(local, 'server.crt', 'sslserver').code).toBe(0)
  }, 30_000)

  it('--ca-dir keeps the CA key apart (0700 root), puts ca.crt in both places and does not warn', async () => {
    const r2 = await root()
    const run = await cli(['cert', 'init', '--root', r2, '--ca-dir', '/root/pcp-ca', '--key-size', '3072'])
    expect(run.stderr).toBe('')
    expect(run.code).toBe(0)
    expect(run.stdout).not.toContain('warning:')
    expect(await modeOf(r2, '/root/pcp-ca')).toEqual({mode: '0700', uid: 0, gid: 0})
    expect(await modeOf(r2, '/root/pcp-ca/ca.key')).toEqual({mode: '0600', uid: 0, gid: 0})
    const files = await snapshot(r2)
    expect(files[`${TLS}/ca.key`]).toBeUndefined()
    expect(files[`${TLS}/ca.crt`]?.sha).toBe(files['/root/pcp-ca/ca.crt']?.sha)
    const server = openssl(['x509', '-in', path.join(r2, TLS, 'server.crt'), '-text', '-noout']).stdout
    expect(server).toContain('Public-Key: (3072 bit)')
    expect(verify(path.join(r2, TLS), 'server.crt', 'sslserver').code).toBe(0)
  }, 60_000)

  it('bad input is one line and exit 3', async () => {
    const r3 = await root()
    for (const [args, message] of [
      [['--owner', 'nosuch'], "--owner nosuch: no such user in the root's /etc/passwd"],
      [['--san', 'bad name!'], '--san "bad name!": not a DNS name or an IP address'],
      [['--dir', 'relative/tls'], '--dir relative/tls: give an absolute path (a host path under --root)'],
    ] as const) {
      const run = await cli(['cert', 'init', '--root', r3, ...args])
      expect(run.stderr).toBe(`pcp-harden: error: ${message}\n`)
      expect(run.code).toBe(3)
    }
  })
})

describe('cert issue', {timeout: 30_000}, () => {
  let r: string

  beforeAll(async () => {
    r = await root()
    const init = await cli(['cert', 'init', '--root', r, '--ca-dir', '/root/pcp-ca'])
    expect(init.code, init.stderr).toBe(0)
  }, 30_000)

  it("--dry-run plans alice's files in ~alice/.pcp/tls, owned by her, and writes nothing", async () => {
    const before = await snapshot(r)
    const run = await cli([
      'cert',
      'issue',
      '--root',
      r,
      '--ca-dir',
      '/root/pcp-ca',
      '--user',
      'alice',
      '--dry-run',
    ])
    expect(run.stderr).toBe('')
    expect(run.code).toBe(0)
    expect(run.stdout.split('\n')).toEqual(
      expect.arrayContaining([
        'mkdir /home/alice/.pcp (0755 alice:alice)',
        'mkdir /home/alice/.pcp/tls (0700 alice:alice)',
        'create /home/alice/.pcp/tls/client.key (0600 alice:alice)',
      ]),
    )
    expect(run.stdout).not.toMatch(/BEGIN|PRIVATE/)
    expect(await snapshot(r)).toEqual(before)
  })

  it("issues alice's client certificate from the CA: keys hers and 0600, verified by openssl", async () => {
    const run = await cli(['cert', 'issue', '--root', r, '--ca-dir', '/root/pcp-ca', '--user', 'alice'])
    expect(run.stderr).toBe('')
    expect(run.code).toBe(0)
    expect(run.stdout).toContain('  tls-client-cert-file = /home/alice/.pcp/tls/client.crt')
    expect(run.stdout).toContain('  tls-verify-clients = true')
    const home = '/home/alice/.pcp'
    expect(await modeOf(r, home)).toEqual({mode: '0755', uid: ALICE, gid: ALICE})
    expect(await modeOf(r, `${home}/tls`)).toEqual({mode: '0700', uid: ALICE, gid: ALICE})
    expect(await modeOf(r, `${home}/tls/client.key`)).toEqual({mode: '0600', uid: ALICE, gid: ALICE})
    expect(await modeOf(r, `${home}/tls/client.crt`)).toEqual({mode: '0644', uid: ALICE, gid: ALICE})
    expect(await modeOf(r, `${home}/tls/ca.crt`)).toEqual({mode: '0644', uid: ALICE, gid: ALICE})
    const dir = path.join(r, home, 'tls')
    expect(verify(dir, 'client.crt', 'sslclient').stdout).toBe('client.crt: OK\n')
    const text = openssl(['x509', '-in', 'client.crt', '-noout', '-subject'], {cwd: dir}).stdout
    expect(text).toBe('subject=O = PCP Authority, CN = alice\n')
    expect(openssl(['rsa', '-check', '-noout', '-in', 'client.key'], {cwd: dir}).stdout).toBe('RSA key ok\n')
  })

  it('does not replace them without --force', async () => {
    const before = await snapshot(r)
    const run = await cli(['cert', 'issue', '--root', r, '--ca-dir', '/root/pcp-ca', '--user', 'alice'])
    expect(run.code).toBe(3)
    expect(run.stderr).toContain('/home/alice/.pcp/tls/client.key')
    expect(await snapshot(r)).toEqual(before)
  })

  it('--server issues a server certificate for another collector', async () => {
    const run = await cli([
      'cert',
      'issue',
      '--root',
      r,
      '--ca-dir',
      '/root/pcp-ca',
      '--server',
      '--san',
      'pcp2.example.com',
      '--san',
      '10.1.2.4',
      '--out',
      '/root/pcp2',
    ])
    expect(run.stderr).toBe('')
    expect(run.code).toBe(0)
    const dir = path.join(r, '/root/pcp2')
    expect(verify(dir, 'server.crt', 'sslserver').stdout).toBe('server.crt: OK\n')
    const text = openssl(['x509', '-in', 'server.crt', '-text', '-noout'], {cwd: dir}).stdout
    expect(text).toMatch(
      /X509v3 Subject Alternative Name: \n\s+DNS:pcp2\.example\.com, IP Address:10\.1\.2\.4/,
    )
    expect(await modeOf(r, '/root/pcp2/server.key')).toEqual({mode: '0600', uid: 0, gid: 0})
  })

  it('bad input is one line and exit 3', async () => {
    for (const [args, message] of [
      [['--user', 'alice'], '--ca-dir /etc/pcp/tls: /etc/pcp/tls/ca.key: not found'],
      [['--ca-dir', '/root/pcp-ca'], 'give --user NAME (files go to ~NAME/.pcp/tls) or --out DIR'],
      [
        ['--ca-dir', '/root/pcp-ca', '--server', '--out', '/x'],
        "--server needs --san: the collector's names and addresses",
      ],
      [['--ca-dir', '/root/pcp-ca', '--user', 'bob'], "--user bob: no such user in the root's /etc/passwd"],
    ] as const) {
      const run = await cli(['cert', 'issue', '--root', r, ...args])
      expect(run.stderr).toBe(`pcp-harden: error: ${message}\n`)
      expect(run.code).toBe(3)
    }
  })
})
