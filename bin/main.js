import {fileURLToPath} from 'node:url'

/**
 * Run the CLI. Every error ends as one line on stderr and exit 3 (UNKNOWN, in Nagios terms):
 * bad flags, malformed or missing input, an unknown command. PCP_HARDEN_DEBUG=1 adds the stack.
 * `cli` is the entry module (the bundle, or the TypeScript source in development), so oclif
 * is the same instance that loads the commands.
 */
export async function main({Errors, flush, run}, {dir, development = false}) {
  if (development) process.env.NODE_ENV = 'development'
  try {
    // No user-installed plugins: a hardening tool runs only its own code (and reads no ~/.local).
    await run(process.argv.slice(2), {root: fileURLToPath(new URL('..', dir)), userPlugins: false})
    await flush()
  } catch (error) {
    if (error instanceof Errors.ExitError) {
      process.exitCode = error.oclif.exit
      return
    }
    const message =
      String(error?.message ?? error)
        .split('\n')
        .find((l) => l.trim() !== '') ?? 'failed'
    process.stderr.write(`pcp-harden: error: ${message.trim()}\n`)
    if (process.env.PCP_HARDEN_DEBUG) process.stderr.write(`${error?.stack ?? ''}\n`)
    process.exitCode = 3
  }
}
