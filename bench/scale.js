#!/usr/bin/env node
// Scale benchmark: `pcp-harden verify --root R --format json` on roots built from the sample host
// (sample/host.yaml) with more and more container configs (/etc/pve/lxc/*.conf) and lines in
// root's authorized_keys, against `verify --sample`. Every command runs in turn, round after
// round, so all see the same machine load; the medians give:
// - for each dimension, the cost per config (per line) of the large step against that of the
//   small step: about 1 when the time grows linearly, about 10 (100 for lines) when it grows with
//   the square (a step whose time is within measurement noise is reported as such);
// - the 1,000-container, 10,000-line root against the sample host (target: at most 3).
// The roots are temporary directories, removed at the end. Run `npm run build` first.
import {spawnSync} from 'node:child_process'
import {rmSync} from 'node:fs'
import path from 'node:path'
import {fileURLToPath} from 'node:url'

import {buildRoot} from './roots.js'

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const runs = Number(process.env.BENCH_RUNS ?? 7)
const warmup = 1
/** The least spread between runs that counts as noise, however steady the machine. */
const MIN_NOISE_MS = 5

function time(args) {
  const start = process.hrtime.bigint()
  const result = spawnSync(process.execPath, [path.join(repo, 'bin/run.js'), ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    maxBuffer: 256 << 20,
  })
  const ms = Number(process.hrtime.bigint() - start) / 1e6
  if (result.error) throw result.error
  if (!result.stdout.toString().startsWith('{'))
    throw new Error(
      `verify ${args.join(' ')} did not produce JSON (did you run npm run build?)\n${result.stderr}`,
    )
  return ms
}

const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b)
  const mid = sorted.length >> 1
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2
}

const SIZES = {
  base: [10, 10],
  c100: [100, 10],
  c1000: [1000, 10],
  k100: [10, 100],
  k10000: [10, 10000],
  large: [1000, 10000],
}
const roots = {}
try {
  for (const [name, [containers, lines]] of Object.entries(SIZES)) roots[name] = buildRoot(containers, lines)
  const commands = {
    sample: ['verify', '--sample', '--format', 'json'],
    ...Object.fromEntries(
      Object.entries(roots).map(([n, r]) => [n, ['verify', '--root', r, '--format', 'json']]),
    ),
  }
  const names = Object.keys(commands)
  const samples = Object.fromEntries(names.map((n) => [n, []]))
  for (let round = 0; round < warmup + runs; round++) {
    // Rotate the order each round, so no command always runs after the same one.
    const order = names.map((_, i) => names[(i + round) % names.length])
    for (const name of order) {
      const ms = time(commands[name])
      if (round >= warmup) samples[name].push(ms)
    }
  }
  const t = Object.fromEntries(names.map((n) => [n, median(samples[n])]))
  // A step smaller than the interquartile range of the base root's runs is within the noise.
  const sorted = [...samples.base].sort((a, b) => a - b)
  const noise = Math.max(
    MIN_NOISE_MS,
    sorted[Math.floor((sorted.length * 3) / 4)] - sorted[Math.floor(sorted.length / 4)],
  )
  for (const n of names) {
    const label = n === 'sample' ? 'verify --sample' : `${SIZES[n][0]} containers, ${SIZES[n][1]} key lines`
    console.log(`${label.padEnd(36)} median ${t[n].toFixed(1)} ms (${runs} runs)`)
  }

  /** Cost per unit of the large step against the small step: ~1 linear, ~10 or ~100 quadratic. */
  const slopeRatio = (what, base, small, large, smallN, largeN) => {
    const smallStep = t[small] - t[base]
    const largeStep = t[large] - t[base]
    const perUnit = (largeStep / (largeN - 10)).toFixed(3)
    if (smallStep < noise)
      console.log(
        `${what}: 10 -> ${smallN} is within noise (${smallStep.toFixed(1)} ms, noise ${noise.toFixed(1)} ms); 10 -> ${largeN} costs ` +
          `${largeStep.toFixed(1)} ms, ${perUnit} ms per ${what.replace(/s$/, '')} (${(t[large] / t[base]).toFixed(2)}x the time for ${(largeN / 10) | 0}x the size)`,
      )
    else
      console.log(
        `${what}: 10 -> ${smallN} costs ${smallStep.toFixed(1)} ms, 10 -> ${largeN} ${largeStep.toFixed(1)} ms; ` +
          `cost per unit of the large step / the small step: ` +
          `${(largeStep / (largeN - 10) / (smallStep / (smallN - 10))).toFixed(2)} (linear: about 1 or less)`,
      )
  }
  slopeRatio('container configs', 'base', 'c100', 'c1000', 100, 1000)
  slopeRatio('authorized_keys lines', 'base', 'k100', 'k10000', 100, 10000)
  console.log(
    `1,000 containers + 10,000 lines / verify --sample: ${(t.large / t.sample).toFixed(2)} (target <= 3)`,
  )
} finally {
  for (const root of Object.values(roots)) rmSync(root, {recursive: true, force: true})
}
