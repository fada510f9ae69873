import {type ChildProcessWithoutNullStreams, execFileSync, spawn} from 'node:child_process'
import {renameSync, writeFileSync} from 'node:fs'
import {createHash} from 'node:crypto'
import {chmod, chown, lstat, mkdir, mkdtemp, readdir, readFile, rm, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import path from 'node:path'
import {createInterface} from 'node:readline'

import {afterAll, afterEach, beforeAll, beforeEach, describe, expect, it} from 'vitest'

import {parseAuthorizedKeys} from '../../src/parsers/authorized-keys.js'
import {cli, REPO} from '../cli/run-cli.js'
import {freePortOn, makeSshKey, type SshKey, type SshNode, sshTo, startSshNode} from '../helpers/sshd.js'

/**
 * rotate-keys against real sshd nodes on 127.0.0.2-4, each with its own /root: the built CLI (and,
 * for the SIGKILL cases, the library in a harness that stops after each step).
 */
const KEY_DIR = '/var/lib/pulse-sensor-proxy'
const SERVICE_UID = 4242
const SERVICE_GID = 4243
const SENSORS_JSON = '{"coretemp-isa-0000":{"Adapter":"ISA adapter","Package id 0":{"temp1_input":42.0}}}'

let dir: string
let admin: SshKey
let knownHosts: string
let sensors: string
let unrelated: string
const nodes: SshNode[] = []
let root: string
const children: ChildProcessWithoutNullStreams[] = []

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'pcp-harden-rotate-'))
  admin = await makeSshKey(dir, 'admin', 'ed25519', 'admin@test')
  unrelated = (await makeSshKey(dir, 'backup', 'ed25519', 'backup@example')).publicLine
  for (const address of ['127.0.0.2', '127.0.0.3', '127.0.0.4']) nodes.push(await startSshNode({address}))
  knownHosts = path.join(dir, 'known_hosts')
  await writeFile(knownHosts, (await Promise.all(nodes.map((n) => readFile(n.knownHosts, 'utf8')))).join(''))
  // The stand-in for `sensors -j`: fails on a node whose /root has a sensors-fail marker.
  sensors = path.join(dir, 'sensors')
  await writeFile(
    sensors,
    `#!/bin/sh\n[ -e /root/sensors-fail ] && { echo 'no sensors' >&2; exit 1; }\necho '${SENSORS_JSON}'\n`,
    {mode: 0o755},
  )
}, 60_000)

afterAll(async () => {
  await Promise.all(nodes.map((n) => n.stop()))
  await rm(dir, {recursive: true, force: true})
})

/** A fresh proxy host (its active key installed on every node as the installer did) for each test. */
beforeEach(async () => {
  root = await mkdtemp(path.join(dir, 'root-'))
  const sshDir = path.join(root, KEY_DIR, 'ssh')
  const key = await makeSshKey(sshDir, 'id_ed25519', 'ed25519', 'pulse-sensor-proxy')
  await chown(path.join(root, KEY_DIR), SERVICE_UID, SERVICE_GID)
  for (const name of ['.', 'id_ed25519', 'id_ed25519.pub'])
    await chown(path.join(sshDir, name), SERVICE_UID, SERVICE_GID)
  await chmod(sshDir, 0o700)
  await mkdir(path.join(root, 'etc/pulse-sensor-proxy'), {recursive: true})
  await writeFile(
    path.join(root, 'etc/pulse-sensor-proxy/config.yaml'),
    'allowed_source_subnets:\n  - 127.0.0.0/8\nmetrics_address: disabled\n',
  )
  const [type, data] = key.publicLine.split(' ')
  for (const node of nodes) {
    for (const marker of ['sensors-fail', '.bashrc']) await rm(path.join(node.root, marker), {force: true})
    await rm(path.join(node.root, '.ssh'), {recursive: true, force: true})
    await mkdir(path.join(node.root, '.ssh'), {mode: 0o700})
    await writeFile(
      node.authorizedKeys,
      `# managed by hand\n${admin.publicLine}\nrestrict,command="echo backup" ${unrelated}\r\n` +
        `command="${sensors}",no-port-forwarding,no-X11-forwarding,no-agent-forwarding,no-pty ${type} ${data} pulse-sensor-proxy # pulse-managed-key\n`,
      {mode: 0o600},
    )
  }
})

afterEach(async () => {
  for (const child of children.splice(0)) if (child.exitCode === null) child.kill('SIGKILL')
  for (const node of nodes) execFileSync('chattr', ['-i', path.join(node.root, '.ssh')])
  await rm(root, {recursive: true, force: true})
})

/** rotate-keys on the test nodes (JSON unless a --format is given). */
function rotate(...extra: string[]) {
  return rotateOn(nodes.map((n) => n.target).join(','), ...extra)
}

function rotateOn(nodeList: string, ...extra: string[]) {
  return cli([
    'rotate-keys',
    '--root',
    root,
    '--nodes',
    nodeList,
    '--identity',
    admin.path,
    '--known-hosts',
    knownHosts,
    '--forced-command',
    sensors,
    ...(extra.includes('--format') ? [] : ['--format', 'json']),
    ...extra,
  ])
}

const slot = (name: string) => path.join(root, KEY_DIR, name)

async function publicLine(name: string): Promise<string> {
  return (await readFile(path.join(slot(name), 'id_ed25519.pub'), 'utf8')).trim()
}

/** Every file under these directories: path -> sha256, mode, owner (what must not change). */
async function snapshot(dirs: readonly string[]): Promise<Record<string, string>> {
  const out: Record<string, string> = {}
  const walk = async (at: string) => {
    const st = await lstat(at)
    const meta = `${st.mode.toString(8)} ${st.uid}:${st.gid}`
    if (st.isDirectory()) {
      out[at] = meta
      for (const name of await readdir(at)) await walk(path.join(at, name))
    } else
      out[at] = `${meta} ${createHash('sha256')
        .update(await readFile(at))
        .digest('hex')}`
  }
  for (const d of dirs) await walk(d)
  return out
}

const everything = () => snapshot([root, ...nodes.map((n) => n.root)])
const authorizedKeysOf = () => Promise.all(nodes.map((n) => readFile(n.authorizedKeys)))

/** The lines of a node's file that carry a key other than these (unrelated lines), byte for byte. */
function otherLines(content: Buffer, keys: readonly string[]): string[] {
  const ids = new Set(
    keys.map((k) => parseAuthorizedKeys(k).entries.map((e) => (e.kind === 'key' ? e.key.id : ''))[0]),
  )
  const text = content.toString('utf8')
  const drop = new Set(
    parseAuthorizedKeys(text)
      .entries.filter((e) => e.kind !== 'comment' && e.key && ids.has(e.key.id))
      .map((e) => e.line),
  )
  return text.split('\n').filter((_, i) => !drop.has(i + 1))
}

/** A public key line's SHA256 fingerprint, as sshd logs it. */
function fingerprint(publicLine: string): string {
  const blob = Buffer.from(publicLine.split(' ')[1] as string, 'base64')
  return `SHA256:${createHash('sha256').update(blob).digest('base64').replace(/=+$/, '')}`
}

/** The key active locally works as the proxy uses it on every node, and only through its forced command. */
async function expectActiveKeyWorks(): Promise<void> {
  for (const node of nodes) {
    const run = await sshTo(node, 'id -un', {identity: path.join(slot('ssh'), 'id_ed25519')})
    expect(run, node.target).toMatchObject({exitCode: 0})
    expect(JSON.parse(run.stdout)).toEqual(JSON.parse(SENSORS_JSON))
  }
}

describe('rotate-keys with real sshd nodes', () => {
  it('rotates: every node accepts only the new key, restricted, and keeps its other lines byte for byte', async () => {
    const oldLine = await publicLine('ssh')
    const before = await authorizedKeysOf()
    const run = await rotate()
    expect(run.stderr).toBe('')
    expect(run.code).toBe(0)
    const report = JSON.parse(run.stdout)
    const newLine = await publicLine('ssh')
    expect(newLine).not.toBe(oldLine)
    expect(await publicLine('ssh.d/prev')).toBe(oldLine)
    const [type, data] = newLine.split(' ')
    const expected = `from="127.0.0.0/8",command="${sensors}",no-port-forwarding,no-X11-forwarding,no-agent-forwarding,no-pty ${type} ${data} pulse-sensor-proxy`
    expect(report).toMatchObject({action: 'rotate', status: 'ok', exitCode: 0, line: expected})
    const after = await authorizedKeysOf()
    for (const [i, content] of after.entries()) {
      const text = content.toString('utf8')
      expect(text.split('\n').filter((l) => l.includes(data as string))).toEqual([expected])
      expect(text).not.toContain(oldLine.split(' ')[1])
      expect(otherLines(content, [newLine])).toEqual(otherLines(before[i] as Buffer, [oldLine]))
      expect((await lstat(nodes[i]!.authorizedKeys)).mode & 0o777).toBe(0o600)
      expect(await readFile(`${nodes[i]!.authorizedKeys}.pcp-harden.bak`)).toBeTruthy()
    }
    await expectActiveKeyWorks()
    // The old key no longer gets in.
    const old = await sshTo(nodes[0]!, undefined, {identity: path.join(slot('ssh.d/prev'), 'id_ed25519')})
    expect(old.exitCode).toBe(255)
    // The forced command is enforced: no shell, no tty, no forwarding.
    const shell = await sshTo(nodes[0]!, 'cat /etc/hostname', {
      identity: path.join(slot('ssh'), 'id_ed25519'),
    })
    expect(shell.stdout.trim()).toBe(SENSORS_JSON)
    const key = await lstat(path.join(slot('ssh'), 'id_ed25519'))
    expect({mode: key.mode & 0o777, uid: key.uid, gid: key.gid}).toEqual({
      mode: 0o600,
      uid: SERVICE_UID,
      gid: SERVICE_GID,
    })
    expect(await readdir(slot('ssh.d'))).toEqual(['prev'])
    expect(run.stdout).not.toContain('PRIVATE KEY')
  }, 60_000)

  it('a node whose root .bashrc prints a banner (bash reads it for ssh commands): nothing of it reaches authorized_keys', async () => {
    // Only for the admin's commands: under the proxy's forced command the banner would break the JSON.
    await writeFile(
      path.join(nodes[1]!.root, '.bashrc'),
      '[ -n "$SSH_ORIGINAL_COMMAND" ] || echo "Welcome to pve2"\n',
    )
    const banner = await sshTo(nodes[1]!, 'true', {identity: admin.path})
    expect(banner.stdout.trim()).toBe('Welcome to pve2')
    const oldLine = await publicLine('ssh')
    const before = await authorizedKeysOf()
    const dry = await rotate('--dry-run', '--format', 'text')
    expect(dry.code).toBe(0)
    expect(dry.stdout).not.toContain('Welcome')
    const run = await rotate()
    expect(run.code).toBe(0)
    const newLine = await publicLine('ssh')
    const after = await authorizedKeysOf()
    for (const [i, content] of after.entries()) {
      expect(content.toString()).not.toContain('Welcome')
      expect(otherLines(content, [newLine])).toEqual(otherLines(before[i] as Buffer, [oldLine]))
    }
    await expectActiveKeyWorks()
  }, 60_000)

  it('a node whose login script prints under the forced command too: verify says what it printed, clean undo', async () => {
    await writeFile(path.join(nodes[2]!.root, '.bashrc'), 'echo "Welcome to pve3"\n')
    const oldLine = await publicLine('ssh')
    const before = await authorizedKeysOf()
    const run = await rotate()
    expect(run.code).toBe(2)
    expect(JSON.parse(run.stdout).nodes).toContainEqual({
      node: nodes[2]!.target,
      status: 'failed',
      message: 'verify: the forced command printed no JSON (it began "Welcome to pve3")',
    })
    expect(await authorizedKeysOf()).toEqual(before)
    expect(await publicLine('ssh')).toBe(oldLine)
  }, 60_000)

  it('--dry-run reads only: every file on every node and locally is byte-identical, and the diff is shown', async () => {
    const before = await everything()
    const run = await rotate('--dry-run', '--format', 'text')
    expect(run.stderr).toBe('')
    expect(run.code).toBe(0)
    expect(await everything()).toEqual(before)
    expect(run.stdout).toContain('+from="127.0.0.0/8",command="')
    expect(run.stdout).toContain(`${nodes[2]!.target}:/root/.ssh/authorized_keys`)
    expect(run.stdout).toMatch(/-command=".*pulse-managed-key/)
    expect(run.stdout).toContain(`${KEY_DIR}/ssh -> ${KEY_DIR}/ssh.d/prev`)
  }, 60_000)

  it('a node down at preflight: nothing changes anywhere', async () => {
    const before = await everything()
    const port = await freePortOn('127.0.0.5')
    const run = await rotateOn(`${nodes.map((n) => n.target).join(',')},127.0.0.5:${port}`)
    expect(run.code).toBe(2)
    const report = JSON.parse(run.stdout)
    expect(report.summary).toMatch(/^nothing changed: 127\.0\.0\.5:\d+: preflight: .*refused/)
    expect(await everything()).toEqual(before)
  }, 60_000)

  it('a node whose authorized_keys cannot be written: the others are undone, the active key stays', async () => {
    const oldLine = await publicLine('ssh')
    const before = await authorizedKeysOf()
    execFileSync('chattr', ['+i', path.join(nodes[1]!.root, '.ssh')])
    const run = await rotate()
    expect(run.code).toBe(2)
    const report = JSON.parse(run.stdout)
    expect(report.nodes).toContainEqual({
      node: nodes[1]!.target,
      status: 'failed',
      message: expect.stringMatching(
        /^push: writing \/root\/.ssh\/authorized_keys: .*(Operation not permitted|Permission denied)/,
      ),
    })
    expect(await authorizedKeysOf()).toEqual(before)
    expect(await publicLine('ssh')).toBe(oldLine)
    expect(await readdir(slot('ssh.d'))).toEqual([])
    await expectActiveKeyWorks()
  }, 60_000)

  it('a node whose forced command fails: clean undo everywhere', async () => {
    const oldLine = await publicLine('ssh')
    const before = await authorizedKeysOf()
    await writeFile(path.join(nodes[2]!.root, 'sensors-fail'), '')
    const run = await rotate()
    expect(run.code).toBe(2)
    const report = JSON.parse(run.stdout)
    expect(report.nodes).toContainEqual({
      node: nodes[2]!.target,
      status: 'failed',
      message: 'verify: the forced command exited 1 (no sensors)',
    })
    expect(await authorizedKeysOf()).toEqual(before)
    expect(await publicLine('ssh')).toBe(oldLine)
    await rm(path.join(nodes[2]!.root, 'sensors-fail'))
    await expectActiveKeyWorks()
  }, 60_000)

  it('one node at a time, the middle one failing verify: the nodes after it are still pushed and verified, then every node is undone', async () => {
    const oldLine = await publicLine('ssh')
    const before = await authorizedKeysOf()
    await writeFile(path.join(nodes[1]!.root, 'sensors-fail'), '')
    const logFrom = await Promise.all(nodes.map(async (n) => (await n.readLog()).length))
    const run = await rotate('--concurrency', '1')
    expect(run.code).toBe(2)
    // The proxy's logins with the new key (neither the admin's key nor the old one): one on every
    // node, the last node's too, taken after the middle node's verification had failed.
    const known = [fingerprint(admin.publicLine), fingerprint(oldLine)]
    const proxyLogins = await Promise.all(
      nodes.map(async (n, i) =>
        [...(await n.readLog()).slice(logFrom[i]).matchAll(/Accepted publickey for root .* (SHA256:\S+)/g)]
          .map((m) => m[1])
          .filter((f) => !known.includes(f as string)),
      ),
    )
    expect(proxyLogins.map((logins) => logins.length)).toEqual([1, 1, 1])
    const report = JSON.parse(run.stdout)
    expect(report.nodes).toEqual([
      {node: nodes[1]!.target, status: 'failed', message: 'verify: the forced command exited 1 (no sensors)'},
      {node: nodes[0]!.target, status: 'undone', message: 'new key removed'},
      {node: nodes[2]!.target, status: 'undone', message: 'new key removed'},
    ])
    // Each node was pushed (its backup is the file as it was), the new key is gone again everywhere.
    for (const [i, node] of nodes.entries()) {
      expect(await readFile(`${node.authorizedKeys}.pcp-harden.bak`)).toBeTruthy()
      expect(await readFile(node.authorizedKeys), node.target).toEqual(before[i])
    }
    expect(await publicLine('ssh')).toBe(oldLine)
    expect(await readdir(slot('ssh.d'))).toEqual([])
    await rm(path.join(nodes[1]!.root, 'sensors-fail'))
    await expectActiveKeyWorks()
  }, 60_000)

  it('two concurrent runs: the second refuses while the first holds the lock', async () => {
    const first = harness()
    expect(await first.next()).toMatch(/^step: Preflight/)
    const second = await rotate()
    expect(second.code).toBe(3)
    expect(second.stderr).toMatch(/\.rotate-keys\.lock: another rotate-keys run \(pid \d+\) holds the lock/)
    first.finish()
    await first.exited
  }, 60_000)

  it('--keep-old leaves the old key on every node; the next rotation removes it', async () => {
    const original = await publicLine('ssh')
    const kept = await rotate('--keep-old')
    expect(kept.code).toBe(0)
    expect(JSON.parse(kept.stdout).nodes).toEqual(
      nodes.map((n) => ({
        node: n.target,
        status: 'kept-old',
        message: 'new key active; old key kept (--keep-old)',
      })),
    )
    const first = await publicLine('ssh')
    for (const content of await authorizedKeysOf()) {
      expect(content.toString()).toContain(original.split(' ')[1])
      expect(content.toString()).toContain(first.split(' ')[1])
    }
    expect((await rotate()).code).toBe(0)
    const second = await publicLine('ssh')
    for (const content of await authorizedKeysOf()) {
      const text = content.toString()
      expect([original, first].some((k) => text.includes(k.split(' ')[1] as string))).toBe(false)
      expect(text).toContain(second.split(' ')[1])
    }
    await expectActiveKeyWorks()
  }, 90_000)

  it('--rollback after a rotation restores the previous key on every node', async () => {
    const oldLine = await publicLine('ssh')
    expect((await rotate()).code).toBe(0)
    const rotated = await publicLine('ssh')
    const run = await rotate('--rollback')
    expect(run.stderr).toBe('')
    expect(run.code).toBe(0)
    expect(JSON.parse(run.stdout)).toMatchObject({action: 'rollback', status: 'ok'})
    expect(await publicLine('ssh')).toBe(oldLine)
    expect(await publicLine('ssh.d/prev')).toBe(rotated)
    for (const content of await authorizedKeysOf())
      expect(content.toString()).not.toContain(rotated.split(' ')[1])
    await expectActiveKeyWorks()
  }, 90_000)

  it('killed between the renames of the swap (no ssh/ at all): the rerun finishes the rotation', async () => {
    const oldLine = await publicLine('ssh')
    const run = harness()
    for (const step of ['Preflight', 'Stage', 'Push and verify', 'Swap']) {
      expect(await run.next()).toMatch(new RegExp(`^step: ${step}`))
      if (step !== 'Swap') run.continue()
    }
    run.kill()
    await run.exited
    // As left by a kill after `ssh -> ssh.d/swap` and before `ssh.d/next -> ssh`.
    const newLine = await publicLine('ssh')
    renameSync(slot('ssh'), slot('ssh.d/next'))
    renameSync(slot('ssh.d/prev'), slot('ssh.d/swap'))
    const rerun = await rotate()
    expect(rerun.stderr).toBe('')
    expect(rerun.code).toBe(0)
    expect([await publicLine('ssh'), await publicLine('ssh.d/prev')]).toEqual([newLine, oldLine])
    await expectActiveKeyWorks()
    for (const content of await authorizedKeysOf())
      expect(content.toString()).not.toContain(oldLine.split(' ')[1])
  }, 90_000)

  describe('SIGKILL after each step, then a rerun: the active key works on every node', () => {
    const STEPS = ['Preflight', 'Stage', 'Push and verify', 'Swap', 'Retire']
    it.each(STEPS.map((s, i) => [s, i] as const))(
      'killed after %s',
      async (_step, index) => {
        const oldLine = await publicLine('ssh')
        const run = harness()
        for (let i = 0; i <= index; i++) {
          expect(await run.next()).toMatch(new RegExp(`^step: ${STEPS[i]}`))
          if (i < index) run.continue()
        }
        run.kill()
        await run.exited
        const rerun = await rotate()
        expect(rerun.stderr).toBe('')
        expect([0]).toContain(rerun.code)
        const report = JSON.parse(rerun.stdout)
        expect(report.notes.join('\n')).toMatch(
          index === 0 ? /stale lock/ : /stale lock[\s\S]*resumed the rotate interrupted/,
        )
        const active = await publicLine('ssh')
        // Killed before its journal: the rerun rotates; before the swap: undone; after: finished.
        expect(active === oldLine).toBe(index >= 1 && index <= 2)
        await expectActiveKeyWorks()
        for (const content of await authorizedKeysOf()) {
          const keys = parseAuthorizedKeys(content.toString()).entries.filter(
            (e) => e.kind === 'key' && e.comment.startsWith('pulse-sensor-proxy'),
          )
          expect(keys).toHaveLength(1)
        }
        expect((await readdir(slot('ssh.d'))).filter((n) => n !== 'prev')).toEqual([])
      },
      90_000,
    )
  })
})

/** The library run in a harness that stops after each step until told to go on, or is killed. */
function harness() {
  const spec = path.join(root, 'harness.json')
  const lines: string[] = []
  const waiting: ((line: string | undefined) => void)[] = []
  const push = (line: string | undefined) => {
    const waiter = waiting.shift()
    if (waiter) waiter(line)
    else if (line !== undefined) lines.push(line)
  }
  writeFileSync(
    spec,
    JSON.stringify({
      root,
      nodes: nodes.map((n) => n.target),
      identity: admin.path,
      knownHosts,
      forcedCommand: sensors,
      from: ['127.0.0.0/8'],
    }),
  )
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', path.join(REPO, 'test/rotate/kill-harness.ts'), spec],
    {cwd: REPO},
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
    finish: () => child.stdin.end(),
  }
}
