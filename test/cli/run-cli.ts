import {execFile} from 'node:child_process'
import path from 'node:path'
import {fileURLToPath} from 'node:url'

export const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..')
export const BIN = path.join(REPO, 'bin/run.js')
/** The uid of nobody: unprivileged runs of the CLI. */
export const NOBODY = 65534
export const DEV_BIN = path.join(REPO, 'bin/dev.js')

export interface CliRun {
  code: number
  stdout: string
  stderr: string
}

/**
 * Run the built CLI (`npm test` builds first) as a user would, with a clean environment
 * (no colour forced either way unless the test asks; COLUMNS wide), bounded in time.
 */
export function cli(
  args: string[],
  options: {env?: Record<string, string>; as?: number; bin?: string; cwd?: string} = {},
): Promise<CliRun> {
  const bin = options.bin ?? BIN
  // Text output wraps to 80 columns in a pipe: a wide COLUMNS keeps each finding on one line, as the
  // assertions read them (test/cli/output-habits.e2e.test.ts sets its own to test the wrapping).
  const env = {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: process.env.HOME ?? '/root',
    COLUMNS: '100000',
    ...options.env,
  }
  const [file, argv] =
    options.as === undefined
      ? [process.execPath, [bin, ...args]]
      : [
          'setpriv',
          [
            `--reuid=${options.as}`,
            `--regid=${options.as}`,
            '--clear-groups',
            process.execPath,
            bin,
            ...args,
          ],
        ]
  return new Promise((resolve) => {
    execFile(
      file,
      argv,
      {env, cwd: options.cwd, timeout: 30_000, maxBuffer: 16 << 20},
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : -1) : 0
        resolve({code, stdout, stderr})
      },
    )
  })
}
