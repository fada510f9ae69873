#!/usr/bin/env node
// Conformance over a directory of real-world configuration files (CI passes ../shared/corpus when it
// exists): every file is linted by the command for its kind, and the run fails on a parser error
// (exit 3, UNKNOWN) or on anything that escaped as an exception (a stack trace on stderr).
// Findings are not failures: real-world files are allowed to be weak.
//
//   npm run conformance -- DIR
//
// The kind of a file is told by the directory it is in and its name:
//   lxc/*.conf                 lxc lint FILE
//   authorized_keys/*          keys lint FILE
//   pmcd/*pmcd.conf            access lint FILE
//   pmcd/*pmproxy.conf         verify --root TREE (the file as /etc/pcp/pmproxy/pmproxy.conf)
import {execFileSync} from 'node:child_process'
import {mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync, readFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import path from 'node:path'
import {fileURLToPath} from 'node:url'

const BIN = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'bin', 'run.js')
const dir = process.argv[2]
if (!dir) {
  console.error('usage: npm run conformance -- DIR')
  process.exit(3)
}

/** Every regular file below dir, with its path relative to dir. */
function walk(base, rel = '') {
  return readdirSync(path.join(base, rel)).flatMap((name) => {
    const child = path.join(rel, name)
    const st = statSync(path.join(base, child))
    if (st.isDirectory()) return walk(base, child)
    return st.isFile() && name !== 'README.md' ? [child] : []
  })
}

/** The command line that lints one file, and a tree to remove afterwards, or undefined for an unknown kind. */
function plan(rel, file) {
  const [kind] = rel.split(path.sep)
  const name = path.basename(rel)
  if (kind === 'lxc' && name.endsWith('.conf')) return {argv: ['lxc', 'lint', file, '--format', 'json']}
  if (kind === 'authorized_keys') return {argv: ['keys', 'lint', file, '--format', 'json']}
  if (kind === 'pmcd' && name.endsWith('pmcd.conf'))
    return {argv: ['access', 'lint', file, '--format', 'json']}
  if (kind === 'pmcd' && name.endsWith('pmproxy.conf')) {
    const tree = mkdtempSync(path.join(tmpdir(), 'pcp-harden-conformance-'))
    mkdirSync(path.join(tree, 'etc/pcp/pmproxy'), {recursive: true})
    writeFileSync(path.join(tree, 'etc/pcp/pmproxy/pmproxy.conf'), readFileSync(file))
    return {argv: ['verify', '--root', tree, '--profile', 'pcp-collector', '--format', 'json'], tree}
  }
  return undefined
}

let failed = 0
let checked = 0
for (const rel of walk(dir).sort()) {
  const file = path.resolve(dir, rel)
  const step = plan(rel, file)
  if (!step) {
    console.log(`skip  ${rel}: no linter for this kind of file`)
    continue
  }
  checked++
  let code = 0
  let stderr = ''
  let stdout = ''
  try {
    stdout = execFileSync(process.execPath, [BIN, ...step.argv], {
      encoding: 'utf8',
      stdio: 'pipe',
      timeout: 60_000,
    })
  } catch (error) {
    code = error.status ?? -1
    stderr = String(error.stderr ?? '')
    stdout = String(error.stdout ?? '')
  } finally {
    if (step.tree) rmSync(step.tree, {recursive: true, force: true})
  }
  const escaped =
    /^\s+at .+\(.+:\d+:\d+\)$/m.test(stderr) || /\b(TypeError|RangeError|ReferenceError)\b/.test(stderr)
  let wellFormed = true
  try {
    JSON.parse(stdout)
  } catch {
    wellFormed = false
  }
  const ok = code >= 0 && code <= 2 && !escaped && wellFormed
  if (!ok) failed++
  const why = escaped
    ? 'an exception escaped'
    : !wellFormed
      ? 'no JSON report'
      : code === 3
        ? 'UNKNOWN (parser error)'
        : ''
  console.log(`${ok ? 'ok   ' : 'FAIL '} ${rel}: exit ${code}${why ? `, ${why}` : ''}`)
  if (!ok && stderr) console.log(stderr.trim().replace(/^/gm, '      '))
}
console.log(`${checked} files linted, ${failed} failures`)
process.exit(failed > 0 ? 1 : 0)
