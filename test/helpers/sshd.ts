import {type ChildProcess, execFileSync, spawn} from 'node:child_process'
import {chmod, mkdir, mkdtemp, readFile, rm, writeFile} from 'node:fs/promises'
import {connect, createServer} from 'node:net'
import {tmpdir} from 'node:os'
import path from 'node:path'

import {execa} from 'execa'

export const SSHD = '/usr/sbin/sshd'

/** A free TCP port on the given loopback address (the kernel picks it). */
export function freePortOn(address: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, address, () => {
      const bound = server.address()
      server.close(() => resolve(typeof bound === 'object' && bound ? bound.port : 0))
    })
  })
}

/** Whether a TCP port can be bound on the given address now. */
function portFreeOn(address: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer()
    server.once('error', () => resolve(false))
    server.listen(port, address, () => server.close(() => resolve(true)))
  })
}

/**
 * One TCP port free on every given loopback address, for nodes that share a port as a cluster's
 * members do (its member list names addresses, not ports).
 */
export async function freePortOnAll(addresses: readonly [string, ...string[]]): Promise<number> {
  for (let attempt = 0; attempt < 20; attempt++) {
    const port = await freePortOn(addresses[0])
    const free = await Promise.all(addresses.slice(1).map((a) => portFreeOn(a, port)))
    if (free.every(Boolean)) return port
  }
  throw new Error(`no port free on all of ${addresses.join(', ')}`)
}

/** An SSH key pair made by the real ssh-keygen: the private key file and the public key line. */
export interface SshKey {
  path: string
  publicLine: string
}

export async function makeSshKey(
  dir: string,
  name: string,
  type = 'ed25519',
  comment = name,
): Promise<SshKey> {
  await mkdir(dir, {recursive: true})
  const keyPath = path.join(dir, name)
  execFileSync('ssh-keygen', ['-q', '-t', type, '-N', '', '-C', comment, '-f', keyPath], {stdio: 'pipe'})
  return {path: keyPath, publicLine: (await readFile(`${keyPath}.pub`, 'utf8')).trim()}
}

/**
 * A real sshd standing in for one node: its own address, port, host key and config, and its own
 * /root (a directory of this test bind-mounted over /root in a private mount namespace made with
 * `unshare -m`), so /root/.ssh/authorized_keys is the node's own file and commands run there see it.
 */
export interface SshNode {
  address: string
  port: number
  /** `host:port`, as rotate-keys' --nodes takes it. */
  target: string
  /** The directory that is /root on this node. */
  root: string
  /** This node's /root/.ssh/authorized_keys, as seen from the test. */
  authorizedKeys: string
  /** A known_hosts file naming this node's host key. */
  knownHosts: string
  /** sshd's own log (-e: everything it says, on stderr). */
  log: string
  process: ChildProcess
  readLog(): Promise<string>
  stop(): Promise<void>
}

export interface SshNodeOptions {
  /** A loopback address: 127.0.0.2, 127.0.0.3, ... (default 127.0.0.1). */
  address?: string
  /** The port to listen on (default: a free one on the address). */
  port?: number
  /** Lines added to sshd_config. */
  config?: readonly string[]
  /** Where the node's files go (default: a new temp directory, removed by stop()). */
  dir?: string
  /**
   * More directories of this test bind-mounted in the node's mount namespace, after its /root:
   * `target` (an existing directory on this machine, e.g. /etc/pcp) shows `source` on that node only.
   */
  mounts?: readonly {source: string; target: string}[]
}

/** Start a real sshd node; resolved once it answers with its SSH banner. Always stopped by stop(). */
export async function startSshNode(options: SshNodeOptions = {}): Promise<SshNode> {
  const address = options.address ?? '127.0.0.1'
  const dir = options.dir ?? (await mkdtemp(path.join(tmpdir(), 'pcp-harden-sshd-')))
  const root = path.join(dir, 'root')
  await mkdir(path.join(root, '.ssh'), {recursive: true})
  await chmod(root, 0o700)
  await chmod(path.join(root, '.ssh'), 0o700)
  // sshd's privilege separation directory; Debian's unit makes it, nothing does here.
  await mkdir('/run/sshd', {recursive: true, mode: 0o755})
  const hostKey = path.join(dir, 'ssh_host_ed25519_key')
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', hostKey], {stdio: 'pipe'})
  const port = options.port ?? (await freePortOn(address))
  const config = path.join(dir, 'sshd_config')
  await writeFile(
    config,
    [
      `Port ${port}`,
      `ListenAddress ${address}`,
      `HostKey ${hostKey}`,
      `PidFile ${path.join(dir, 'sshd.pid')}`,
      'AuthorizedKeysFile .ssh/authorized_keys',
      'PermitRootLogin prohibit-password',
      'PasswordAuthentication no',
      'KbdInteractiveAuthentication no',
      'UsePAM no',
      'StrictModes yes',
      'AllowTcpForwarding yes',
      'PermitTTY yes',
      'LogLevel VERBOSE',
      ...(options.config ?? []),
      '',
    ].join('\n'),
  )
  const knownHosts = path.join(dir, 'known_hosts')
  const hostPublic = (await readFile(`${hostKey}.pub`, 'utf8')).trim().split(/\s+/).slice(0, 2).join(' ')
  await writeFile(knownHosts, `[${address}]:${port} ${hostPublic}\n`)
  const log = path.join(dir, 'sshd.log')
  const child = spawn(
    'unshare',
    [
      '-m',
      '--propagation',
      'private',
      'sh',
      '-c',
      'sshd=$1 conf=$2; shift 2; while [ $# -gt 0 ]; do mount --bind "$1" "$2" || exit 1; shift 2; done; exec "$sshd" -D -e -f "$conf"',
      'sshd-node',
      SSHD,
      config,
      root,
      '/root',
      ...(options.mounts ?? []).flatMap((m) => [m.source, m.target]),
    ],
    {stdio: ['ignore', 'ignore', 'pipe'], detached: true},
  )
  const logChunks: Buffer[] = []
  child.stderr?.on('data', (chunk: Buffer) => logChunks.push(chunk))
  const flushLog = () => writeFile(log, Buffer.concat(logChunks))
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((resolve) => child.once('exit', resolve))
      // The whole group: sshd and the session processes it forked.
      process.kill(-(child.pid as number), 'SIGTERM')
      const timer = setTimeout(() => process.kill(-(child.pid as number), 'SIGKILL'), 5000)
      await exited
      clearTimeout(timer)
    }
    await flushLog()
    if (!options.dir) await rm(dir, {recursive: true, force: true})
  }
  try {
    await waitForBanner(address, port, child, 10_000)
  } catch (error) {
    await stop().catch(() => undefined)
    throw new Error(
      `sshd on ${address}:${port} did not start: ${(error as Error).message}\n${Buffer.concat(logChunks).toString()}`,
    )
  }
  return {
    address,
    port,
    target: `${address}:${port}`,
    root,
    authorizedKeys: path.join(root, '.ssh', 'authorized_keys'),
    knownHosts,
    log,
    process: child,
    readLog: async () => Buffer.concat(logChunks).toString(),
    stop,
  }
}

async function waitForBanner(address: string, port: number, child: ChildProcess, timeoutMs: number) {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    if (child.exitCode !== null) throw new Error(`sshd exited with ${child.exitCode}`)
    if (await answersBanner(address, port)) return
    if (Date.now() > deadline) throw new Error('no SSH banner in time')
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
}

function answersBanner(address: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({host: address, port})
    const done = (ok: boolean) => {
      socket.destroy()
      resolve(ok)
    }
    socket.setTimeout(1000, () => done(false))
    socket.once('error', () => done(false))
    socket.once('data', (data) => done(data.toString().startsWith('SSH-2.0-')))
  })
}

export interface SshRun {
  exitCode: number
  stdout: string
  stderr: string
}

export interface SshClientOptions {
  /** The private key to offer (only this one). */
  identity: string
  /** Bind the client to this local address (ssh -b), e.g. to come from 127.0.0.2. */
  from?: string
  /** Extra ssh arguments before the destination, e.g. ['-L', '...', '-tt']. */
  args?: readonly string[]
  timeoutMs?: number
}

/**
 * Run the real ssh client against a node as root, with nothing from the runner's own ssh config:
 * batch mode, this node's known host key only, and the one identity given.
 */
export async function sshTo(
  node: SshNode,
  command: string | undefined,
  options: SshClientOptions,
): Promise<SshRun> {
  const argv = [
    '-F',
    '/dev/null',
    '-i',
    options.identity,
    '-o',
    'IdentitiesOnly=yes',
    '-o',
    'BatchMode=yes',
    '-o',
    'StrictHostKeyChecking=yes',
    '-o',
    `UserKnownHostsFile=${node.knownHosts}`,
    '-o',
    'ConnectTimeout=5',
    '-p',
    String(node.port),
    ...(options.from ? ['-b', options.from] : []),
    ...(options.args ?? []),
    `root@${node.address}`,
    ...(command === undefined ? [] : [command]),
  ]
  const result = await execa('ssh', argv, {
    reject: false,
    timeout: options.timeoutMs ?? 15_000,
    stdin: 'ignore',
  })
  return {exitCode: result.exitCode ?? -1, stdout: String(result.stdout), stderr: String(result.stderr)}
}

/** A test file's sshd on 127.0.0.1 with the proxy's and an admin's keys, made in `dir`. */
export interface KeysNode {
  dir: string
  node: SshNode
  proxy: SshKey
  admin: SshKey
}

export async function startKeysNode(prefix: string): Promise<KeysNode> {
  const dir = await mkdtemp(path.join(tmpdir(), prefix))
  const proxy = await makeSshKey(dir, 'proxy', 'ed25519', 'pulse-sensor-proxy')
  const admin = await makeSshKey(dir, 'admin')
  const node = await startSshNode({address: '127.0.0.1'})
  return {dir, node, proxy, admin}
}

export async function stopKeysNode(keys: Partial<KeysNode>): Promise<void> {
  await keys.node?.stop()
  if (keys.dir) await rm(keys.dir, {recursive: true, force: true})
}
