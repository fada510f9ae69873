import {execFile} from 'node:child_process'
import {existsSync} from 'node:fs'

/** Where Debian (/usr/bin, /bin through the merged /usr) and others install systemd-analyze. */
export const SYSTEMD_ANALYZE_BINARIES = ['/usr/bin/systemd-analyze', '/bin/systemd-analyze']

/** The installed systemd-analyze, or undefined. */
export function systemdAnalyzeBinary(): string | undefined {
  return SYSTEMD_ANALYZE_BINARIES.find((b) => existsSync(b))
}

/**
 * The argv of an offline security review of units under a root directory. systemd 252 accepts
 * --root only with --offline=true for `security` ("Options --root= and --image= are only supported
 * ... when used with --offline="); each unit is then loaded from the root's unit search path, with
 * its drop-ins, and no running manager is asked. Each unit gets its own table and overall line.
 */
export function securityArgv(
  binary: string,
  root: string,
  units: string | readonly string[],
): [string, string[]] {
  return [binary, ['security', '--offline=true', `--root=${root}`, '--no-pager', ...[units].flat()]]
}

/** The argv of `systemd-analyze verify` of unit files (paths on this machine). */
export function verifyArgv(binary: string, files: readonly string[]): [string, string[]] {
  return [binary, ['verify', '--no-pager', ...files]]
}

export interface Exposure {
  /** 0.0 (perfect) to 10.0 (unsafe). */
  score: number
  /** systemd's word for the score: PERFECT, SAFE, OK, MEDIUM, EXPOSED or UNSAFE. */
  rating: string
}

/** The overall exposure line: `→ Overall exposure level for NAME: 4.2 OK 🙂`. */
export function parseExposure(output: string, unit: string): Exposure | undefined {
  const prefix = `Overall exposure level for ${unit}: `
  const line = output.split('\n').find((l) => l.includes(prefix))
  const match = line && /^(\d+(?:\.\d+)?) ([A-Z]+)/.exec(line.slice(line.indexOf(prefix) + prefix.length))
  return match ? {score: Number(match[1]), rating: match[2] as string} : undefined
}

/**
 * Run systemd-analyze with a bounded time; never asks a running manager. Node's own execFile, not
 * execa: this runs inside `verify`, whose start-up time bench/startup.js holds, and loading execa
 * there costs more than the call itself.
 */
export function runSystemdAnalyze(
  command: string,
  args: string[],
  onStart?: () => void,
): Promise<{exitCode: number; output: string}> {
  return new Promise((resolve) => {
    const child = execFile(
      command,
      args,
      {timeout: 30_000, maxBuffer: 4 * 1024 * 1024, env: {SYSTEMD_COLORS: '0', SYSTEMD_PAGER: ''}},
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : -1) : 0
        resolve({exitCode: code, output: `${stdout}${stderr}`})
      },
    )
    child.stdin?.end()
    onStart?.()
  })
}

/** The exposure scores of units under `root` (offline), in one run; the run's output beside them. */
export async function securityScores(
  binary: string,
  root: string,
  units: readonly string[],
  onStart?: () => void,
): Promise<{scores: Map<string, Exposure>; output: string}> {
  const [command, args] = securityArgv(binary, root, units)
  const {output} = await runSystemdAnalyze(command, args, onStart)
  const scores = new Map<string, Exposure>()
  for (const unit of units) {
    const exposure = parseExposure(output, unit)
    if (exposure) scores.set(unit, exposure)
  }
  return {scores, output}
}

/** The exposure score of `unit` under `root` (offline), or the output when systemd-analyze gave none. */
export async function securityScore(
  binary: string,
  root: string,
  unit: string,
  onStart?: () => void,
): Promise<{exposure: Exposure} | {output: string}> {
  const {scores, output} = await securityScores(binary, root, [unit], onStart)
  const exposure = scores.get(unit)
  return exposure ? {exposure} : {output}
}
