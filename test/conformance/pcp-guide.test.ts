import {execFileSync} from 'node:child_process'
import {readFile, rm, writeFile} from 'node:fs/promises'
import path from 'node:path'

import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import type {Report} from '../../src/engine/model.js'
import {detectProfiles} from '../../src/engine/profiles.js'
import {DiskBackend} from '../../src/host/backend.js'
import {Host} from '../../src/host/host.js'
import {auditHost} from '../helpers/audit.js'
import {buildTree, removeTree} from '../helpers/tree.js'
import {DEBIAN_PCP_TREE} from './debian-layout.js'

/**
 * PCP User's and Administrator's Guide, "Establishing Secure Connections", Collector Setup, run
 * literally with the real openssl, as root with umask 022, into Debian's packaged layout: every
 * /etc/pcp/tls path is the tree's. The chapter's `chown -R pcp:pcp` uses the tree's pcp ids.
 */
const GUIDE = `
umask 022
mkdir -p /etc/pcp/tls
cat > /etc/pcp/tls/openssl.cnf << _END_
[ server_cert ]
keyUsage = digitalSignature, keyEncipherment
nsCertType = server
[ client_cert ]
keyUsage = digitalSignature, keyEncipherment
nsCertType = client
_END_
openssl genrsa -out /etc/pcp/tls/ca.key
openssl req \\
    -x509 -new -nodes -sha256 -days 3650 -key /etc/pcp/tls/ca.key \\
    -subj '/O=PCP Authority/CN=Certificate Authority' \\
    -out /etc/pcp/tls/ca.crt
openssl genrsa -out /etc/pcp/tls/server.key 2048
openssl req \\
    -new -sha256 -subj '/O=PCP Authority/CN=PCP Collector' \\
    -key /etc/pcp/tls/server.key | \\
    openssl x509 \\
        -req -sha256 -days 365 \\
        -CA /etc/pcp/tls/ca.crt \\
        -CAkey /etc/pcp/tls/ca.key \\
        -extfile /etc/pcp/tls/openssl.cnf -extensions server_cert \\
        -out /etc/pcp/tls/server.crt
openssl genrsa -out /etc/pcp/tls/client.key 2048
openssl req \\
    -new -sha256 -subj '/O=PCP Authority/CN=PCP Monitor' \\
    -key /etc/pcp/tls/client.key | \\
    openssl x509 \\
        -req -sha256 -days 365 \\
        -CA /etc/pcp/tls/ca.crt \\
        -CAkey /etc/pcp/tls/ca.key \\
        -extfile /etc/pcp/tls/openssl.cnf -extensions client_cert \\
        -out /etc/pcp/tls/client.crt
chown -R pcp:pcp /etc/pcp/tls
cat > /etc/pcp/tls.conf << _END_
tls-ca-cert-file = /etc/pcp/tls/ca.crt
tls-key-file = /etc/pcp/tls/server.key
tls-cert-file = /etc/pcp/tls/server.crt
tls-client-key-file = /etc/pcp/tls/client.key
tls-client-cert-file = /etc/pcp/tls/client.crt
_END_
`

let root: string
let report: Report

async function audit(): Promise<Report> {
  const host = new Host(new DiskBackend(root))
  const profiles = (await detectProfiles(host)).map((d) => d.profile)
  return auditHost(host, {rootLabel: root, profiles})
}

beforeAll(async () => {
  root = await buildTree(`entries:\n${DEBIAN_PCP_TREE}`)
  const passwd = await readFile(path.join(root, 'etc/passwd'), 'utf8')
  const [, uid, gid] = /^pcp:x:(\d+):(\d+):/m.exec(passwd) ?? []
  // Paths into the tree (not the paths tls.conf names: pmcd reads those on the host); the guide's
  // pcp as the tree's pcp ids (the tree has its own accounts).
  const script = GUIDE.replaceAll(/(?<!=) \/etc\/pcp\//g, ` ${root}/etc/pcp/`).replace(
    'pcp:pcp',
    `${uid}:${gid}`,
  )
  await writeFile(path.join(root, 'guide.sh'), script)
  execFileSync('sh', ['-e', path.join(root, 'guide.sh')], {stdio: 'pipe', timeout: 60_000})
  await rm(path.join(root, 'guide.sh'))
  report = await audit()
}, 120_000)

afterAll(async () => {
  if (root) await removeTree(root)
})

type Seen = [check: string, severity: string, path: string | undefined]
const failures = (r: Report): Seen[] =>
  r.results.filter((x) => x.status === 'fail').map((x) => [x.check, x.severity, x.path])
const sorted = (list: Seen[]) => [...list].sort((a, b) => a.join(' ').localeCompare(b.join(' ')))

/** Every finding the procedure leaves, and why each is true. Any other finding fails the test. */
const EXPECTED: Seen[] = [
  // The shipped [access] section denies remote stores only: any IPv4 and IPv6 host may fetch.
  ['PCP-ACCESS-003', 'medium', '/etc/pcp/pmcd/pmcd.conf'],
  ['PCP-ACCESS-003', 'medium', '/etc/pcp/pmcd/pmcd.conf'],
  // Debian ships PMCD_LOCAL commented out and no -i: pmcd listens on every interface, and that
  // shipped policy lets every host that reaches it fetch.
  ['PCP-PMCD-003', 'high', '/etc/pcp/pmcd/pmcd.options'],
  // Neither -Q nor -S: those remote fetches need no certificate and no credentials.
  ['PCP-PMCD-005', 'high', '/etc/pcp/pmcd/pmcd.options'],
  // The guide stops at tls.conf: without -Q remote clients still connect in plaintext.
  ['PCP-PMCD-006', 'high', '/etc/pcp/pmcd/pmcd.options'],
  // Not PCP-PMCD-007: the shipped mech_list offers PLAIN and LOGIN, but the guide sets up no SASL
  // user database, saslauthd or -S, so no password can cross the network.
  // chown -R pcp:pcp: pcp may replace the CA and certificates and the directory; it gains nothing
  // (pmcd and pmproxy run as pcp and read the key as pcp), so low, with that reason.
  ['PCP-FILE-004', 'low', '/etc/pcp/tls'],
  ['PCP-FILE-004', 'low', '/etc/pcp/tls/ca.crt'],
  ['PCP-FILE-004', 'low', '/etc/pcp/tls/client.crt'],
  ['PCP-FILE-004', 'low', '/etc/pcp/tls/server.crt'],
  // Packaged modes looser than recommended: the access policy and logs readable by every user.
  ['PCP-FILE-006', 'low', '/etc/pcp/pmcd/pmcd.conf'],
  ['PCP-FILE-006', 'low', '/var/log/pcp'],
  ['PCP-FILE-006', 'low', '/var/log/pcp/pmcd'],
  ['PCP-FILE-006', 'low', '/var/log/pcp/pmie'],
  ['PCP-FILE-006', 'low', '/var/log/pcp/pmlogger'],
  ['PCP-FILE-006', 'low', '/var/log/pcp/pmproxy'],
  // The guide leaves the CA key on the collector, named by no tls.conf.
  ['PCP-FILE-007', 'low', '/etc/pcp/tls/ca.key'],
]

/** Apply a file fix (chown, chmod, install -d, mv) inside the tree, with the tree's accounts. */
async function applyFix(fix: string): Promise<void> {
  const ids = (file: string) =>
    readFile(path.join(root, file), 'utf8').then(
      (text) =>
        new Map(
          text
            .split('\n')
            .map((l) => l.split(':'))
            .map((f) => [f[0], f[2]]),
        ),
    )
  const users = await ids('etc/passwd')
  const groups = await ids('etc/group')
  const inTree = (p: string) => path.join(root, p)
  for (const step of fix.split(' && ')) {
    const words = step.split(' ')
    const [cmd] = words
    const target = inTree(words.at(-1) as string)
    if (cmd === 'chown') {
      const [user, group] = (words[1] as string).split(':')
      execFileSync('chown', [`${users.get(user as string)}:${groups.get(group as string)}`, target])
    } else if (cmd === 'chmod') execFileSync('chmod', [words[1] as string, target])
    else if (cmd === 'install') execFileSync('install', [...words.slice(1, -1), target])
    else if (cmd === 'mv') execFileSync('mv', [...words.slice(1, -2), inTree(words.at(-2) as string), target])
    else throw new Error(`not a file fix: ${step}`)
  }
}

describe("PCP's secure-connections procedure, run literally on Debian's packaged layout", () => {
  it('leaves only the findings listed, each true: no medium or above but TLS not enforced and the shipped access policy', () => {
    expect(report.results.filter((r) => r.status === 'error')).toEqual([])
    expect(sorted(failures(report))).toEqual(sorted(EXPECTED))
  })

  it("judges every certificate the guide made, and the CA key against the CA's certificate", () => {
    const certs = report.results.filter((r) => r.check === 'PCP-CERT-001')
    expect(certs.map((r) => [r.status, r.path]).sort()).toEqual([
      ['pass', '/etc/pcp/tls/ca.crt'],
      ['pass', '/etc/pcp/tls/client.crt'],
      ['pass', '/etc/pcp/tls/server.crt'],
    ])
  })

  it("moves the CA key the guide leaves behind to root's /root/pcp-ca, never over a file there", () => {
    const leftover = report.results.find((r) => r.check === 'PCP-FILE-007' && r.status === 'fail')
    expect(leftover?.fix).toBe(
      'install -d -m 0700 /root/pcp-ca && mv -n /etc/pcp/tls/ca.key /root/pcp-ca/ca.key',
    )
  })

  it("every file finding's fix, applied, removes it and adds no failure", async () => {
    const files = report.results.filter((r) => r.status === 'fail' && r.check.startsWith('PCP-FILE-'))
    for (const r of files) {
      expect(r.fix, `${r.check} ${r.path}`).toBeDefined()
    }
    for (const fix of new Set(files.map((r) => r.fix as string))) await applyFix(fix)
    const after = await audit()
    expect(sorted(failures(after))).toEqual(
      sorted(EXPECTED.filter(([check]) => !check.startsWith('PCP-FILE-'))),
    )
    // pmcd still reads its key as pcp, and pcp can still enter the directory (group pcp).
    expect(
      after.results.filter((r) => r.path === '/etc/pcp/tls/server.key').map((r) => r.status),
    ).not.toContain('fail')
  })
})
