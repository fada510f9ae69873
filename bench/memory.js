#!/usr/bin/env node
// Memory benchmark: the peak RSS of `pcp-harden verify --root R --format json` on roots built from
// the sample host (bench/roots.js), and how it grows with the input: per line of root's
// authorized_keys (10 against 100,000 lines; target: at most 0.5 KB a line) and per container
// config (10 against 2,000 configs; target: at most 2 KB a config). Each size runs BENCH_RUNS
// times (default 3) and the medians are compared. Run `npm run build` first.
import {spawnSync} from 'node:child_process'
import {rmSync} from 'node:fs'
import path from 'node:path'
import {fileURLToPath} from 'node:url'

import {buildRoot} from './roots.js'

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const runs = Number(process.env.BENCH_RUNS ?? 3)
const LINES = Number(process.env.BENCH_LINES ?? 100_000)
const CONTAINERS = Number(process.env.BENCH_CONTAINERS ?? 2000)

/** Peak RSS in KiB of one verify run of this root. */
function peakRss(root) {
  const result = spawnSync(
    process.execPath,
    [
      '--require',
      path.join(repo, 'bench/maxrss.cjs'),
      path.join(repo, 'bin/run.js'),
      'verify',
      '--root',
      root,
      '--format',
      'json',
    ],
    {stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 512 << 20, encoding: 'utf8'},
  )
  if (result.error) throw result.error
  const match = /maxrss (\d+)/.exec(result.stderr)
  if (!result.stdout.startsWith('{') || !match)
    throw new Error(
      `verify --root ${root} did not produce JSON (did you run npm run build?)\n${result.stderr}`,
    )
  return Number(match[1])
}

const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b)
  const mid = sorted.length >> 1
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2
}

const sizes = {base: [10, 10], lines: [10, LINES], containers: [CONTAINERS, 10]}
const roots = {}
try {
  for (const [name, [containers, lines]] of Object.entries(sizes)) roots[name] = buildRoot(containers, lines)
  const peaks = Object.fromEntries(Object.keys(roots).map((name) => [name, []]))
  for (let round = 0; round < runs; round++)
    for (const [name, root] of Object.entries(roots)) peaks[name].push(peakRss(root))
  const base = median(peaks.base)
  const mib = (kib) => `${(kib / 1024).toFixed(1)} MiB`
  console.log(`10 configs, 10 lines: peak RSS ${mib(base)} (median of ${runs})`)
  const perLine = ((median(peaks.lines) - base) * 1024) / (LINES - 10) / 1000
  console.log(
    `10 configs, ${LINES} lines: peak RSS ${mib(median(peaks.lines))}: ${perLine.toFixed(2)} KB per authorized_keys line (target <= 0.5)`,
  )
  const perConfig = ((median(peaks.containers) - base) * 1024) / (CONTAINERS - 10) / 1000
  console.log(
    `${CONTAINERS} configs, 10 lines: peak RSS ${mib(median(peaks.containers))}: ${perConfig.toFixed(2)} KB per container config (target <= 2)`,
  )
} finally {
  for (const root of Object.values(roots)) rmSync(root, {recursive: true, force: true})
}
