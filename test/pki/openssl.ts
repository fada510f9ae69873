import {spawnSync} from 'node:child_process'

export interface OpensslRun {
  code: number
  stdout: string
  stderr: string
}

/** The one way tests run the real `openssl`: bounded in time, never through a shell. */
export function openssl(args: string[], options: {cwd?: string; input?: string} = {}): OpensslRun {
  const run = spawnSync('openssl', args, {
    cwd: options.cwd,
    input: options.input,
    encoding: 'utf8',
    timeout: 30_000,
  })
  if (run.error) throw run.error
  return {code: run.status ?? -1, stdout: run.stdout, stderr: run.stderr}
}
