import {mkdir, readFile, rm, writeFile} from 'node:fs/promises'
import path from 'node:path'

import {execa} from 'execa'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {parsePmcdOptions} from '../../src/parsers/pmcd-options.js'
import {cli} from '../cli/run-cli.js'
import {createNetns, type Netns} from '../helpers/netns.js'
import {type RunningPmcd, startPmcd} from '../helpers/pmcd.js'
import {buildTree, removeTree} from '../helpers/tree.js'

/**
 * The flow the README walks a newcomer through, on the real thing: `cert init` and `tls write` into a
 * root, Debian's pmcd 6 seeing that root's /etc/pcp (bind-mounted in its own mount namespace, so the
 * paths tls.conf names are the host paths it names), and real pminfo clients, local and remote (in a
 * network namespace: pmcd exempts only its unix socket from -Q, but the remote case is what matters).
 */

const PMCD_CONF = 'pmcd\t2\tdso\tpmcd_init\t/var/lib/pcp/pmdas/pmcd/pmda_pmcd.so\n'
const ALICE = 'alice:x:1500:1500::/home/alice:/bin/bash'

/** A collector root with this machine's accounts (so pcp is the pcp pmcd drops to) and alice. */
async function collectorRoot(): Promise<string> {
  const passwd = `${await readFile('/etc/passwd', 'utf8')}${ALICE}\n`
  const group = `${await readFile('/etc/group', 'utf8')}alice:x:1500:\n`
  const indent = (text: string) => text.replace(/^/gm, '      ').trimEnd()
  return buildTree(`entries:
  - path: /etc/passwd
    content: |
${indent(passwd)}
  - path: /etc/group
    content: |
${indent(group)}
  - {path: /etc/pcp, type: dir}
  - {path: /etc/pcp/pmcd, type: dir}
  - {path: /etc/pcp/pmcd/pmcd.conf, content: "${PMCD_CONF.replace(/\t/g, '\\t').replace('\n', '\\n')}"}
  - {path: /etc/pcp/pmcd/pmcd.options, content: "# command-line options to pmcd\\n-A\\n"}
  - {path: /home/alice, type: dir, mode: "0750", owner: alice, group: alice}
`)
}

async function ok(args: string[]): Promise<string> {
  const run = await cli(args)
  expect(run.stderr, args.join(' ')).toBe('')
  expect(run.code, `${args.join(' ')}\n${run.stdout}`).toBe(0)
  return run.stdout
}

/** pmcd as the root's pmcd.options start it, seeing the root's /etc/pcp, with the root's tls.conf. */
async function startCollector(root: string, scratch: string): Promise<RunningPmcd> {
  const options = parsePmcdOptions(await readFile(path.join(root, 'etc/pcp/pmcd/pmcd.options'), 'utf8'))
  return startPmcd(scratch, '/etc/pcp/pmcd/pmcd.conf', {
    args: options.argv.map((w) => w.text),
    env: {PCP_TLSCONF_PATH: path.join(root, 'etc/pcp/tls.conf')},
    etcPcp: path.join(root, 'etc/pcp'),
  })
}

interface Client {
  /** The directory the client sees as /home (alice's ~/.pcp is there). */
  homes: string
  /** The tls.conf the client reads (a path as the client sees it). */
  tlsConf?: string
  /** PCP_SECURE_SOCKETS; unset: plaintext unless the collector asks otherwise. */
  secure?: string
  netns?: Netns
}

/** Real pminfo fetching pmcd.feature.secure from host:port, as the client describes. */
async function pminfo(target: string, client: Client) {
  const argv = [
    'unshare',
    '-m',
    '--propagation',
    'private',
    'sh',
    '-c',
    'mount --bind "$0" /home && exec "$@"',
    client.homes,
    'pminfo',
    '-h',
    target,
    '-f',
    'pmcd.feature.secure',
  ]
  const env: Record<string, string> = {HOME: '/home/alice'}
  if (client.tlsConf) env.PCP_TLSCONF_PATH = client.tlsConf
  if (client.secure !== undefined) env.PCP_SECURE_SOCKETS = client.secure
  if (client.netns) return client.netns.exec(argv, env)
  const run = await execa(argv[0]!, argv.slice(1), {env, reject: false, timeout: 30_000, stdin: 'ignore'})
  return {exitCode: run.exitCode ?? -1, stdout: String(run.stdout), stderr: String(run.stderr)}
}

const SECURE = /pmcd\.feature\.secure\s+value 1/

describe('cert init, cert issue and tls write on a real pmcd 6 and real pminfo clients', () => {
  let root: string
  let otherRoot: string
  let scratch: string
  let netns: Netns
  const running: RunningPmcd[] = []

  beforeAll(async () => {
    root = await collectorRoot()
    otherRoot = await collectorRoot()
    scratch = path.join(root, 'scratch')
    await mkdir(scratch, {mode: 0o755})
    netns = await createNetns()
    const sans = ['--san', 'localhost', '--san', '127.0.0.1', '--san', netns.hostAddress]
    await ok(['cert', 'init', '--root', root, ...sans])
    await ok(['tls', 'write', '--root', root])
    await ok(['cert', 'issue', '--root', root, '--user', 'alice'])
    await ok(['tls', 'write', '--root', root, '--monitor', '--user', 'alice'])
    // A client with the CA but no certificate of its own.
    await mkdir(path.join(root, 'home/nocert'), {recursive: true})
    await writeFile(
      path.join(root, 'home/nocert/tls.conf'),
      'tls-ca-cert-file = /home/alice/.pcp/tls/ca.crt\ntls-verify-clients = true\n',
    )
    // The same CA without tls-verify-clients: what a PCP 6 client does by default.
    await writeFile(
      path.join(root, 'home/nocert/noverify.conf'),
      'tls-ca-cert-file = /home/alice/.pcp/tls/ca.crt\n',
    )
    // Another collector, whose certificates come from another CA.
    await ok(['cert', 'init', '--root', otherRoot, ...sans])
    await ok(['tls', 'write', '--root', otherRoot])
  }, 120_000)

  afterAll(async () => {
    await Promise.all(running.map((p) => p.stop()))
    await netns?.remove()
    await removeTree(root)
    await removeTree(otherRoot)
  })

  const alice = (extra: Partial<Client> = {}): Client => ({
    homes: path.join(root, 'home'),
    tlsConf: '/home/alice/.pcp/tls.conf',
    secure: 'enforce',
    ...extra,
  })
  const plaintext = (extra: Partial<Client> = {}): Client => ({homes: path.join(root, 'home'), ...extra})

  describe('TLS set up but not enforced (tls write without --require-client-certs)', () => {
    let pmcd: RunningPmcd
    beforeAll(async () => {
      pmcd = await startCollector(root, await scratchDir(scratch, 'open'))
      running.push(pmcd)
    }, 30_000)

    it('pmcd sets up OpenSSL from the tls.conf tls write wrote', async () => {
      expect(await readFile(pmcd.log, 'utf8')).toMatch(/Info: OpenSSL \S+ setup/)
    })

    it("the monitor's pminfo, with PCP_SECURE_SOCKETS=enforce and its tls.conf, fetches over TLS", async () => {
      const run = await pminfo(`127.0.0.1:${pmcd.port}`, alice())
      expect(run.stderr).toBe('')
      expect(run.stdout).toMatch(SECURE)
    })

    it('a remote client over TLS without a certificate gets in too', async () => {
      const run = await pminfo(
        `${netns.hostAddress}:${pmcd.port}`,
        alice({netns, tlsConf: '/home/nocert/tls.conf'}),
      )
      expect(run.stderr).toBe('')
      expect(run.stdout).toMatch(SECURE)
    })

    it('a remote plaintext client still gets in, and verify says so', async () => {
      const run = await pminfo(`${netns.hostAddress}:${pmcd.port}`, plaintext({netns}))
      expect(run.exitCode, run.stderr).toBe(0)
      expect(run.stdout).toMatch(SECURE)
      const audit = await cli(['verify', '--root', root, '--check', 'PCP-PMCD-006', '--format', 'json'])
      const results = JSON.parse(audit.stdout).results as {check: string; status: string; message: string}[]
      expect(results.map((r) => [r.check, r.status])).toEqual([['PCP-PMCD-006', 'fail']])
      expect(audit.code).toBeGreaterThan(0)
    })

    afterAll(() => pmcd?.stop())
  })

  describe('tls write --require-client-certs: -Q in pmcd.options', () => {
    let pmcd: RunningPmcd
    beforeAll(async () => {
      const out = await ok(['tls', 'write', '--root', root, '--require-client-certs'])
      expect(out).toMatch(/-Q added/)
      pmcd = await startCollector(root, await scratchDir(scratch, 'enforced'))
      running.push(pmcd)
    }, 30_000)

    it('refuses a remote client in plaintext', async () => {
      const run = await pminfo(`${netns.hostAddress}:${pmcd.port}`, plaintext({netns}))
      expect(run.exitCode).not.toBe(0)
      expect(run.stderr).toMatch(/PMCD requires a client certificate/)
    })

    it('refuses a remote client over TLS without a certificate', async () => {
      const run = await pminfo(
        `${netns.hostAddress}:${pmcd.port}`,
        alice({netns, tlsConf: '/home/nocert/tls.conf'}),
      )
      expect(run.exitCode).not.toBe(0)
      expect(run.stdout).not.toMatch(SECURE)
      expect(run.stderr).toMatch(/IPC protocol failure/)
    })

    it('lets in a remote client with the certificate cert issue made', async () => {
      const run = await pminfo(`${netns.hostAddress}:${pmcd.port}`, alice({netns}))
      expect(run.stderr).toBe('')
      expect(run.stdout).toMatch(SECURE)
    })

    it('and verify no longer reports TLS as not enforced', async () => {
      const audit = await cli(['verify', '--root', root, '--check', 'PCP-PMCD-006', '--format', 'json'])
      const results = JSON.parse(audit.stdout).results as {check: string; status: string}[]
      expect(results.map((r) => [r.check, r.status])).toEqual([['PCP-PMCD-006', 'pass']])
    })

    afterAll(() => pmcd?.stop())
  })

  describe("the monitor's tls.conf verifies the collector", () => {
    let pmcd: RunningPmcd
    beforeAll(async () => {
      pmcd = await startCollector(otherRoot, await scratchDir(otherRoot, 'scratch'))
      running.push(pmcd)
    }, 30_000)

    it('refuses a collector whose certificate comes from another CA', async () => {
      const run = await pminfo(`127.0.0.1:${pmcd.port}`, alice())
      expect(run.exitCode).not.toBe(0)
      expect(run.stdout).not.toMatch(SECURE)
      expect(run.stderr).toMatch(/TLS protocol failure/)
      expect(await readFile(pmcd.log, 'utf8')).toMatch(/Info: OpenSSL \S+ setup/)
    })

    it('which a client without tls-verify-clients would have accepted', async () => {
      const run = await pminfo(`127.0.0.1:${pmcd.port}`, alice({tlsConf: '/home/nocert/noverify.conf'}))
      expect(run.stderr).toBe('')
      expect(run.stdout).toMatch(SECURE)
    })

    afterAll(() => pmcd?.stop())
  })
})

async function scratchDir(parent: string, name: string): Promise<string> {
  const dir = path.join(parent, name)
  await rm(dir, {recursive: true, force: true})
  await mkdir(dir, {recursive: true, mode: 0o755})
  return dir
}
