import {existsSync} from 'node:fs'

/** Where Debian (lib) and RHEL (libexec) install pmcd. */
export const PMCD_BINARIES = ['/usr/lib/pcp/bin/pmcd', '/usr/libexec/pcp/bin/pmcd']

/** The argv of pmcd's own check of a configuration file (`pmcd -v -c FILE`). */
export function pmcdVerifyArgv(binary: string, file: string): [string, string[]] {
  return [binary, ['-v', '-c', file]]
}

/**
 * Ask this machine's pmcd whether it accepts a configuration, when pmcd is installed here;
 * undefined when it is not. Bounded in time; never starts a daemon.
 */
export async function pmcdVerify(file: string): Promise<{ok: boolean; output: string} | undefined> {
  const binary = PMCD_BINARIES.find((b) => existsSync(b))
  if (!binary) return undefined
  const {execa} = await import('execa')
  const [command, args] = pmcdVerifyArgv(binary, file)
  const run = await execa(command, args, {reject: false, timeout: 20_000, all: true, stdin: 'ignore'})
  return {ok: run.exitCode === 0, output: String(run.all ?? '')}
}
