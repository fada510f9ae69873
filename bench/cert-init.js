#!/usr/bin/env node
// `pcp-harden cert init` against seed 001's openssl command sequence ("15.4 Collector Setup":
// openssl.cnf, a CA, a server and a client certificate, RSA 2048 keys as openssl genrsa makes
// by default), each into a fresh temporary directory, run alternately in one run so both see the
// same machine load. Prints the medians and the ratio (target: at most 1.5). Run `npm run build` first.
import {spawnSync} from 'node:child_process'
import {existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import path from 'node:path'
import {fileURLToPath} from 'node:url'

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const runs = Number(process.env.BENCH_RUNS ?? 15)
const warmup = 2
const FILES = ['ca.crt', 'ca.key', 'server.crt', 'server.key', 'client.crt', 'client.key']

/** Seed 001's commands as written there, with /etc/pcp/tls as "$D" (and its chown when pcp exists). */
const SEED_001 = `
set -e
mkdir -p "$D"
cat > "$D/openssl.cnf" << _END_
[ server_cert ]
keyUsage = digitalSignature, keyEncipherment
nsCertType = server
[ client_cert ]
keyUsage = digitalSignature, keyEncipherment
nsCertType = client
_END_
openssl genrsa -out "$D/ca.key" 2>/dev/null
openssl req \\
    -x509 -new -nodes -sha256 -days 3650 -key "$D/ca.key" \\
    -subj '/O=PCP Authority/CN=Certificate Authority' \\
    -out "$D/ca.crt"
openssl genrsa -out "$D/server.key" 2048 2>/dev/null
openssl req \\
    -new -sha256 -subj '/O=PCP Authority/CN=PCP Collector' \\
    -key "$D/server.key" | \\
    openssl x509 \\
        -req -sha256 -days 365 \\
        -CA "$D/ca.crt" \\
        -CAkey "$D/ca.key" \\
        -extfile "$D/openssl.cnf" -extensions server_cert \\
        -out "$D/server.crt" 2>/dev/null
openssl genrsa -out "$D/client.key" 2048 2>/dev/null
openssl req \\
    -new -sha256 -subj '/O=PCP Authority/CN=PCP Monitor' \\
    -key "$D/client.key" | \\
    openssl x509 \\
        -req -sha256 -days 365 \\
        -CA "$D/ca.crt" \\
        -CAkey "$D/ca.key" \\
        -extfile "$D/openssl.cnf" -extensions client_cert \\
        -out "$D/client.crt" 2>/dev/null
if [ "$CHOWN" = 1 ]; then chown -R pcp:pcp "$D"; fi
`

const hasPcp = process.getuid?.() === 0 && spawnSync('id', ['pcp'], {stdio: 'ignore'}).status === 0
const scratch = mkdtempSync(path.join(tmpdir(), 'pcp-harden-bench-'))
let serial = 0

/** A fresh root with the accounts cert init resolves (pcp) and /etc/pcp. */
function freshRoot() {
  const root = path.join(scratch, `root-${serial++}`)
  mkdirSync(path.join(root, 'etc/pcp'), {recursive: true})
  writeFileSync(
    path.join(root, 'etc/passwd'),
    'root:x:0:0:root:/root:/bin/bash\npcp:x:998:998:Performance Co-Pilot:/var/lib/pcp:/usr/sbin/nologin\n',
  )
  writeFileSync(path.join(root, 'etc/group'), 'root:x:0:\npcp:x:998:\n')
  return root
}

const tools = {
  'pcp-harden cert init': () => {
    const root = freshRoot()
    const argv = [path.join(repo, 'bin/run.js'), 'cert', 'init', '--root', root, '--san', 'pcp1.example.com']
    return {dir: path.join(root, 'etc/pcp/tls'), command: [process.execPath, argv], env: process.env}
  },
  'seed 001 openssl commands': () => {
    const dir = path.join(freshRoot(), 'etc/pcp/tls')
    return {dir, command: ['sh', ['-c', SEED_001]], env: {...process.env, D: dir, CHOWN: hasPcp ? '1' : '0'}}
  },
}

/** Milliseconds for one run into a fresh directory; every file must be there afterwards. */
function time(name) {
  const {dir, command, env} = tools[name]()
  const start = process.hrtime.bigint()
  const result = spawnSync(command[0], command[1], {stdio: ['ignore', 'ignore', 'pipe'], env})
  const ms = Number(process.hrtime.bigint() - start) / 1e6
  if (result.error) throw result.error
  const missing = FILES.filter((f) => !existsSync(path.join(dir, f)))
  if (result.status !== 0 || missing.length > 0) {
    console.error(`bench: ${name} failed (exit ${result.status}; missing ${missing.join(', ') || 'nothing'})`)
    console.error(String(result.stderr))
    console.error('(did you run npm run build?)')
    process.exit(1)
  }
  return ms
}

const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b)
  const mid = sorted.length >> 1
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2
}

const names = Object.keys(tools)
const samples = Object.fromEntries(names.map((n) => [n, []]))
try {
  for (let i = 0; i < warmup + runs; i++) {
    for (const name of i % 2 ? [...names].reverse() : names) {
      const ms = time(name)
      if (i >= warmup) samples[name].push(ms)
    }
  }
} finally {
  rmSync(scratch, {recursive: true, force: true})
}

const ours = median(samples[names[0]])
const theirs = median(samples[names[1]])
const width = Math.max(...names.map((n) => n.length))
console.log(`${names[0].padEnd(width)}  median ${ours.toFixed(1)} ms (${runs} runs)`)
console.log(`${names[1].padEnd(width)}  median ${theirs.toFixed(1)} ms (${runs} runs)`)
console.log(`ratio ${(ours / theirs).toFixed(2)} (target <= 1.5)`)
