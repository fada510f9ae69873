import {existsSync} from 'node:fs'

import type {NagiosStatus} from '../engine/model.js'

/** Where systemctl is installed (/bin through Debian's merged /usr). */
export const SYSTEMCTL_BINARIES = ['/usr/bin/systemctl', '/bin/systemctl']

/** The directory systemd creates at boot: sd_booted(3) tests it to know systemd is the init system. */
export const SYSTEMD_BOOTED = '/run/systemd/system'

/** How long one systemctl call may take: a restart waits for the unit's start job (pmcd's rc script). */
export const SYSTEMCTL_TIMEOUT_MS = 120_000

/** The systemctl calls that restart what a fix names: daemon-reload first when units changed. */
export function restartArgv(restart: readonly string[]): string[][] {
  const units = restart.filter((u) => u !== 'daemon-reload')
  return [
    ...(restart.includes('daemon-reload') ? [['daemon-reload']] : []),
    ...(units.length > 0 ? [['restart', ...units]] : []),
  ]
}

/** What --restart did: one line per systemctl call, and the state it gives the run. */
export interface RestartOutcome {
  lines: string[]
  /**
   * OK when every call succeeded; WARNING when nothing could be restarted (no systemctl, or systemd
   * is not the init system): the services keep running with their old files; CRITICAL when a call
   * failed under a running systemd: a unit may now be down.
   */
  status: NagiosStatus
}

export interface RestartOptions {
  /** Where to look for systemctl (tests name a missing one). */
  binaries?: readonly string[]
  timeoutMs?: number
}

/** Everything a program said, on one line. */
const oneLine = (text: string) =>
  text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '')
    .join(' ')

/**
 * Restart through this machine's systemctl, in order, stopping at the first call that fails (a
 * restart after a failed daemon-reload would start the old unit).
 */
export async function restartServices(
  restart: readonly string[],
  options: RestartOptions = {},
): Promise<RestartOutcome> {
  const units = restart.filter((u) => u !== 'daemon-reload')
  const waiting =
    units.length === 0
      ? 'systemd reloads its units'
      : `${units.join(' and ')} restart${units.length === 1 ? 's' : ''}`
  const byHand = `the fix is not in force until ${waiting}: do it by hand`
  const binary = (options.binaries ?? SYSTEMCTL_BINARIES).find((b) => existsSync(b))
  if (!binary) return {lines: [`systemctl is not installed: nothing restarted; ${byHand}`], status: 'WARNING'}
  const {execa} = await import('execa')
  const timeoutMs = options.timeoutMs ?? SYSTEMCTL_TIMEOUT_MS
  const lines: string[] = []
  for (const args of restartArgv(restart)) {
    const call = `systemctl ${args.join(' ')}`
    const run = await execa(binary, args, {reject: false, all: true, stdin: 'ignore', timeout: timeoutMs})
    if (run.exitCode === 0 && !run.timedOut) {
      lines.push(`${call}: done`)
      continue
    }
    const said = oneLine(run.all ?? '')
    const how = run.timedOut
      ? `did not finish in ${timeoutMs / 1000} s`
      : `failed (exit ${run.exitCode ?? -1})`
    // Without systemd as init, systemctl touched nothing: the services still run with their old files.
    if (!existsSync(SYSTEMD_BOOTED))
      return {
        lines: [...lines, `${call} ${how}${said ? `: ${said}` : ''}; nothing restarted; ${byHand}`],
        status: 'WARNING',
      }
    lines.push(
      `${call} ${how}${said ? `: ${said}` : ''}${
        units.length > 0 && args[0] !== 'restart' ? `; not restarted: ${units.join(', ')}` : ''
      }`,
    )
    return {lines, status: 'CRITICAL'}
  }
  return {lines, status: 'OK'}
}
