import {type ChildProcess, execFileSync, spawn} from 'node:child_process'
import {existsSync} from 'node:fs'
import {readFile} from 'node:fs/promises'
import {createServer} from 'node:net'
import path from 'node:path'

export const PMCD = '/usr/lib/pcp/bin/pmcd'

/** A free TCP port on loopback (the kernel picks it). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const address = server.address()
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0))
    })
  })
}

/** pmcd needs the PMNS root; Debian's package leaves it to be built (as root). */
export function ensurePmns(): void {
  if (!existsSync('/var/lib/pcp/pmns/root')) {
    execFileSync('/var/lib/pcp/pmns/Rebuild', ['-s', '-u'], {
      cwd: '/var/lib/pcp/pmns',
      stdio: 'pipe',
      timeout: 120_000,
    })
  }
}

export interface RunningPmcd {
  port: number
  log: string
  process: ChildProcess
  stop(): Promise<void>
}

export interface PmcdOptions {
  /** More pmcd options, e.g. ['-Q']. */
  args?: readonly string[]
  /** Environment added to pmcd's, e.g. PCP_TLSCONF_PATH. */
  env?: Readonly<Record<string, string>>
  /**
   * A directory pmcd sees as /etc/pcp (bind-mounted there in a private mount namespace made with
   * `unshare -m`), so that a tls.conf written under a test root names its files by their host paths.
   */
  etcPcp?: string
}

/**
 * A real pmcd in the foreground with its own config, port, unix socket and log, on this test's
 * directory; resolved once its log shows it is listening. Always stopped by stop().
 */
export async function startPmcd(
  dir: string,
  config: string,
  options: PmcdOptions = {},
): Promise<RunningPmcd> {
  ensurePmns()
  const port = await freePort()
  const log = path.join(dir, 'pmcd.log')
  const argv = [
    '-f',
    '-p',
    String(port),
    '-s',
    path.join(dir, 'pmcd.sock'),
    '-l',
    log,
    '-c',
    config,
    ...(options.args ?? []),
  ]
  const env = {...process.env, ...options.env}
  const child = options.etcPcp
    ? spawn(
        'unshare',
        [
          '-m',
          '--propagation',
          'private',
          'sh',
          '-c',
          'mount --bind "$0" /etc/pcp && exec "$@"',
          options.etcPcp,
          PMCD,
          ...argv,
        ],
        {stdio: 'ignore', env},
      )
    : spawn(PMCD, argv, {stdio: 'ignore', env})
  const stop = () => stopChild(child)
  const deadline = Date.now() + 15_000
  for (;;) {
    const text = existsSync(log) ? await readFile(log, 'utf8') : ''
    if (/pmcd request port\(s\):[\s\S]*ok\s+\d+\s+\d+\s+inet/.test(text)) break
    if (child.exitCode !== null || Date.now() > deadline) {
      await stop()
      throw new Error(`pmcd did not start:\n${text}`)
    }
    await new Promise((r) => setTimeout(r, 100))
  }
  return {port, log, process: child, stop}
}

/** pmcd's "Host access list" from its log: one entry per line, as pmcd holds it. */
export function hostAccessList(
  log: string,
): {spec: string; mask: string; fetch: string; store: string; maxCons: number}[] {
  const table = log.split('Host access list:')[1]?.split(/\n(?:User|Group) access list/)[0] ?? ''
  return table
    .split('\n')
    .filter((l) => /^\s*[yn ]\s/.test(l) && !l.startsWith('=='))
    .map((l) => ({
      fetch: l.slice(0, 2).trim(),
      store: l.slice(3, 5).trim(),
      maxCons: Number(l.slice(6, 17).trim().split(/\s+/)[1] ?? 0),
      spec: l.slice(18, 58).trim(),
      mask: l.slice(58, 98).trim(),
    }))
    .filter((e) => e.spec !== '')
}

/** SIGTERM a daemon the test started, SIGKILL after 5 s, and wait until it has exited. */
export async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return
  const exited = new Promise((resolve) => child.once('exit', resolve))
  child.kill('SIGTERM')
  const timer = setTimeout(() => child.kill('SIGKILL'), 5000)
  await exited
  clearTimeout(timer)
}
