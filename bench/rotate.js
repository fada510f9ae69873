#!/usr/bin/env node
// `pcp-harden rotate-keys` across 20 loopback sshd nodes against the same rotation on 1 node,
// run alternately in one run so both see the same machine load. Prints the medians and the ratio
// (target: at most 3). On loopback every node's sshd shares this machine's cores, which a real
// cluster's nodes do not, and OpenSSH 9's default key exchange (sntrup761x25519) costs both ends
// far more CPU than the rest of a rotation: the bench also runs with curve25519-sha256 only
// (--ssh-option KexAlgorithms=...) to show the tool's own scaling. Needs root (each node has its own /root in a private mount namespace) and
// the built CLI: `npm run build && node --import tsx bench/rotate.js` (tsx loads the test
// helper that starts the real sshd nodes).
import {execFile} from 'node:child_process'
import {chownSync, cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import path from 'node:path'
import {fileURLToPath} from 'node:url'

import {makeSshKey, startSshNode} from '../test/helpers/sshd.ts'

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const runs = Number(process.env.BENCH_RUNS ?? 5)
const warmup = 1
const NODES = 20
const KEY_DIR = 'var/lib/pulse-sensor-proxy'

const dir = mkdtempSync(path.join(tmpdir(), 'pcp-harden-bench-rotate-'))
const nodes = []
try {
  const admin = await makeSshKey(dir, 'admin')
  const template = path.join(dir, 'template')
  const proxyKey = await makeSshKey(
    path.join(template, KEY_DIR, 'ssh'),
    'id_ed25519',
    'ed25519',
    'pulse-sensor-proxy',
  )
  mkdirSync(path.join(template, 'etc/pulse-sensor-proxy'), {recursive: true})
  writeFileSync(
    path.join(template, 'etc/pulse-sensor-proxy/config.yaml'),
    'allowed_source_subnets: [127.0.0.0/8]\n',
  )
  const sensors = path.join(dir, 'sensors')
  writeFileSync(sensors, `#!/bin/sh\necho '{"coretemp-isa-0000":{"Package id 0":{"temp1_input":42.0}}}'\n`, {
    mode: 0o755,
  })
  for (let i = 0; i < NODES; i++) nodes.push(await startSshNode({address: `127.0.0.${i + 2}`}))
  const knownHosts = path.join(dir, 'known_hosts')
  writeFileSync(knownHosts, nodes.map((n) => readFileSync(n.knownHosts, 'utf8')).join(''))

  /** A fresh proxy host and fresh authorized_keys on the nodes used, then one timed rotation. */
  const rotateOn = async (count, extra) => {
    const root = path.join(dir, 'root')
    rmSync(root, {recursive: true, force: true})
    cpSync(template, root, {recursive: true})
    chownSync(path.join(root, KEY_DIR, 'ssh/id_ed25519'), 4242, 4242)
    const [type, data] = proxyKey.publicLine.split(' ')
    for (const node of nodes.slice(0, count))
      writeFileSync(
        node.authorizedKeys,
        `${admin.publicLine}\ncommand="${sensors}",no-pty ${type} ${data} pulse-sensor-proxy\n`,
        {mode: 0o600},
      )
    const args = [
      path.join(repo, 'bin/run.js'),
      'rotate-keys',
      '--root',
      root,
      '--format',
      'json',
      '--nodes',
      nodes
        .slice(0, count)
        .map((n) => n.target)
        .join(','),
      '--identity',
      admin.path,
      '--known-hosts',
      knownHosts,
      '--forced-command',
      sensors,
      ...extra,
    ]
    const start = process.hrtime.bigint()
    // Not spawnSync: the nodes' sshd log to pipes this process must keep reading, or they block.
    const run = await new Promise((resolve) =>
      execFile(process.execPath, args, {maxBuffer: 16 << 20}, (error, stdout, stderr) =>
        resolve({code: error ? error.code : 0, stdout, stderr}),
      ),
    )
    const ms = Number(process.hrtime.bigint() - start) / 1e6
    if (run.code !== 0)
      throw new Error(`rotate-keys on ${count} node(s) exited ${run.code}\n${run.stdout}${run.stderr}`)
    return ms
  }

  const median = (values) => {
    const sorted = [...values].sort((a, b) => a - b)
    const mid = sorted.length >> 1
    return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2
  }
  const variants = [
    ['default key exchange', []],
    ['curve25519-sha256 only', ['--ssh-option', 'KexAlgorithms=curve25519-sha256']],
  ]
  for (const [name, extra] of variants) {
    const samples = {1: [], [NODES]: []}
    for (let i = 0; i < warmup + runs; i++) {
      for (const count of i % 2 ? [1, NODES] : [NODES, 1]) {
        const ms = await rotateOn(count, extra)
        process.stderr.write(`  ${name}, ${count} node(s): ${ms.toFixed(0)} ms\n`)
        if (i >= warmup) samples[count].push(ms)
      }
    }
    const one = median(samples[1])
    const many = median(samples[NODES])
    console.log(`${name}:`)
    console.log(`  rotate-keys on 1 node    median ${one.toFixed(0)} ms (${runs} runs)`)
    console.log(`  rotate-keys on ${NODES} nodes  median ${many.toFixed(0)} ms (${runs} runs)`)
    console.log(`  ratio ${(many / one).toFixed(2)} (target <= 3)`)
  }
} finally {
  await Promise.all(nodes.map((n) => n.stop()))
  rmSync(dir, {recursive: true, force: true})
}
