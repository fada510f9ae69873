import {type ChildProcessWithoutNullStreams, execFileSync, spawn} from 'node:child_process'
import {createHash} from 'node:crypto'
import {writeFileSync} from 'node:fs'
import {lstat, mkdir, mkdtemp, readdir, readFile, readlink, rm, symlink, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import path from 'node:path'
import {createInterface} from 'node:readline'

import {afterAll, afterEach, beforeAll, beforeEach, describe, expect, it} from 'vitest'

import {cli, REPO} from '../cli/run-cli.js'
import {freePortOn, makeSshKey, type SshKey, type SshNode, startSshNode} from '../helpers/sshd.js'

/**
 * decommission against real sshd nodes on 127.0.0.2-4, each with its own /root, and a proxy host
 * tree on disk: the built CLI, and for the SIGKILL cases the library in a harness that stops after
 * each step.
 */
const STATE = '/var/lib/pulse-sensor-proxy'
const NO_FORWARDING = 'no-port-forwarding,no-X11-forwarding,no-agent-forwarding,no-pty'

let dir: string
let admin: SshKey
let knownHosts: string
let unrelated: string
let sensorsKey: string
let previousKey: string
const nodes: SshNode[] = []
let root: string
let proxyKey: string
const children: ChildProcessWithoutNullStreams[] = []

/** What each node's authorized_keys holds before: lines 4, 5 and 7 are the proxy's, the rest are not. */
const nodeFile = () =>
  `# managed by hand\n${admin.publicLine}\nrestrict,command="echo backup" ${unrelated}\r\n` +
  `command="/opt/pulse/sensor-proxy/bin/pulse-sensor-proxy-wrapper",${NO_FORWARDING} ${proxyKey} # pulse-managed-key\n` +
  `from="127.0.0.0/8",command="sensors -j",${NO_FORWARDING} ${previousKey.split(' ').slice(0, 2).join(' ')} rotated\n` +
  `command="/usr/local/sbin/pulse-sensors",${NO_FORWARDING} ${sensorsKey} # pulse-sensors\n` +
  `from=192.168.0.0/24,command=sensors -j,${NO_FORWARDING} ${proxyKey.split(' ').slice(0, 2).join(' ')} pulse-sensor-proxy\n` +
  `# the end, no newline after this comment`
/** The same file with exactly the proxy's lines removed. */
const nodeFileAfter = () =>
  nodeFile()
    .split('\n')
    .filter((_, i) => ![3, 4, 6].includes(i))
    .join('\n')

const LXC_101 =
  'arch: amd64\nhostname: pulse\nmp0: /run/pulse-sensor-proxy,mp=/mnt/pulse-proxy\nunprivileged: 1\n' +
  'lxc.mount.entry: /var/run/pulse-sensor-proxy mnt/pulse-proxy none bind,create=dir 0 0\n' +
  'lxc.mount.entry: /srv/data srv/data none bind 0 0\n\n' +
  '[before-upgrade]\narch: amd64\nhostname: pulse\nmp0: /run/pulse-sensor-proxy,mp=/mnt/pulse-proxy\nsnaptime: 1760000000\n'
const LXC_101_AFTER = LXC_101.replace(
  'mp0: /run/pulse-sensor-proxy,mp=/mnt/pulse-proxy\nunprivileged',
  'unprivileged',
).replace('lxc.mount.entry: /var/run/pulse-sensor-proxy mnt/pulse-proxy none bind,create=dir 0 0\n', '')
const LXC_102 = 'arch: amd64\nhostname: web\nunprivileged: 1\n'

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'pcp-harden-decommission-'))
  admin = await makeSshKey(dir, 'admin', 'ed25519', 'admin@test')
  unrelated = (await makeSshKey(dir, 'backup', 'ed25519', 'backup@example')).publicLine
  sensorsKey = (await makeSshKey(dir, 'sensors', 'ed25519', 'pulse-server')).publicLine
    .split(' ')
    .slice(0, 2)
    .join(' ')
  for (const address of ['127.0.0.2', '127.0.0.3', '127.0.0.4']) nodes.push(await startSshNode({address}))
  knownHosts = path.join(dir, 'known_hosts')
  await writeFile(knownHosts, (await Promise.all(nodes.map((n) => readFile(n.knownHosts, 'utf8')))).join(''))
}, 60_000)

afterAll(async () => {
  await Promise.all(nodes.map((n) => n.stop()))
  await rm(dir, {recursive: true, force: true})
})

const at = (hostPath: string) => path.join(root, hostPath)

async function put(hostPath: string, content: string, mode = 0o644) {
  await mkdir(path.dirname(at(hostPath)), {recursive: true})
  await writeFile(at(hostPath), content, {mode})
}

/** A proxy host as its installer left it (plus a staged-then-previous key), and three nodes with its lines. */
beforeEach(async () => {
  root = await mkdtemp(path.join(dir, 'root-'))
  proxyKey = (await makeSshKey(at(`${STATE}/ssh`), 'id_ed25519', 'ed25519', 'pulse-sensor-proxy')).publicLine
  previousKey = (await makeSshKey(at(`${STATE}/ssh.d/prev`), 'id_ed25519', 'ed25519', 'pulse-sensor-proxy'))
    .publicLine
  await put('/usr/local/bin/pulse-sensor-proxy', '#!/bin/sh\n', 0o755)
  await put('/etc/pulse-sensor-proxy/config.yaml', 'allowed_source_subnets:\n  - 127.0.0.0/8\n')
  await put(
    '/etc/systemd/system/pulse-sensor-proxy.service',
    '[Service]\nExecStart=/usr/local/bin/pulse-sensor-proxy\n',
  )
  await put('/etc/systemd/system/pulse-sensor-proxy-selfheal.timer', '[Timer]\nOnCalendar=hourly\n')
  await put('/etc/systemd/system/pcp-unrelated.service', '[Service]\nExecStart=/bin/true\n')
  for (const [target, unit] of [
    ['multi-user.target.wants', 'pulse-sensor-proxy.service'],
    ['timers.target.wants', 'pulse-sensor-proxy-selfheal.timer'],
    ['multi-user.target.wants', 'pcp-unrelated.service'],
  ] as const) {
    await mkdir(at(`/etc/systemd/system/${target}`), {recursive: true})
    await symlink(`/etc/systemd/system/${unit}`, at(`/etc/systemd/system/${target}/${unit}`))
  }
  await put(
    '/etc/passwd',
    'root:x:0:0:root:/root:/bin/bash\nwww-data:x:33:33::/var/www:/usr/sbin/nologin\npulse-sensor-proxy:x:997:997::/nonexistent:/usr/sbin/nologin\n',
  )
  await put('/etc/group', 'root:x:0:\nwww-data:x:33:pulse-sensor-proxy,alice\npulse-sensor-proxy:x:997:\n')
  await put('/etc/shadow', 'root:*:20000:0:99999:7:::\npulse-sensor-proxy:!:20000::::::\n', 0o640)
  await put('/etc/pve/nodes/pve1/lxc/101.conf', LXC_101, 0o640)
  await put('/etc/pve/nodes/pve2/lxc/102.conf', LXC_102, 0o640)
  for (const node of nodes) {
    await rm(path.join(node.root, '.ssh'), {recursive: true, force: true})
    await mkdir(path.join(node.root, '.ssh'), {mode: 0o700})
    await writeFile(node.authorizedKeys, nodeFile(), {mode: 0o600})
  }
})

afterEach(async () => {
  for (const child of children.splice(0)) if (child.exitCode === null) child.kill('SIGKILL')
  await rm(root, {recursive: true, force: true})
})

function decommissionOn(nodeList: string, ...extra: string[]) {
  return cli([
    'decommission',
    '--root',
    root,
    '--nodes',
    nodeList,
    '--identity',
    admin.path,
    '--known-hosts',
    knownHosts,
    ...(extra.includes('--format') ? [] : ['--format', 'json']),
    ...extra,
  ])
}
const run = (...extra: string[]) => decommissionOn(nodes.map((n) => n.target).join(','), ...extra)

/** Every file under these directories: path -> mode, owner and SHA-256 (what must not change). */
async function snapshot(dirs: readonly string[]): Promise<Record<string, string>> {
  const out: Record<string, string> = {}
  const walk = async (p: string) => {
    const st = await lstat(p)
    const meta = `${st.mode.toString(8)} ${st.uid}:${st.gid}`
    if (st.isDirectory()) {
      out[p] = meta
      for (const name of await readdir(p)) await walk(path.join(p, name))
    } else if (st.isSymbolicLink()) out[p] = `${meta} -> ${await readlink(p)}`
    else
      out[p] = `${meta} ${createHash('sha256')
        .update(await readFile(p))
        .digest('hex')}`
  }
  for (const d of dirs) await walk(d)
  return out
}
const everything = () => snapshot([root, ...nodes.map((n) => n.root)])

/** What a finished run (without --purge) leaves, here and on every node. */
async function expectRetired() {
  for (const node of nodes) expect(await readFile(node.authorizedKeys, 'utf8')).toBe(nodeFileAfter())
  expect(await readFile(at('/etc/pve/nodes/pve1/lxc/101.conf'), 'utf8')).toBe(LXC_101_AFTER)
  expect(await readFile(at('/etc/pve/nodes/pve2/lxc/102.conf'), 'utf8')).toBe(LXC_102)
  expect((await readdir(at('/etc/systemd/system/multi-user.target.wants'))).sort()).toEqual([
    'pcp-unrelated.service',
  ])
  expect(await readdir(at('/etc/systemd/system/timers.target.wants'))).toEqual([])
  await expect(lstat(at('/var/lib/pcp-harden/decommission.json'))).rejects.toThrow()
}

describe('pcp-harden decommission with real sshd nodes', () => {
  it("removes exactly the proxy's lines on every node and the live mounts, keeping every other byte and a backup", async () => {
    const result = await run()
    expect(result.stderr).toBe('')
    expect(result.code).toBe(0)
    const report = JSON.parse(result.stdout)
    expect(report.nodes.map((n: {status: string}) => n.status)).toEqual(['ok', 'ok', 'ok'])
    expect(report.nodes[0].message).toMatch(/removed line\(s\) 4, 5, 7 of \/root\/.ssh\/authorized_keys/)
    await expectRetired()
    for (const node of nodes)
      expect(await readFile(`${node.authorizedKeys}.pcp-harden.bak`, 'utf8')).toBe(nodeFile())
    expect(await readFile(at('/etc/pve/nodes/pve1/lxc/101.conf.pcp-harden.bak'), 'utf8')).toBe(LXC_101)
    // Without --purge the files, keys and account stay.
    for (const p of [`${STATE}/ssh/id_ed25519`, '/usr/local/bin/pulse-sensor-proxy', '/etc/passwd'])
      expect((await lstat(at(p))).isFile()).toBe(true)
    expect(await readFile(at('/etc/passwd'), 'utf8')).toContain('pulse-sensor-proxy:x:997')
    // A second run finds nothing left to do.
    const again = await run()
    expect(again.code).toBe(0)
    expect(JSON.parse(again.stdout).nodes.map((n: {status: string}) => n.status)).toEqual([
      'unchanged',
      'unchanged',
      'unchanged',
    ])
  }, 60_000)

  it('--dry-run prints the plan and a unified diff of every file, and leaves every file identical', async () => {
    const before = await everything()
    const result = await run('--dry-run', '--purge', '--format', 'text')
    expect(result.code).toBe(0)
    expect(await everything()).toEqual(before)
    for (const node of nodes) expect(result.stdout).toContain(`--- ${node.target}:/root/.ssh/authorized_keys`)
    expect(result.stdout).toContain('-command="/opt/pulse/sensor-proxy/bin/pulse-sensor-proxy-wrapper"')
    expect(result.stdout).not.toMatch(/^-.*# pulse-sensors$/m)
    expect(result.stdout).toContain('-mp0: /run/pulse-sensor-proxy,mp=/mnt/pulse-proxy')
    expect(result.stdout).toContain('+www-data:x:33:alice')
    expect(result.stdout).toContain(`would remove ${STATE}`)
    expect(result.stdout).toContain(
      'would disable: remove /etc/systemd/system/multi-user.target.wants/pulse-sensor-proxy.service',
    )
  }, 60_000)

  it('--purge also removes the state directory, keys, config, units and the account, never through a symlink', async () => {
    // A link planted on the way to a path --purge removes leads nowhere: the target outside stays.
    const outside = path.join(dir, `outside-${path.basename(root)}`)
    await mkdir(path.join(outside, 'sensor-proxy'), {recursive: true})
    await writeFile(path.join(outside, 'sensor-proxy/keep.log'), "not the proxy's\n")
    await mkdir(at('/var/log'), {recursive: true})
    await symlink(outside, at('/var/log/pulse'))
    const result = await run('--purge')
    expect(result.code).toBe(0)
    expect(JSON.parse(result.stdout).local).toContain(
      'not removed /var/log/pulse/sensor-proxy: a symlink on the way (/var/log/pulse)',
    )
    expect(await readFile(path.join(outside, 'sensor-proxy/keep.log'), 'utf8')).toBe("not the proxy's\n")
    await rm(outside, {recursive: true, force: true})
    await expectRetired()
    for (const p of [
      STATE,
      '/etc/pulse-sensor-proxy',
      '/usr/local/bin/pulse-sensor-proxy',
      '/etc/systemd/system/pulse-sensor-proxy.service',
      '/etc/systemd/system/pulse-sensor-proxy-selfheal.timer',
    ])
      await expect(lstat(at(p)), p).rejects.toThrow()
    expect(await readFile(at('/etc/passwd'), 'utf8')).toBe(
      'root:x:0:0:root:/root:/bin/bash\nwww-data:x:33:33::/var/www:/usr/sbin/nologin\n',
    )
    expect(await readFile(at('/etc/group'), 'utf8')).toBe('root:x:0:\nwww-data:x:33:alice\n')
    expect(await readFile(at('/etc/shadow'), 'utf8')).toBe('root:*:20000:0:99999:7:::\n')
    expect((await lstat(at('/etc/shadow'))).mode & 0o777).toBe(0o640)
    expect((await lstat(at('/etc/systemd/system/pcp-unrelated.service'))).isFile()).toBe(true)
  }, 60_000)

  it('--emergency with one node down revokes the keys on the others, stops the proxy, names the node and exits 2', async () => {
    const port = await freePortOn('127.0.0.5')
    const down = `127.0.0.5:${port}`
    const result = await decommissionOn(`${nodes.map((n) => n.target).join(',')},${down}`, '--emergency')
    expect(result.code).toBe(2)
    const report = JSON.parse(result.stdout)
    expect(report.summary).toContain(`still authorized on ${down}`)
    expect(report.nodes).toContainEqual({
      node: down,
      status: 'failed',
      message: expect.stringMatching(/refused/),
    })
    for (const node of nodes) expect(await readFile(node.authorizedKeys, 'utf8')).toBe(nodeFileAfter())
    expect((await readdir(at('/etc/systemd/system/multi-user.target.wants'))).sort()).toEqual([
      'pcp-unrelated.service',
    ])
    // The journal keeps the keys for the rerun that reaches the last node.
    expect(JSON.parse(await readFile(at('/var/lib/pcp-harden/decommission.json'), 'utf8')).done).toEqual([
      'stop',
      'lxc',
    ])
    // A rerun keeps to the journal's nodes: while the node is down it says so again and changes nothing more.
    const rerun = await run()
    expect(rerun.code).toBe(2)
    const again = JSON.parse(rerun.stdout)
    expect(again.notes.join('\n')).toMatch(/resumed the run of .*done before: stop, lxc/)
    expect(again.summary).toContain(`still authorized on ${down}`)
  }, 60_000)

  it('--collect-evidence writes a tarball with a manifest before anything is removed', async () => {
    const evidence = path.join(root, '..', `evidence-${path.basename(root)}`)
    const result = await run('--collect-evidence', evidence)
    expect(result.code).toBe(0)
    const tarball = JSON.parse(result.stdout).evidence as string
    expect(path.dirname(tarball)).toBe(evidence)
    const names = execFileSync('tar', ['-tzf', tarball], {encoding: 'utf8'}).split('\n')
    const base = path.basename(tarball, '.tar.gz')
    expect(names).toEqual(
      expect.arrayContaining([
        `${base}/manifest.json`,
        `${base}/state-listing.txt`,
        `${base}/host/etc/pulse-sensor-proxy/config.yaml`,
        `${base}/host/etc/systemd/system/pulse-sensor-proxy.service`,
        ...nodes.map((n) => `${base}/nodes/${n.target}/root/.ssh/authorized_keys`),
      ]),
    )
    const listing = execFileSync('tar', ['-xzOf', tarball, `${base}/state-listing.txt`], {encoding: 'utf8'})
    const privateKey = await readFile(at(`${STATE}/ssh/id_ed25519`))
    expect(listing).toContain(
      `${createHash('sha256').update(privateKey).digest('hex')} ${STATE}/ssh/id_ed25519`,
    )
    const nodeCopy = execFileSync(
      'tar',
      ['-xzOf', tarball, `${base}/nodes/${nodes[0]!.target}/root/.ssh/authorized_keys`],
      {encoding: 'utf8'},
    )
    expect(nodeCopy).toBe(nodeFile())
    await rm(evidence, {recursive: true, force: true})
  }, 60_000)

  describe('SIGKILL after each step, then a rerun finishes', () => {
    const STEPS = ['stop', 'revoke', 'lxc', 'purge']
    it.each(STEPS.map((s, i) => [s, i] as const))(
      'killed after %s',
      async (_step, index) => {
        const harnessRun = harness()
        for (let i = 0; i <= index; i++) {
          expect(await harnessRun.next()).toBe(`step: ${STEPS[i]}`)
          if (i < index) harnessRun.continue()
        }
        harnessRun.kill()
        await harnessRun.exited
        const rerun = await run('--purge')
        expect(rerun.stderr).toBe('')
        expect(rerun.code).toBe(0)
        const report = JSON.parse(rerun.stdout)
        expect(report.notes.join('\n')).toMatch(/resumed the run of/)
        await expectRetired()
        await expect(lstat(at(STATE))).rejects.toThrow()
      },
      90_000,
    )
  })
})

/** The library run in a harness that stops after each step until told to go on, or is killed. */
function harness() {
  const spec = path.join(dir, `harness-${path.basename(root)}.json`)
  const lines: string[] = []
  const waiting: ((line: string | undefined) => void)[] = []
  const push = (line: string | undefined) => {
    const waiter = waiting.shift()
    if (waiter) waiter(line)
    else if (line !== undefined) lines.push(line)
  }
  writeFileSync(
    spec,
    JSON.stringify({root, nodes: nodes.map((n) => n.target), identity: admin.path, knownHosts, purge: true}),
  )
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', path.join(REPO, 'test/decommission/kill-harness.ts'), spec],
    {
      cwd: REPO,
    },
  )
  children.push(child)
  child.stderr.on('data', (data: Buffer) => process.stderr.write(data))
  createInterface({input: child.stdout}).on('line', push)
  const exited = new Promise<void>((resolve) => child.on('close', () => resolve()))
  void exited.then(() => push(undefined))
  return {
    exited,
    async next(): Promise<string> {
      const line = lines.shift()
      if (line !== undefined) return line
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error('the harness said nothing for 30 s')), 30_000)
        waiting.push((next) => {
          clearTimeout(timer)
          if (next === undefined) reject(new Error(`the harness exited (${String(child.exitCode)})`))
          else resolve(next)
        })
      })
    },
    continue: () => child.stdin.write('\n'),
    kill: () => child.kill('SIGKILL'),
  }
}
