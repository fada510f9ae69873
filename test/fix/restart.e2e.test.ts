import {mkdir, mkdtemp, readFile, rm, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import path from 'node:path'

import {execa} from 'execa'
import {afterEach, describe, expect, it} from 'vitest'

import {restartServices} from '../../src/fix/restart.js'
import {BIN} from '../cli/run-cli.js'
import {ensurePmns} from '../helpers/pmcd.js'
import {type BootedSystemd, bootSystemd} from '../helpers/systemd.js'

/** pmcd.service as Debian 12's pcp 6.0.3 installs it: the rc script starts pmcd, which notifies systemd. */
const PMCD_SERVICE = `[Unit]
Description=Performance Metrics Collector Daemon
Documentation=man:pmcd(1)
After=network-online.target avahi-daemon.service
Before=zabbix-agent.service

[Service]
Type=notify
NotifyAccess=all
Restart=always
ExecStart=/etc/init.d/pmcd start-systemd
ExecStop=/etc/init.d/pmcd stop-systemd
PIDFile=/run/pcp/pmcd.pid

[Install]
WantedBy=multi-user.target
`

/** A pmcd.service that cannot start: its program exits 1 before it is ready. */
const FAILING_SERVICE = `[Unit]
Description=Performance Metrics Collector Daemon (exits 1)

[Service]
Type=notify
ExecStart=/bin/sh -c 'echo "pmcd: cannot start" >&2; exit 1'
`

/** PMCD_LOCAL with quotes: the rc script exports it as it is, and pmcd reads '"1"' as 0. */
const QUOTED_LOCAL = '# Environment for pmcd, read by its rc script\nPMCD_LOCAL="1"\n'

/**
 * A test's /etc/pcp (pmcd.conf with pmcd's own PMDA only, pmcd.options as Debian ships it) and
 * /etc/default, each bind-mounted over this machine's in the namespace.
 */
async function pcpTree(): Promise<{dir: string; etcPcp: string; etcDefault: string}> {
  const dir = await mkdtemp(path.join(tmpdir(), 'pcp-harden-restart-'))
  const etcPcp = path.join(dir, 'etc-pcp')
  const etcDefault = path.join(dir, 'etc-default')
  await mkdir(path.join(etcPcp, 'pmcd'), {recursive: true})
  await mkdir(etcDefault)
  await writeFile(
    path.join(etcPcp, 'pmcd/pmcd.conf'),
    'pmcd\t2\tdso\tpmcd_init\t/var/lib/pcp/pmdas/pmcd/pmda_pmcd.so\n\n[access]\n' +
      'disallow ".*" : store;\ndisallow ":*" : store;\nallow "local:*" : all;\n',
  )
  await writeFile(path.join(etcPcp, 'pmcd/pmcd.options'), '# command-line options to pmcd\n-A\n')
  await writeFile(path.join(etcDefault, 'pmcd'), QUOTED_LOCAL)
  return {dir, etcPcp, etcDefault}
}

/** The namespace of a test tree: its /etc/pcp and /etc/default, and private logs and scratch. */
function mounts(tree: {etcPcp: string; etcDefault: string}) {
  return {
    binds: [
      {source: tree.etcPcp, target: '/etc/pcp'},
      {source: tree.etcDefault, target: '/etc/default'},
    ],
    tmpfs: [
      {target: '/var/log/pcp', mode: '775'},
      {target: '/var/lib/pcp/tmp', mode: '775'},
      {target: '/var/tmp', mode: '1777'},
    ],
  }
}

const CLI_ENV = {PATH: '/usr/sbin:/usr/bin:/sbin:/bin', HOME: '/root', COLUMNS: '100000'}

/** The CLI inside the namespace, so that --root / is the namespace's view. */
const verifyIn = (systemd: BootedSystemd, args: string[]) =>
  systemd.run([process.execPath, BIN, 'verify', '--root', '/', ...args], {env: CLI_ENV, timeoutMs: 150_000})

/** pmcd's main process as systemd knows it: its pid, PMCD_LOCAL from its environ, its listeners. */
async function runningPmcd(systemd: BootedSystemd) {
  const main = await systemd.run(['systemctl', 'show', '--property=MainPID', '--value', 'pmcd.service'])
  const pid = Number(main.stdout.trim())
  const environ = await systemd.run(['cat', `/proc/${pid}/environ`])
  const local = environ.stdout
    .split('\0')
    .find((w) => w.startsWith('PMCD_LOCAL='))
    ?.slice('PMCD_LOCAL='.length)
  const ss = await systemd.run(['ss', '-Hltn', 'sport', '=', ':44321'])
  const listeners = ss.stdout
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => l.trim().split(/\s+/)[3])
    .sort()
  return {pid, local, listeners}
}

describe('verify --fix --restart under a real systemd (PID 1 of its own namespaces)', () => {
  let systemd: BootedSystemd | undefined
  let dir: string | undefined
  afterEach(async () => {
    await systemd?.stop()
    systemd = undefined
    if (dir) await rm(dir, {recursive: true, force: true})
    dir = undefined
  })

  it('fixes PMCD_LOCAL, restarts the real pmcd.service, and the new pmcd runs with it', async () => {
    ensurePmns()
    const tree = await pcpTree()
    dir = tree.dir
    systemd = await bootSystemd({dir, units: {'pmcd.service': PMCD_SERVICE}, ...mounts(tree)})
    const start = await systemd.run(['systemctl', 'start', 'pmcd.service'], {timeoutMs: 90_000})
    expect(start.exitCode, `${start.stderr}${await readFile(systemd.console, 'utf8')}`).toBe(0)

    // The quoted value reaches pmcd as it is: pmcd listens on every interface.
    const before = await runningPmcd(systemd)
    expect(before.local).toBe('"1"')
    expect(before.listeners).toContain('0.0.0.0:44321')
    expect(before.listeners.every((l) => l === '0.0.0.0:44321' || l === '[::]:44321')).toBe(true)

    const fix = await verifyIn(systemd, ['--fix', '--restart', '--check', 'PCP-PMCD-004'])
    expect(fix.stdout).toContain('systemctl restart pmcd.service: done')
    expect(fix.exitCode, fix.stdout + fix.stderr).toBe(0)
    expect(await readFile(path.join(tree.etcDefault, 'pmcd'), 'utf8')).toBe(
      '# Environment for pmcd, read by its rc script\nPMCD_LOCAL=1\n',
    )

    // A new pmcd, started by systemd through the rc script, has PMCD_LOCAL=1 and listens on loopback.
    const after = await runningPmcd(systemd)
    expect(after.pid).not.toBe(before.pid)
    expect(after.local).toBe('1')
    expect(after.listeners).toContain('127.0.0.1:44321')
    // [::1] too where the kernel has IPv6; never a wildcard address.
    expect(
      after.listeners.every((l) => l === '127.0.0.1:44321' || l === '[::1]:44321'),
      after.listeners.join(' '),
    ).toBe(true)

    // The checks that compare the running daemon with its files agree.
    const audit = await verifyIn(systemd, [
      ...['--check', 'PCP-PMCD-004', '--check', 'PCP-LIVE-001', '--check', 'PCP-LIVE-002'],
      '--format',
      'json',
    ])
    expect(audit.exitCode, audit.stdout + audit.stderr).toBe(0)
    const results = (
      JSON.parse(audit.stdout) as {results: {check: string; status: string; message: string}[]}
    ).results
    expect(results.map((r) => `${r.check} ${r.status}`).sort()).toEqual([
      'PCP-LIVE-001 pass',
      'PCP-LIVE-002 pass',
      'PCP-PMCD-004 pass',
    ])
    expect(results.find((r) => r.check === 'PCP-LIVE-001')?.message).toMatch(/pmcd pid \d+/)
  }, 300_000)

  it('a unit that fails to restart: one line with what systemctl said, exit CRITICAL', async () => {
    const tree = await pcpTree()
    dir = tree.dir
    systemd = await bootSystemd({dir, units: {'pmcd.service': FAILING_SERVICE}, ...mounts(tree)})
    const fix = await verifyIn(systemd, ['--fix', '--restart', '--check', 'PCP-PMCD-004'])
    const lines = fix.stdout.split('\n').filter((l) => l.startsWith('systemctl '))
    expect(lines).toEqual([
      'systemctl restart pmcd.service failed (exit 1): Job for pmcd.service failed because the control ' +
        'process exited with error code. See "systemctl status pmcd.service" and "journalctl -xeu ' +
        'pmcd.service" for details.',
    ])
    // The file is fixed (the audit passes), but pmcd is down: CRITICAL, in every format, and the
    // report's own status line says why.
    expect(fix.stdout).toContain('0 could not be checked; 1 passed')
    expect(fix.stdout).toMatch(
      /^Status: CRITICAL \(exit 2, fail-on: \w+; restart: systemctl restart pmcd\.service failed \(exit 1\): Job for pmcd\.service failed/m,
    )
    expect(fix.exitCode).toBe(2)
    // The fix again from the quoted value, in another format.
    const fixAgain = async (format: string) => {
      await writeFile(path.join(tree.etcDefault, 'pmcd'), QUOTED_LOCAL)
      return verifyIn(systemd!, ['--fix', '--restart', '--check', 'PCP-PMCD-004', '--format', format])
    }
    const nagios = await fixAgain('nagios')
    expect(nagios.exitCode).toBe(2)
    expect(nagios.stderr).toContain(
      'systemctl restart pmcd.service failed (exit 1): Job for pmcd.service failed',
    )
    expect(nagios.stdout.split('\n')[0]).toMatch(
      /^PCP-HARDEN CRITICAL - systemctl restart pmcd\.service failed \(exit 1\): Job for pmcd\.service failed .*; 1 check passed \| /,
    )
    const json = await fixAgain('json')
    expect(json.exitCode).toBe(2)
    const report = JSON.parse(json.stdout) as {
      summary: {status: string; exitCode: number}
      restart: {status: string; lines: string[]}
    }
    expect(report.summary).toMatchObject({status: 'CRITICAL', exitCode: 2})
    expect(report.restart.status).toBe('CRITICAL')
    expect(report.restart.lines).toHaveLength(1)
    expect(report.restart.lines[0]).toMatch(/^systemctl restart pmcd\.service failed \(exit 1\): /)
    const state = await systemd.run(['systemctl', 'is-failed', 'pmcd.service'])
    expect(state.stdout.trim()).toBe('failed')
  }, 300_000)
})

describe('verify --fix --restart where systemd does not run', () => {
  let dir: string | undefined
  afterEach(async () => {
    if (dir) await rm(dir, {recursive: true, force: true})
    dir = undefined
  })

  it('systemctl is installed but systemd is not the init system: the fix stays, exit WARNING', async () => {
    const tree = await pcpTree()
    dir = tree.dir
    // A private /run has no /run/systemd/system, as on a machine booted without systemd.
    const run = await execa(
      'unshare',
      [
        ...['--mount', '--propagation', 'private', 'sh', '-c'],
        'mount -t tmpfs tmpfs /run && mount --bind "$0" /etc/pcp && mount --bind "$1" /etc/default && shift 2 && exec "$@"',
        tree.etcPcp,
        tree.etcDefault,
        ...[process.execPath, BIN, 'verify', '--root', '/', '--fix', '--restart', '--check', 'PCP-PMCD-004'],
      ],
      {env: CLI_ENV, extendEnv: false, reject: false, timeout: 60_000, stdin: 'ignore'},
    )
    expect(
      String(run.stdout)
        .split('\n')
        .filter((l) => l.startsWith('systemctl ')),
    ).toEqual([
      "systemctl restart pmcd.service failed (exit 1): System has not been booted with systemd as init system (PID 1). Can't operate. " +
        'Failed to connect to bus: Host is down; nothing restarted; the fix is not in force until pmcd.service restarts: do it by hand',
    ])
    expect(run.exitCode).toBe(1)
    expect(String(run.stdout)).toMatch(
      /^Status: WARNING \(exit 1, fail-on: \w+; restart: systemctl restart pmcd\.service failed /m,
    )
    expect(await readFile(path.join(tree.etcDefault, 'pmcd'), 'utf8')).toContain('\nPMCD_LOCAL=1\n')
  }, 120_000)

  it('systemctl is not installed: nothing is run, one line, WARNING', async () => {
    const outcome = await restartServices(['daemon-reload', 'pmcd.service'], {
      binaries: ['/nonexistent/systemctl'],
    })
    expect(outcome).toEqual({
      lines: [
        'systemctl is not installed: nothing restarted; the fix is not in force until pmcd.service restarts: do it by hand',
      ],
      status: 'WARNING',
    })
  })
})
