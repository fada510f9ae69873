import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {cli} from '../cli/run-cli.js'
import {buildTree, removeTree} from '../helpers/tree.js'

/**
 * Secrets never reach an output (issue 13): a user's authorized_keys symlinked to the CA key, an
 * LXC config or pmcd.options that is a key, a password PCP ignores in tls.conf. The key below was
 * made for this test (openssl genpkey); what matters is that none of its base64 is printed.
 */
const KEY = `-----BEGIN PRIVATE KEY-----
MIICdgIBADANBgkqhkiG9w0BAQEFAASCAmAwggJcAgEAAoGBAMJv7rYq2y3k9Fq0
Zk3m8yq1zTqJ0cQ4sX6cX1m4aV1rW3pZ4vB8yH2vQ9nC7tJ6kL5dR3xS0fU1eW2g
-----END PRIVATE KEY-----
`
const KEY_BITS = ['MIICdgIBADANBgkq', 'Zk3m8yq1zTqJ0cQ4', 'AoGBAMJv7rYq2y3k']

let root: string

beforeAll(async () => {
  root = await buildTree(`
entries:
  - {path: /etc/passwd, content: "root:x:0:0:root:/root:/bin/bash\\nalice:x:1000:1000::/home/alice:/bin/sh\\nbob:x:1001:1001::/home/bob:/bin/sh\\n"}
  - {path: /etc/group, content: "root:x:0:\\nalice:x:1000:\\nbob:x:1001:\\n"}
  - {path: /etc/pcp/tls, type: dir, mode: "0750"}
  - {path: /etc/pcp/tls/ca.key, mode: "0600", content: ${JSON.stringify(KEY)}}
  - {path: /home/alice, type: dir, mode: "0700", owner: "1000", group: "1000"}
  - {path: /home/alice/.ssh, type: dir, mode: "0700", owner: "1000", group: "1000"}
  - {path: /home/alice/.ssh/authorized_keys, type: symlink, target: /etc/pcp/tls/ca.key, owner: "1000", group: "1000"}
  - {path: /home/bob, type: dir, mode: "0700", owner: "1001", group: "1001"}
  - {path: /home/bob/.ssh, type: dir, mode: "0700", owner: "1001", group: "1001"}
  - {path: /home/bob/.ssh/authorized_keys, mode: "0600", owner: "1001", group: "1001", content: ${JSON.stringify(KEY)}}
  - {path: /etc/pve/lxc/105.conf, type: symlink, target: /etc/pcp/tls/ca.key}
  - {path: /etc/pcp/pmcd/pmcd.options, type: symlink, target: /etc/pcp/tls/ca.key}
  - {path: /etc/default/pmcd, type: symlink, target: /etc/pcp/tls/ca.key}
  - {path: /etc/pcp/tls.conf, content: "tls-cert-file = /etc/pcp/tls/server.crt\\ntls-key-password = hunter2secret\\n"}
`)
})

afterAll(async () => {
  await removeTree(root)
})

const leaks = (out: string) => KEY_BITS.filter((bit) => out.includes(bit.slice(0, 12)))

describe('no key material and no password in any output', () => {
  it.each(['text', 'json', 'sarif', 'junit', 'nagios'])('verify --format %s', async (format) => {
    const run = await cli(['verify', '--root', root, '--format', format, '--verbose'])
    expect(leaks(run.stdout + run.stderr)).toEqual([])
    expect(run.stdout + run.stderr).not.toContain('hunter2secret')
  })

  it("alice's link to the CA key is not read: alice cannot read the key, so sshd does not either", async () => {
    const run = await cli(['verify', '--root', root, '--format', 'json'])
    const report = JSON.parse(run.stdout) as {results: {path?: string; message: string}[]}
    const alice = report.results.filter((r) => r.path === '/home/alice/.ssh/authorized_keys')
    expect(alice.map((r) => r.message)).toContain(
      'alice cannot reach it (it resolves to /etc/pcp/tls/ca.key, and alice may not search /etc/pcp/tls): sshd, reading as alice, does not read it either',
    )
  })

  it("bob's own file holding a key: the line is named for what it looks like, and not quoted", async () => {
    const run = await cli(['verify', '--root', root, '--format', 'json'])
    const report = JSON.parse(run.stdout) as {results: {path?: string; line?: number; message: string}[]}
    const bob = report.results.filter((r) => r.path === '/home/bob/.ssh/authorized_keys' && r.line === 1)
    expect(bob.map((r) => r.message)).toContain(
      'line 1 is not a key line: it looks like a PEM private key; sshd ignores it',
    )
  })

  it('lxc lint and keys lint on a key file', async () => {
    for (const argv of [
      ['lxc', 'lint', '--root', root, '/etc/pve/lxc/105.conf', '--verbose'],
      ['keys', 'lint', '--root', root, '/etc/pcp/tls/ca.key', '--verbose'],
      ['keys', 'lint', '--root', root, '/etc/pcp/tls/ca.key', '--format', 'json'],
    ]) {
      const run = await cli(argv)
      expect(leaks(run.stdout + run.stderr), argv.join(' ')).toEqual([])
    }
  })
})
