#!/usr/bin/env node
// Memory benchmark: the peak RSS of `pcp-harden verify --root R --format json` on roots built from
// the sample host (bench/roots.js), and how it grows with the input: per line of root's
// authorized_keys (10 against 100,000 lines; target: at most 0.5 KB a line) and per container
// config (10 against 2,000 configs; target: at most 2 KB a config).
//
// Every size runs once a round, BENCH_RUNS rounds (default 5), so all see the same machine. A
// figure is the median of the rounds, with the least and the most of them beside it: each round's
// growth is its own large size against its own 10/10 run. For information, the marginal growth
// between two large sizes (2,000 -> 8,000 configs, 100,000 -> 150,000 lines; the larger file stays
// under the 16 MiB pcp-harden reads) is printed too: what a further config or line costs once the
// one-time costs of a large input (V8 optimising the hot functions, the heap's first sizes) are paid.
// Run `npm run build` first.
import {spawnSync} from 'node:child_process'
import {rmSync, statSync} from 'node:fs'
import path from 'node:path'
import {fileURLToPath} from 'node:url'

import {READ_LIMIT} from '../dist/parsers/limits.js'
import {buildRoot} from './roots.js'

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const runs = Number(process.env.BENCH_RUNS ?? 5)
const LINES = Number(process.env.BENCH_LINES ?? 100_000)
const MORE_LINES = Number(process.env.BENCH_MORE_LINES ?? 150_000)
const CONTAINERS = Number(process.env.BENCH_CONTAINERS ?? 2000)
const MORE_CONTAINERS = Number(process.env.BENCH_MORE_CONTAINERS ?? 8000)

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

/** `4.21 KB (3.90 to 4.60)`: the median of some figures, and their least and most. */
const spread = (values, digits = 2, unit = 'KB') =>
  `${median(values).toFixed(digits)} ${unit} (${Math.min(...values).toFixed(digits)} to ${Math.max(...values).toFixed(digits)})`

/** [containers, lines] of each root. */
const sizes = {
  base: [10, 10],
  lines: [10, LINES],
  moreLines: [10, MORE_LINES],
  containers: [CONTAINERS, 10],
  moreContainers: [MORE_CONTAINERS, 10],
}
const roots = {}
try {
  for (const [name, [containers, lines]] of Object.entries(sizes)) roots[name] = buildRoot(containers, lines)
  const keys = statSync(path.join(roots.moreLines, 'root/.ssh/authorized_keys')).size
  if (keys > READ_LIMIT)
    throw new Error(`${MORE_LINES} lines make a ${keys}-byte authorized_keys, more than pcp-harden reads`)
  const peaks = Object.fromEntries(Object.keys(roots).map((name) => [name, []]))
  for (let round = 0; round < runs; round++)
    for (const [name, root] of Object.entries(roots)) peaks[name].push(peakRss(root))

  /** KB (1,000 bytes) of peak per unit between two sizes, one figure a round. */
  const growth = (from, to, units) =>
    peaks[to].map((peak, i) => ((peak - peaks[from][i]) * 1024) / units / 1000)
  const mib = (name) =>
    spread(
      peaks[name].map((kib) => kib / 1024),
      1,
      'MiB',
    )

  console.log(`peak RSS, median of ${runs} rounds (least to most):`)
  console.log(`10 configs, 10 lines: ${mib('base')}`)
  console.log(
    `10 configs, ${LINES} lines: ${mib('lines')}: ${spread(growth('base', 'lines', LINES - 10))} per authorized_keys line (target <= 0.5)`,
  )
  console.log(
    `${CONTAINERS} configs, 10 lines: ${mib('containers')}: ${spread(growth('base', 'containers', CONTAINERS - 10))} per container config (target <= 2)`,
  )
  console.log(
    `for information, 10 configs, ${MORE_LINES} lines: ${mib('moreLines')}: ${spread(growth('lines', 'moreLines', MORE_LINES - LINES))} per line from ${LINES} to ${MORE_LINES}`,
  )
  console.log(
    `for information, ${MORE_CONTAINERS} configs, 10 lines: ${mib('moreContainers')}: ${spread(growth('containers', 'moreContainers', MORE_CONTAINERS - CONTAINERS))} per config from ${CONTAINERS} to ${MORE_CONTAINERS}`,
  )
} finally {
  for (const root of Object.values(roots)) rmSync(root, {recursive: true, force: true})
}
