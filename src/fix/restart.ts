import {existsSync} from 'node:fs'

import {runTool} from './validate.js'

/** Where systemctl is installed (/bin through Debian's merged /usr). */
export const SYSTEMCTL_BINARIES = ['/usr/bin/systemctl', '/bin/systemctl']

/** The systemctl calls that restart what a fix names: daemon-reload first when units changed. */
export function restartArgv(restart: readonly string[]): string[][] {
  const units = restart.filter((u) => u !== 'daemon-reload')
  return [
    ...(restart.includes('daemon-reload') ? [['daemon-reload']] : []),
    ...(units.length > 0 ? [['restart', ...units]] : []),
  ]
}

/** Restart through this machine's systemctl; one line per call saying how it went. */
export async function restartServices(restart: readonly string[]): Promise<string[]> {
  const binary = SYSTEMCTL_BINARIES.find((b) => existsSync(b))
  if (!binary) return [`systemctl is not installed: restart by hand (${restart.join(', ')})`]
  const lines: string[] = []
  for (const args of restartArgv(restart)) {
    const run = await runTool(binary, args)
    const said = run.output.trim().split('\n')[0] ?? ''
    lines.push(
      run.exitCode === 0
        ? `systemctl ${args.join(' ')}: done`
        : `systemctl ${args.join(' ')} failed (exit ${run.exitCode})${said ? `: ${said}` : ''}`,
    )
  }
  return lines
}
