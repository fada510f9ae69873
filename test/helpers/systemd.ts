import {type ChildProcess, spawn} from 'node:child_process'
import {randomInt} from 'node:crypto'
import {existsSync, readFileSync} from 'node:fs'
import {mkdir, readdir, rmdir, writeFile} from 'node:fs/promises'
import path from 'node:path'

import {execa} from 'execa'

export const SYSTEMD = '/lib/systemd/systemd'

/** The target the test's systemd boots into: it wants nothing, so only what a test starts runs. */
export const TEST_TARGET = 'pcp-harden-test.target'

/**
 * The units systemd itself refers to, as empty stand-ins: a unit with the default dependencies
 * needs sysinit.target and basic.target and conflicts with shutdown.target; `systemctl exit` starts
 * exit.target, which runs systemd-exit.service once shutdown, umount and final are reached. Only
 * these and the test's own units are on the unit path (SYSTEMD_UNIT_PATH), so nothing of this
 * machine's (udev, journald, tmpfiles) starts in the test's systemd.
 */
const BASE_UNITS: Record<string, string> = {
  [TEST_TARGET]: '[Unit]\nDescription=pcp-harden test system\n',
  'sysinit.target': '[Unit]\nDescription=System Initialization (empty)\nDefaultDependencies=no\n',
  'basic.target': '[Unit]\nDescription=Basic System (empty)\nDefaultDependencies=no\n',
  'shutdown.target': '[Unit]\nDescription=System Shutdown (empty)\nDefaultDependencies=no\n',
  'umount.target': '[Unit]\nDescription=Unmount All Filesystems (empty)\nDefaultDependencies=no\n',
  'final.target': '[Unit]\nDescription=Late Shutdown Services (empty)\nDefaultDependencies=no\n',
  'exit.target':
    '[Unit]\nDescription=Exit the Container\nDefaultDependencies=no\n' +
    'Requires=systemd-exit.service\nAfter=systemd-exit.service\nAllowIsolate=yes\n',
  'systemd-exit.service':
    '[Unit]\nDescription=Exit the Container\nDefaultDependencies=no\n' +
    'Requires=shutdown.target umount.target final.target\nAfter=shutdown.target umount.target final.target\n' +
    'SuccessAction=exit-force\n',
}

export interface SystemdOptions {
  /** The test's directory: the unit path, the boot script and systemd's console log go here. */
  dir: string
  /** Unit files by name (the test's own, e.g. pmcd.service). */
  units: Readonly<Record<string, string>>
  /** Directories bind-mounted over this machine's in the namespace (the test's /etc/pcp). */
  binds?: readonly {source: string; target: string}[]
  /** Directories given an empty tmpfs in the namespace (where a daemon writes its logs). */
  tmpfs?: readonly {target: string; mode: string}[]
}

export interface BootedSystemd {
  /** The namespace's PID 1 (systemd), as this machine numbers it. */
  pid: number
  /** systemd's own log (its console). */
  console: string
  /** Run a program inside the namespace (pid, mount, network and uts): never throws. */
  run(
    argv: readonly string[],
    options?: {timeoutMs?: number; env?: Readonly<Record<string, string>>},
  ): Promise<{exitCode: number; stdout: string; stderr: string}>
  /** `systemctl exit`, SIGKILL after 15 s; waits until the namespace is gone and removes its cgroup. */
  stop(): Promise<void>
}

/** This process's cgroup in the unified (v2) hierarchy, as a directory of this machine. */
function ownCgroup(): string {
  const mount = readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .map((l) => l.split(' '))
    .find((f) => f[f.indexOf('-') + 1] === 'cgroup2')
  if (!mount) throw new Error('no cgroup2 hierarchy is mounted here: systemd 252 in a namespace needs one')
  const own = /^0::(.*)$/m.exec(readFileSync('/proc/self/cgroup', 'utf8'))?.[1] ?? '/'
  const root = mount[3] ?? '/'
  return path.join(mount[4] ?? '/sys/fs/cgroup', path.relative(root, own))
}

/** Remove a cgroup and the ones systemd made in it, deepest first (each must have no process). */
async function removeCgroup(dir: string): Promise<void> {
  if (!existsSync(dir)) return
  const entries = await readdir(dir, {withFileTypes: true})
  for (const e of entries) if (e.isDirectory()) await removeCgroup(path.join(dir, e.name))
  const deadline = Date.now() + 5000
  for (;;) {
    try {
      await rmdir(dir)
      return
    } catch (error) {
      // A cgroup whose last process has just died stays busy for a moment.
      if ((error as NodeJS.ErrnoException).code !== 'EBUSY' || Date.now() > deadline) throw error
      await new Promise((r) => setTimeout(r, 50))
    }
  }
}

const exited = (child: ChildProcess) =>
  child.exitCode !== null || child.signalCode !== null
    ? Promise.resolve()
    : new Promise<void>((resolve) => child.once('exit', () => resolve()))

const within = (promise: Promise<void>, ms: number) =>
  Promise.race([promise.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), ms))])

/** The process the namespace's PID 1 is (unshare --fork's only child). */
function nsInit(unshare: number): number | undefined {
  try {
    const children = readFileSync(`/proc/${unshare}/task/${unshare}/children`, 'utf8').trim()
    const pid = Number(children.split(' ')[0])
    return pid > 0 && readFileSync(`/proc/${pid}/comm`, 'utf8').trim() === 'systemd' ? pid : undefined
  } catch {
    return undefined
  }
}

/**
 * A real systemd as PID 1 of new PID, mount, network, UTS and cgroup namespaces, as a container
 * manager starts one (systemd.io CONTAINER_INTERFACE: `container=` in its environment, its own
 * cgroup2 mount rooted at a cgroup of its own, a private /run). It boots TEST_TARGET with only the
 * test's units and the base units above; the namespace's network has loopback only. Resolved once
 * `systemctl is-system-running` says running. If this process dies, the namespace is killed
 * (pdeathsig on unshare, --kill-child on systemd).
 */
export async function bootSystemd(options: SystemdOptions): Promise<BootedSystemd> {
  const unitDir = path.join(options.dir, 'units')
  await mkdir(unitDir, {recursive: true})
  for (const [name, text] of Object.entries({...BASE_UNITS, ...options.units}))
    await writeFile(path.join(unitDir, name), text)
  const consoleLog = path.join(options.dir, 'console.log')
  await writeFile(consoleLog, '')
  const q = (word: string) => `'${word.replaceAll("'", "'\\''")}'`
  const script = [
    'set -e',
    'mount --make-rprivate /',
    'ip link set lo up',
    'mount -t cgroup2 cgroup2 /sys/fs/cgroup',
    'mount -t tmpfs -o mode=755 tmpfs /run',
    // systemd as PID 1 logs to /dev/console: here, a file of the test's.
    `mount --bind ${q(consoleLog)} /dev/console`,
    ...(options.tmpfs ?? []).map((t) => `mount -t tmpfs -o mode=${t.mode} tmpfs ${q(t.target)}`),
    ...(options.binds ?? []).map((b) => `mount --bind ${q(b.source)} ${q(b.target)}`),
    `exec env -i container=pcp-harden-test SYSTEMD_UNIT_PATH=${q(unitDir)} ` +
      `PATH=/usr/sbin:/usr/bin:/sbin:/bin ${SYSTEMD} --system --unit=${TEST_TARGET} ` +
      '--log-target=console --show-status=false',
  ].join('\n')
  const boot = path.join(options.dir, 'boot.sh')
  await writeFile(boot, `${script}\n`, {mode: 0o755})

  const cgroup = path.join(ownCgroup(), `pcp-harden-systemd-${process.pid}-${randomInt(1_000_000)}`)
  await mkdir(cgroup)
  const child = spawn(
    'sh',
    [
      '-c',
      'echo $$ > "$0/cgroup.procs" && exec setpriv --pdeathsig KILL unshare --pid --fork --kill-child=SIGKILL ' +
        '--mount --mount-proc --uts --net --cgroup "$1"',
      cgroup,
      boot,
    ],
    {stdio: ['ignore', 'ignore', 'pipe']},
  )
  let stderr = ''
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString('utf8')))

  let pid: number | undefined
  const run: BootedSystemd['run'] = async (argv, runOptions = {}) => {
    const result = await execa('nsenter', ['-t', String(pid), '-p', '-m', '-n', '-u', '--', ...argv], {
      reject: false,
      stdin: 'ignore',
      timeout: runOptions.timeoutMs ?? 30_000,
      ...(runOptions.env ? {env: runOptions.env, extendEnv: false} : {}),
    })
    return {exitCode: result.exitCode ?? -1, stdout: String(result.stdout), stderr: String(result.stderr)}
  }
  const stop = async () => {
    if (pid !== undefined && child.exitCode === null && child.signalCode === null) {
      await run(['systemctl', 'exit'], {timeoutMs: 10_000})
      if (!(await within(exited(child), 15_000))) {
        process.kill(pid, 'SIGKILL')
        await within(exited(child), 10_000)
      }
    } else if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGKILL')
      await within(exited(child), 10_000)
    }
    await removeCgroup(cgroup)
  }

  const deadline = Date.now() + 30_000
  let state = ''
  for (;;) {
    pid ??= child.pid === undefined ? undefined : nsInit(child.pid)
    if (pid !== undefined) {
      state = (await run(['systemctl', 'is-system-running'], {timeoutMs: 5000})).stdout.trim()
      if (state === 'running' || state === 'degraded') break
    }
    if (child.exitCode !== null || child.signalCode !== null || Date.now() > deadline) {
      await stop()
      throw new Error(
        `systemd did not come up (state ${state || 'none'}):\n${stderr}${readFileSync(consoleLog, 'utf8')}`,
      )
    }
    await new Promise((r) => setTimeout(r, 100))
  }
  return {pid, console: consoleLog, run, stop}
}
