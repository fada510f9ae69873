import {spawnSync} from 'node:child_process'
import {createHash} from 'node:crypto'
import {chmod, lstat, mkdir, mkdtemp, readdir, readFile, readlink, rm, writeFile} from 'node:fs/promises'
import {createServer, type Server, type Socket} from 'node:net'
import {tmpdir} from 'node:os'
import path from 'node:path'

import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {cli} from '../cli/run-cli.js'
import {freePortOn, makeSshKey, type SshKey, type SshNode, startSshNode} from '../helpers/sshd.js'
import {buildTree, removeTree} from '../helpers/tree.js'

/**
 * verify --nodes against real sshd nodes on 127.0.0.2 and 127.0.0.3. Each node runs in its own
 * mount namespace where its /root and /etc/pcp are directories of this test (bind mounts), so the
 * two nodes' file systems differ where the checks look. A node's own view of its file system is
 * /proc/PID/root of its sshd: a local `verify --root` of it must give the same results as the
 * audit over SSH.
 */

const PMCD_A = `
entries:
  - {path: /pmcd/pmcd.conf, mode: "0666", content: "pmcd\\t2\\tdso\\tpmcd_init\\tpmda_pmcd.so\\n[access]\\nallow hosts * : all;\\n"}
  - {path: /pmcd/pmcd.options, content: "-A\\n"}
  - {path: /tls.conf, mode: "0644", content: ""}
`
const PMCD_B = `
entries:
  - {path: /pmcd/pmcd.conf, mode: "0644", content: "pmcd\\t2\\tdso\\tpmcd_init\\tpmda_pmcd.so\\n[access]\\ndisallow hosts * : all;\\nallow localhost : fetch;\\n"}
  - {path: /pmcd/pmcd.options, content: "-A\\n-i 127.0.0.1\\n"}
`

let dir: string
let admin: SshKey
let knownHosts: string
const nodes: SshNode[] = []
const trees: string[] = []
let refused: number
let silent: Server
let silentPort: number
const sockets: Socket[] = []

/** Every entry under a directory: type, mode, owner, size, mtime and a hash of the content. */
async function listing(root: string): Promise<string[]> {
  const out: string[] = []
  const walk = async (p: string) => {
    const st = await lstat(p)
    const what = st.isFile()
      ? createHash('sha256')
          .update(await readFile(p))
          .digest('hex')
      : st.isSymbolicLink()
        ? await readlink(p)
        : ''
    out.push(
      `${path.relative(root, p)} ${st.mode.toString(8)} ${st.uid}:${st.gid} ${st.size} ${st.mtimeMs} ${what}`,
    )
    if (st.isDirectory()) for (const name of (await readdir(p)).sort()) await walk(path.join(p, name))
  }
  await walk(root)
  return out
}

const ssh = () => ['--identity', admin.path, '--known-hosts', knownHosts]

function json(stdout: string) {
  return JSON.parse(stdout) as {
    root: string
    summary: {status: string; exitCode: number}
    results: {
      host?: string
      check: string
      status: string
      message: string
      identity: string
      baseline?: string
    }[]
    hosts?: {host: string; status: string; error?: string}[]
  }
}

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'pcp-harden-fleet-'))
  admin = await makeSshKey(dir, 'admin', 'ed25519', 'admin@test')
  for (const [address, spec] of [
    ['127.0.0.2', PMCD_A],
    ['127.0.0.3', PMCD_B],
  ] as const) {
    const tree = await buildTree(spec)
    trees.push(tree)
    const node = await startSshNode({address, mounts: [{source: tree, target: '/etc/pcp'}]})
    nodes.push(node)
    await writeFile(node.authorizedKeys, `${admin.publicLine}\n`, {mode: 0o600})
  }
  knownHosts = path.join(dir, 'known_hosts')
  await writeFile(knownHosts, (await Promise.all(nodes.map((n) => readFile(n.knownHosts, 'utf8')))).join(''))
  // Nothing listens here: the connection is refused.
  refused = await freePortOn('127.0.0.4')
  // This one accepts and never speaks: only --node-timeout ends the wait.
  silent = createServer((socket) => sockets.push(socket))
  await new Promise<void>((resolve) => silent.listen(0, '127.0.0.5', resolve))
  silentPort = (silent.address() as {port: number}).port
}, 60_000)

afterAll(async () => {
  for (const socket of sockets) socket.destroy()
  await new Promise((resolve) => silent?.close(resolve))
  for (const node of nodes) await node.stop()
  for (const tree of trees) await removeTree(tree)
  await rm(dir, {recursive: true, force: true})
})

describe('verify --nodes', () => {
  it("gives each node's results as a local verify of that node's own file system, and writes nothing there", async () => {
    const before = await Promise.all([...trees, ...nodes.map((n) => n.root)].map(listing))
    const fleet = await cli(
      ['verify', '--nodes', nodes.map((n) => n.target).join(','), ...ssh(), '--format', 'json'],
      {},
    )
    expect(fleet.stderr).toBe('')
    const report = json(fleet.stdout)
    expect(report.hosts?.map((h) => h.host)).toEqual(nodes.map((n) => n.target))
    for (const node of nodes) {
      const local = await cli(['verify', '--root', `/proc/${node.process.pid}/root`, '--format', 'json'])
      const own = report.results.filter((r) => r.host === node.target).map(({host: _host, ...r}) => r)
      expect(own.length).toBeGreaterThan(0)
      expect(own).toEqual(json(local.stdout).results)
      const state = report.hosts?.find((h) => h.host === node.target)
      expect(state?.status).toBe(json(local.stdout).summary.status)
    }
    // The trees differ, and so do the findings: node A's pmcd.conf is world-writable, B's is not.
    const failing = (target: string) =>
      new Set(report.results.filter((r) => r.host === target && r.status === 'fail').map((r) => r.check))
    const [a, b] = nodes.map((n) => failing(n.target)) as [Set<string>, Set<string>]
    expect([...a].filter((id) => !b.has(id)).length).toBeGreaterThan(0)
    expect(fleet.code).toBe(report.summary.exitCode)
    expect(await Promise.all([...trees, ...nodes.map((n) => n.root)].map(listing))).toEqual(before)
  }, 180_000)

  it('reports an unreachable node UNKNOWN, the others still audited; the worst node sets the exit code', async () => {
    const run = await cli([
      'verify',
      '--nodes',
      `${nodes[1]!.target},127.0.0.4:${refused}`,
      ...ssh(),
      '--format',
      'json',
    ])
    const report = json(run.stdout)
    const hosts = report.hosts ?? []
    expect(hosts.map((h) => h.host)).toEqual([nodes[1]!.target, `127.0.0.4:${refused}`])
    expect(hosts[0]?.status).toMatch(/^(OK|WARNING|CRITICAL)$/)
    expect(hosts[0]?.error).toBeUndefined()
    expect(hosts[1]).toMatchObject({status: 'UNKNOWN', error: expect.stringMatching(/Connection refused/)})
    expect(report.results.filter((r) => r.check === 'PCPH-NODE-001').map((r) => [r.host, r.status])).toEqual([
      [`127.0.0.4:${refused}`, 'error'],
    ])
    // CRITICAL and WARNING outrank UNKNOWN, as for the results of one host.
    expect(report.summary.status).toBe(hosts[0]?.status)
    expect(run.code).toBe(report.summary.exitCode)
    const alone = await cli(['verify', '--nodes', `127.0.0.4:${refused}`, ...ssh(), '--format', 'nagios'])
    expect(alone.code).toBe(3)
    expect(alone.stderr).toBe('')
  }, 120_000)

  it('prints one nagios line for the fleet and one per node not OK; text groups by node, the fleet status last', async () => {
    const targets = nodes.map((n) => n.target)
    const nagios = await cli([
      'verify',
      '--nodes',
      targets.join(','),
      ...ssh(),
      '--concurrency',
      '1',
      '--format',
      'nagios',
    ])
    const lines = nagios.stdout.trimEnd().split('\n')
    expect(lines[0]).toMatch(/^PCP-HARDEN (CRITICAL|WARNING) - 2 nodes: .* \| nodes=2;;;0 /)
    const notOk = lines.slice(1)
    expect(notOk.length).toBeGreaterThan(0)
    for (const line of notOk) expect(line).toMatch(/^\[(CRITICAL|WARNING|UNKNOWN)\] 127\.0\.0\.[23]:\d+: /)
    const text = await cli(['verify', '--nodes', targets.join(','), ...ssh(), '--format', 'text'])
    expect(text.stdout.indexOf(`audit of ssh://${targets[0]}`)).toBeGreaterThanOrEqual(0)
    expect(text.stdout.indexOf(`audit of ssh://${targets[1]}`)).toBeGreaterThan(
      text.stdout.indexOf(`audit of ssh://${targets[0]}`),
    )
    expect(text.stdout.trimEnd().split('\n').at(-1)).toMatch(
      /^Status: (CRITICAL|WARNING) \(exit [12], the worst node's/,
    )
    expect(text.code).toBe(nagios.code)
  }, 120_000)

  it('gives up on a node that never answers after --node-timeout: UNKNOWN, not a hang', async () => {
    const started = Date.now()
    const run = await cli([
      'verify',
      '--nodes',
      `127.0.0.5:${silentPort}`,
      ...ssh(),
      '--connect-timeout',
      '60',
      '--node-timeout',
      '2',
      '--format',
      'json',
    ])
    expect(Date.now() - started).toBeLessThan(30_000)
    const report = json(run.stdout)
    expect(report.hosts).toEqual([
      expect.objectContaining({
        host: `127.0.0.5:${silentPort}`,
        status: 'UNKNOWN',
        error: expect.stringMatching(/^timed out/),
      }),
    ])
    expect(run.code).toBe(3)
  }, 60_000)
})

describe('verify --nodes with --baseline, --format prometheus and --textfile-dir', () => {
  it("compares each node with the same node of a fleet baseline; --fail-on-new exits with the worst node's new failures", async () => {
    const [a, b] = nodes.map((n) => n.target) as [string, string]
    const onlyB = path.join(dir, 'only-b.json')
    const both = path.join(dir, 'both.json')
    expect(
      (await cli(['verify', '--nodes', b, ...ssh(), '--format', 'json', '--output', onlyB])).stderr,
    ).toBe('')
    expect(
      (await cli(['verify', '--nodes', `${a},${b}`, ...ssh(), '--format', 'json', '--output', both])).stderr,
    ).toBe('')
    const baseA = json(await readFile(both, 'utf8')).hosts?.find((h) => h.host === a)
    // Node A is absent from the first baseline: all its failures are new, and they set the exit code.
    const fresh = await cli([
      'verify',
      '--nodes',
      `${a},${b}`,
      ...ssh(),
      '--baseline',
      onlyB,
      '--fail-on-new',
      '--format',
      'json',
    ])
    expect(fresh.stderr).toBe('')
    const report = json(fresh.stdout)
    const states = (host: string) =>
      new Set(report.results.filter((r) => r.host === host && r.status === 'fail').map((r) => r.baseline))
    expect(states(a)).toEqual(new Set(['new']))
    expect(states(b)).toEqual(new Set(['unchanged']))
    expect(report.hosts?.map((h) => h.status)).toEqual([baseA?.status, 'OK'])
    expect(fresh.code).toBe(report.summary.exitCode)
    expect(fresh.code).toBeGreaterThan(0)

    // Node A's world-writable pmcd.conf fixed (0640, as PCP-FILE-006 wants) since the second baseline:
    // resolved on A, nothing new.
    const conf = path.join(trees[0]!, 'pmcd/pmcd.conf')
    await chmod(conf, 0o640)
    try {
      const againstBoth = (...flags: string[]) =>
        cli(['verify', '--nodes', `${a},${b}`, ...ssh(), '--baseline', both, ...flags])
      const nagios = await againstBoth('--fail-on-new', '--format', 'nagios')
      expect(nagios.stdout).toMatch(
        /^PCP-HARDEN OK - 2 nodes: 2 ok; since the baseline: 0 new, [1-9]\d* resolved \| /,
      )
      expect(nagios.code).toBe(0)
      const text = await againstBoth('--format', 'text')
      const blockA = text.stdout.slice(0, text.stdout.indexOf(`audit of ssh://${b}`))
      expect(blockA).toContain('Resolved since the baseline')
      expect(blockA).toMatch(/\[RESOLVED\] PCP-FILE-\d+ \/etc\/pcp\/pmcd\/pmcd\.conf/)
    } finally {
      await chmod(conf, 0o666)
    }
  }, 180_000)

  it('refuses a single-host baseline with --nodes in one line, exit 3', async () => {
    const one = path.join(dir, 'one.json')
    await cli([
      'verify',
      '--root',
      trees[1]!,
      '--profile',
      'pcp-collector',
      '--format',
      'json',
      '--output',
      one,
    ])
    const run = await cli(['verify', '--nodes', nodes[1]!.target, ...ssh(), '--baseline', one])
    expect(run.stderr).toBe(
      `pcp-harden: error: --baseline ${one}: a report of one host; a fleet audit (--nodes, --cluster) compares with a fleet audit's JSON report\n`,
    )
    expect(run.code).toBe(3)
  }, 60_000)

  it('labels every series with its node, pcp_harden_up 0 for an unreachable one; promtool accepts it; the textfile is the same', async () => {
    const targets = [...nodes.map((n) => n.target), `127.0.0.4:${refused}`]
    const run = await cli(['verify', '--nodes', targets.join(','), ...ssh(), '--format', 'prometheus'])
    expect(run.stderr).toBe('')
    const check = spawnSync('/usr/bin/promtool', ['check', 'metrics'], {
      input: run.stdout,
      encoding: 'utf8',
      timeout: 20_000,
    })
    expect(check.stdout + check.stderr).toBe('')
    expect(check.status).toBe(0)
    const hosts = new Set([...run.stdout.matchAll(/host="([^"]*)"/g)].map((m) => m[1]))
    expect(hosts).toEqual(new Set(targets))
    expect(run.stdout).toContain(
      `pcp_harden_up{host="${targets[0]}"} 1\npcp_harden_up{host="${targets[1]}"} 1\npcp_harden_up{host="${targets[2]}"} 0\n`,
    )
    expect(run.stdout).toContain(`pcp_harden_status{host="${targets[2]}"} 3\n`)
    // Node A's world-writable pmcd.conf, on A only.
    expect(run.stdout).toMatch(
      new RegExp(`pcp_harden_findings\\{host="${targets[0]}",severity="critical"\\} [1-9]`),
    )

    const textfile = path.join(dir, 'textfile')
    await mkdir(textfile)
    const written = await cli([
      'verify',
      '--nodes',
      targets.join(','),
      ...ssh(),
      '--textfile-dir',
      textfile,
      '--format',
      'nagios',
    ])
    expect(written.stdout).toMatch(/^PCP-HARDEN /)
    expect(await readdir(textfile)).toEqual(['pcp_harden.prom'])
    const withoutTime = (t: string) => t.replace(/_seconds \d+/, '_seconds T')
    expect(withoutTime(await readFile(path.join(textfile, 'pcp_harden.prom'), 'utf8'))).toBe(
      withoutTime(run.stdout),
    )
  }, 180_000)
})
