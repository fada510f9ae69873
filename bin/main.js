import {existsSync, readFileSync} from 'node:fs'
import Module from 'node:module'
import path from 'node:path'
import {fileURLToPath} from 'node:url'
import v8 from 'node:v8'
import vm from 'node:vm'

const ROOT = fileURLToPath(new URL('..', import.meta.url))

/** The built CLI: every module in one CommonJS file, and V8's code cache for it. */
export const BUNDLE = path.join(ROOT, 'dist', 'pcp-harden.cjs')
export const CODE_CACHE = `${BUNDLE}.cache`

/**
 * Make `exports` what `require(BUNDLE)` returns. oclif requires the entry module named in
 * package.json to find the commands; this way it gets the instance already running, not a copy.
 */
export function registerEntry(exports, filename = BUNDLE) {
  const module = new Module(filename, null)
  module.filename = filename
  module.paths = Module._nodeModulePaths(path.dirname(filename))
  module.exports = exports
  module.loaded = true
  Module._cache[filename] = module
  return module
}

/**
 * The V8 flags the CLI runs with, set by loadBundle before it compiles the bundle. V8 keeps a hash
 * of its flags in a code cache and rejects a cache made under other flags, so the build's cache
 * (scripts/code-cache.js, which loads the bundle through loadBundle too) is made under the same ones;
 * test/cli/code-cache.test.ts checks that V8 takes it.
 *
 * --semi-space-growth-factor=1: the young generation keeps the size it has when the bundle is
 * loaded instead of doubling whenever many objects survive a scavenge. An audit of a large host
 * makes many objects that live for one container config or one authorized_keys line, and every
 * doubling is resident memory kept to the end: without the flag the peak RSS is 5 MiB higher on a
 * small host, 13 MiB at 2,000 container configs and 23 MiB at 100,000 authorized_keys lines
 * (bench/memory.js). What it costs is more, shorter scavenges, and no time the benches can see
 * (main-thread CPU time in alternating runs, README "Performance"). Set at run time because neither
 * the standalone executable nor `#!/usr/bin/env node` can pass options to Node (and given on Node
 * 20's command line, this flag let the young generation grow to 32 MiB all the same).
 */
export const V8_FLAGS = ['--semi-space-growth-factor=1']

/**
 * Load the bundle as Node would, but with the code cache the build wrote beside it, so V8
 * does not parse and compile half a megabyte of JavaScript on every run. The cache is only
 * read: a cache V8 rejects (another Node version) just costs the compile it would have saved.
 * The standalone executable (scripts/sea-main.js) passes the source and cache from inside itself.
 */
export function loadBundle({
  filename = BUNDLE,
  // The build writes the bundle in ASCII (scripts/bundle.js), where latin1 reads the same text as
  // UTF-8 at a third of the cost: Node checks every byte of a UTF-8 read.
  source = readFileSync(BUNDLE, 'latin1'),
  cachedData = existsSync(CODE_CACHE) ? readFileSync(CODE_CACHE) : undefined,
} = {}) {
  for (const flag of V8_FLAGS) v8.setFlagsFromString(flag)
  const script = new vm.Script(Module.wrap(source), {filename, cachedData})
  const module = registerEntry({}, filename)
  const require = Module.createRequire(filename)
  script.runInThisContext()(module.exports, require, module, filename, path.dirname(filename))
  registerEntry(module.exports, filename)
  return {cli: module.exports, script}
}

/**
 * Run the CLI. Every error ends as one line on stderr and exit 3 (UNKNOWN, in Nagios terms):
 * bad flags, malformed or missing input, an unknown command. PCP_HARDEN_DEBUG=1 adds the stack.
 * `root` is the folder holding package.json, the manifest, templates, sample and schema.
 */
export async function main({Errors, escapeControl, flush, run, COMMANDS}, root = ROOT) {
  const old = olderThanEngines(root)
  if (old) process.emitWarning(old)
  const commandIds = Object.keys(COMMANDS ?? {}).map((id) => id.replaceAll(':', ' '))
  try {
    // No user-installed plugins: a hardening tool runs only its own code (and reads no ~/.local).
    await run(process.argv.slice(2), {root, userPlugins: false})
    await flush()
  } catch (error) {
    if (error instanceof Errors.ExitError) {
      process.exitCode = error.oclif.exit
      return
    }
    // oclif's flag errors span lines ("The following error occurred:", the reason, "See more help"):
    // keep what says why, on one line.
    const lines = String(error?.message ?? error)
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l !== '' && l !== 'The following error occurred:' && !l.startsWith('See more help'))
    // The message may quote a file name, an argument or a file's content: none of it drives the terminal.
    process.stderr.write(
      `pcp-harden: error: ${escapeControl(notFound(lines[0] ?? '', commandIds) ?? (lines.join(' ') || 'failed'))}\n`,
    )
    if (process.env.PCP_HARDEN_DEBUG) process.stderr.write(`${error?.stack ?? ''}\n`)
    process.exitCode = 3
  }
}

/** Edit distance (insertions, deletions, substitutions) between two short strings. */
function distance(a, b) {
  let previous = Array.from({length: b.length + 1}, (_, i) => i)
  for (let i = 1; i <= a.length; i++) {
    const current = [i]
    for (let j = 1; j <= b.length; j++)
      current[j] = Math.min(
        previous[j] + 1,
        current[j - 1] + 1,
        previous[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1),
      )
    previous = current
  }
  return previous[b.length]
}

/**
 * The line for a mistyped command (oclif says "command verfy not found", or "Command cert:inti not
 * found." from help), with the closest command when one is close; undefined for other errors.
 */
export function notFound(message, ids) {
  const match = /^command (\S+) not found\.?$/i.exec(message)
  if (!match) return undefined
  const typed = match[1].replaceAll(':', ' ')
  const [best] = ids
    .map((id) => ({id, d: distance(typed, id)}))
    .sort((x, y) => x.d - y.d || (x.id < y.id ? -1 : 1))
  const close = best && best.d <= Math.max(2, Math.floor(typed.length / 3))
  return `command "${typed}" not found; ${close ? `did you mean "${best.id}"?` : '"pcp-harden help" lists the commands'}`
}

/**
 * Why this Node.js is older than package.json's engines field (`>=X[.Y[.Z]]`), or undefined: the
 * warning oclif gives, without loading semver on every run (the build removes oclif's own check).
 */
export function olderThanEngines(root, version = process.versions.node) {
  let wanted
  try {
    wanted = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')).engines?.node
  } catch {
    return undefined
  }
  const match = /^>=\s*(\d+)(?:\.(\d+))?(?:\.(\d+))?$/.exec(String(wanted ?? '').trim())
  if (!match) return undefined
  const need = match.slice(1).map((n) => Number(n ?? 0))
  const have = version.split('.').map((n) => Number.parseInt(n, 10) || 0)
  for (let i = 0; i < 3; i++) {
    if ((have[i] ?? 0) > (need[i] ?? 0)) return undefined
    if ((have[i] ?? 0) < (need[i] ?? 0))
      return `Node version must be ${wanted} to use this CLI. Current node version: ${version}`
  }
  return undefined
}
