import {execFileSync} from 'node:child_process'
import {mkdir, mkdtemp, readFile, rm, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import path from 'node:path'

import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {parseTreeSpec} from '../../src/host/tree.js'
import {SEED_TREE} from '../checks/seed-tree.js'
import {buildTree, removeTree} from '../helpers/tree.js'
import {cli, REPO} from './run-cli.js'

/**
 * The examples users copy: every `pcp-harden ...` line in the README's shell blocks and every
 * command's --help examples must run as written (with /mnt/image standing for a real tree):
 * no bad-input exit 3, no error on stderr.
 */
let image: string
let cwd: string
/** A proxy host with real keys for rotate-keys (the seed tree's key files are placeholders). */
let proxyHost: string
/** A Proxmox node's /etc/pve naming the example cluster's members, for verify --cluster. */
let clusterRoot: string

beforeAll(async () => {
  image = await buildTree(parseTreeSpec(SEED_TREE, 'seed'))
  proxyHost = await mkdtemp(path.join(tmpdir(), 'pcp-harden-examples-proxy-'))
  for (const slot of ['ssh', 'ssh.d/prev']) {
    const dir = path.join(proxyHost, 'var/lib/pulse-sensor-proxy', slot)
    await mkdir(dir, {recursive: true, mode: 0o700})
    execFileSync('ssh-keygen', [
      '-q',
      '-t',
      'ed25519',
      '-N',
      '',
      '-C',
      'pulse-sensor-proxy',
      '-f',
      `${dir}/id_ed25519`,
    ])
  }
  clusterRoot = await mkdtemp(path.join(tmpdir(), 'pcp-harden-examples-cluster-'))
  await mkdir(path.join(clusterRoot, 'etc/pve'), {recursive: true})
  await writeFile(
    path.join(clusterRoot, 'etc/pve/corosync.conf'),
    'nodelist {\n  node {\n    name: pve1\n    nodeid: 1\n    ring0_addr: pve1\n  }\n' +
      '  node {\n    name: pve2\n    nodeid: 2\n    ring0_addr: pve2\n  }\n}\n',
  )
  cwd = await mkdtemp(path.join(tmpdir(), 'pcp-harden-examples-'))
  // The file examples name in the current directory.
  await writeFile(path.join(cwd, 'pmcd.conf'), '[access]\nallow "local:*" : all;\n')
  // The logs the logs examples read: pmcd's, in the seed image and here, and a proxy journal export.
  const pmcdLog =
    'Log for pmcd on pve1 started Mon Dec  7 17:19:40 2026\naccess violation from host 10.0.0.9\n'
  await mkdir(path.join(image, 'var/log/pcp/pmcd'), {recursive: true})
  await writeFile(path.join(image, 'var/log/pcp/pmcd/pmcd.log'), pmcdLog)
  await writeFile(path.join(cwd, 'pmcd.log'), pmcdLog)
  await writeFile(path.join(cwd, 'proxy.journal'), 'MESSAGE=WRN Rate limit exceeded pid=1 uid=100000\n')
  // The baseline the --baseline examples compare with: an audit of the same tree.
  await writeFile(
    path.join(cwd, 'last.json'),
    (await cli(['verify', '--root', image, '--format', 'json'])).stdout,
  )
  // The fleet's baseline: a fleet audit of the example nodes, which do not exist here (each UNKNOWN).
  await writeFile(
    path.join(cwd, 'fleet.json'),
    (await cli(['verify', '--nodes', 'pve1,pve2', '--format', 'json'], {cwd})).stdout,
  )
  await writeFile(
    path.join(cwd, 'pmcd.access'),
    '# seed 000 style\nmonitor1 cert readonly\n10.0.0.0/8 sasl\n',
  )
  // The CA certificate probe examples name (read before connecting; never used, the hosts do not exist).
  await writeFile(path.join(cwd, 'ca.crt'), '')
})

afterAll(async () => {
  await removeTree(image)
  await rm(proxyHost, {recursive: true, force: true})
  await rm(clusterRoot, {recursive: true, force: true})
  await rm(cwd, {recursive: true, force: true})
})

function words(line: string): string[] {
  return (line.replace(/\s+#.*$/, '').match(/"[^"]*"|'[^']*'|\S+/g) ?? []).map((w) =>
    w.replace(/^["']|["']$/g, ''),
  )
}

async function readmeExamples(): Promise<string[]> {
  const readme = await readFile(path.join(REPO, 'README.md'), 'utf8')
  const blocks = [...readme.matchAll(/```sh\n([\s\S]*?)```/g)].map((m) => m[1] ?? '')
  return blocks.flatMap((b) => b.split('\n')).filter((l) => l.startsWith('pcp-harden '))
}

async function helpExamples(): Promise<string[]> {
  const manifest = JSON.parse(await readFile(path.join(REPO, 'oclif.manifest.json'), 'utf8'))
  return Object.values(manifest.commands as Record<string, {examples?: string[]}>).flatMap((c) =>
    (c.examples ?? []).map((e) => e.replace('<%= config.bin %>', 'pcp-harden')),
  )
}

describe('documented examples run as written', async () => {
  const examples = [...new Set([...(await readmeExamples()), ...(await helpExamples())])]

  it('there are examples to run', () => {
    expect(examples.length).toBeGreaterThan(8)
  })

  it.each(examples)('%s', async (example) => {
    const args = words(example)
      .slice(1)
      .map((w) => (w === '/mnt/image' ? image : w === '/var/lib/prometheus/node-exporter' ? cwd : w))
      .map((w) => (/\.(json|sarif)$/.test(w) ? path.join(cwd, w) : w))
    // Examples that audit "/" audit a seed tree here: the test machine is not a PCP host.
    const onRoot = args[0] === 'verify' && !args.includes('--root') && !args.includes('--sample')
    const onLiveRoot =
      onRoot || (['access', 'tls', 'logs'].includes(args[0] ?? '') && !args.includes('--root'))
    if (args[0] === 'rotate-keys') {
      // A dry run still reaches every node at preflight, and the example nodes (pve1, ...) do not
      // exist here: it must read the proxy host, then stop before changing anything, naming them.
      // test/rotate/rotate-keys.e2e.test.ts runs dry runs against real sshd nodes.
      const rootless = args.filter((w, i) => w !== '--root' && args[i - 1] !== '--root')
      const run = await cli([...rootless, '--root', proxyHost], {cwd})
      expect(run.stderr).toBe('')
      expect(run.code).toBe(2)
      expect(run.stdout).toMatch(/nothing changed: pve1: preflight: .*Could not resolve hostname pve1/)
      return
    }
    if (args[0] === 'decommission') {
      // Every example is a dry run; it reads every node, and the example nodes do not exist here.
      // test/decommission/decommission.e2e.test.ts runs it against real sshd nodes.
      expect(args).toContain('--dry-run')
      const rootless = args.filter((w, i) => w !== '--root' && args[i - 1] !== '--root')
      const run = await cli([...rootless, '--root', proxyHost], {cwd})
      expect(run.stderr).toBe('')
      expect(run.code).toBe(2)
      expect(run.stdout).toMatch(/dry run: pve1.* not reached; nothing changed/)
      return
    }
    if (args[0] === 'verify' && (args.includes('--nodes') || args.includes('--cluster'))) {
      // The example nodes (pve1, ...) do not exist here: each is UNKNOWN, named, and nothing crashes.
      // test/fleet/fleet.e2e.test.ts audits real sshd nodes.
      const run = await cli(args.includes('--cluster') ? [...args, '--root', clusterRoot] : args, {cwd})
      expect(run.stderr).toBe('')
      expect(run.code).toBe(3)
      expect(run.stdout).toMatch(/Could not resolve hostname pve1/)
      return
    }
    if (args[0] === 'probe') {
      // The example host is not ours to reach: the same command against a closed port on loopback
      // must say so as a Nagios UNKNOWN, not fail. test/probe/ probes real pmcd and pmproxy.
      const local = args.map((w) =>
        w.replace(/^pcp1\.example\.com(?=:|$)/, '127.0.0.1').replace(/^127\.0\.0\.1(:\d+)?$/, '127.0.0.1:1'),
      )
      const run = await cli(local, {cwd})
      expect(run.stderr).toBe('')
      expect(run.code).toBe(3)
      expect(run.stdout).toMatch(/cannot connect/)
      return
    }
    if (args[0] === 'verify' && args.includes('--restart')) {
      // It restarts this machine's services, so it runs only on --root /: on a tree it refuses in
      // one line. test/fix/ applies fixes to trees; test/fix/edits.test.ts holds its systemctl argv.
      const run = await cli([...args, '--root', image], {cwd})
      expect(run.code).toBe(3)
      expect(run.stderr).toMatch(/^pcp-harden: error: --restart: .* only with --root \/ /)
      return
    }
    if (args[0] === 'verify' && args.includes('--fix') && !args.includes('--dry-run')) {
      // A fix changes the tree: on a copy, so that the other examples audit the image as built.
      const copy = `${image}-fix`
      execFileSync('cp', ['-a', image, copy])
      try {
        const run = await cli([...args.map((w) => (w === image ? copy : w))], {cwd})
        expect(run.stderr).toBe('')
        expect([0, 1, 2]).toContain(run.code)
      } finally {
        await removeTree(copy)
      }
      return
    }
    const run = await cli(onLiveRoot ? [...args, '--root', image] : args, {cwd})
    expect(run.stderr).toBe('')
    expect([0, 1, 2]).toContain(run.code)
  })
})
