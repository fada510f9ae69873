#!/usr/bin/env node
// Start-up benchmark: the median wall time of `pcp-harden verify --sample --format json`
// against `node -e 0`, run alternately in one run so both see the same machine load, twice:
// idle (target: ratio at most 2.2), then while another process keeps one core busy (the bench
// starts it: a node spinning; target: at most 2.5). Run `npm run build` first.
//
// Both commands run in this process's environment. Where NODE_EXTRA_CA_CERTS is set (some CI
// sandboxes set it to the system bundle), every node process, `node -e 0` included, parses each
// certificate of that file before it runs any JavaScript: on Debian's bundle about 400 million
// instructions, several times node's own start. That makes both medians longer and the ratio
// smaller than a user sees, so the bench then also measures both without it, for information.
import {spawn, spawnSync} from 'node:child_process'
import path from 'node:path'
import {fileURLToPath} from 'node:url'

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const runs = Number(process.env.BENCH_RUNS ?? 30)
const warmup = 3

const commands = {
  node: [process.execPath, ['-e', '0']],
  verify: [process.execPath, [path.join(repo, 'bin/run.js'), 'verify', '--sample', '--format', 'json']],
}

function time([file, args], env) {
  const start = process.hrtime.bigint()
  const result = spawnSync(file, args, {stdio: ['ignore', 'pipe', 'pipe'], env})
  const ms = Number(process.hrtime.bigint() - start) / 1e6
  if (result.error) throw result.error
  return ms
}

const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b)
  const mid = sorted.length >> 1
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2
}

const check = spawnSync(...commands.verify, {encoding: 'utf8'})
if (!check.stdout.startsWith('{')) {
  console.error(`bench: verify did not produce JSON (did you run npm run build?)\n${check.stderr}`)
  process.exit(1)
}

function measure(env = process.env) {
  const samples = {node: [], verify: []}
  for (let i = 0; i < warmup + runs; i++) {
    for (const name of i % 2 ? ['node', 'verify'] : ['verify', 'node']) {
      const ms = time(commands[name], env)
      if (i >= warmup) samples[name].push(ms)
    }
  }
  return {node: median(samples.node), verify: median(samples.verify)}
}

function print(label, {node, verify}, target) {
  console.log(
    `${label}: node -e 0 median ${node.toFixed(1)} ms, verify --sample --format json median ${verify.toFixed(1)} ms (${runs} runs each)`,
  )
  console.log(`${label}: ratio ${(verify / node).toFixed(2)}${target ? ` (target <= ${target})` : ''}`)
}

const {NODE_EXTRA_CA_CERTS: extraCerts, ...withoutExtraCerts} = process.env
const extra = extraCerts ? ' (NODE_EXTRA_CA_CERTS set)' : ''
print(`idle${extra}`, measure(), 2.2)
const spinner = spawn(process.execPath, ['-e', 'for (;;) {}'], {stdio: 'ignore'})
try {
  print(`one core busy${extra}`, measure(), 2.5)
  if (extraCerts) print('one core busy, without NODE_EXTRA_CA_CERTS', measure(withoutExtraCerts))
} finally {
  spinner.kill('SIGKILL')
}
if (extraCerts) print('idle, without NODE_EXTRA_CA_CERTS', measure(withoutExtraCerts))
