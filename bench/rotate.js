#!/usr/bin/env node
// `pcp-harden rotate-keys` across 20 loopback sshd nodes against its floor, measured alternately in
// one run so both see the same machine load. The floor is the two SSH connections each node needs
// (the admin's, then the proxy's key running the forced command), 8 nodes at a time as rotate-keys
// runs them, and nothing else: no implementation can do less. Target: rotate-keys on 20 nodes at
// most 1.2 times the floor, with OpenSSH's default key exchange. Prints both medians and the ratio.
// On loopback every node's sshd shares this machine's cores, and OpenSSH 9's default key exchange
// (sntrup761x25519) costs both ends far more CPU than the rest of a rotation, so the handshakes
// alone on 20 nodes cost several times one node's. The bench also runs with curve25519-sha256 only
// (--ssh-option KexAlgorithms=...), for information.
// Needs root (each node has its own /root in a private mount namespace) and the built CLI:
// `npm run build && node --import tsx bench/rotate.js` (tsx loads the test helper that starts
// the real sshd nodes).
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

  /** Run a program to its end; its exit code and output. */
  const run = (file, args) =>
    // Not spawnSync: the nodes' sshd log to pipes this process must keep reading, or they block.
    new Promise((resolve) =>
      execFile(file, args, {maxBuffer: 16 << 20}, (error, stdout, stderr) =>
        resolve({code: error ? error.code : 0, stdout, stderr}),
      ),
    )
  const timed = async (what) => {
    const start = process.hrtime.bigint()
    await what()
    return Number(process.hrtime.bigint() - start) / 1e6
  }

  /** A fresh proxy host and fresh authorized_keys on the nodes used; returns the root. */
  const prepare = (count) => {
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
    return root
  }

  /** One timed rotation on the first `count` nodes. */
  const rotateOn = async (count, extra) => {
    const root = prepare(count)
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
    let result
    const ms = await timed(async () => {
      result = await run(process.execPath, args)
    })
    if (result.code !== 0)
      throw new Error(
        `rotate-keys on ${count} node(s) exited ${result.code}\n${result.stdout}${result.stderr}`,
      )
    return ms
  }

  /** The floor on the first `count` nodes: per node, the admin's connection, then the proxy key's. */
  const floorOn = async (count, extra) => {
    prepare(count)
    const common = (node) => [
      '-F',
      'none',
      ...extra.filter((a) => a !== '--ssh-option').flatMap((option) => ['-o', option]),
      '-o',
      'BatchMode=yes',
      '-o',
      'StrictHostKeyChecking=yes',
      '-o',
      `UserKnownHostsFile=${knownHosts}`,
      '-p',
      String(node.port),
      '-l',
      'root',
      '--',
      node.address,
    ]
    const connect = async (node, identity, command) => {
      const result = await run('ssh', ['-i', identity, '-o', 'IdentitiesOnly=yes', ...common(node), command])
      if (result.code !== 0)
        throw new Error(`floor: ssh to ${node.target} exited ${result.code}: ${result.stderr}`)
    }
    const queue = nodes.slice(0, count)
    return timed(() =>
      Promise.all(
        Array.from({length: Math.min(8, count)}, async () => {
          for (let node = queue.shift(); node; node = queue.shift()) {
            await connect(node, admin.path, 'true')
            await connect(node, proxyKey.path, 'sensors -j')
          }
        }),
      ),
    )
  }

  const median = (values) => {
    const sorted = [...values].sort((a, b) => a - b)
    const mid = sorted.length >> 1
    return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2
  }
  const variants = [
    ['default key exchange', [], 1.2],
    ['curve25519-sha256 only', ['--ssh-option', 'KexAlgorithms=curve25519-sha256']],
  ]
  for (const [name, extra, target] of variants) {
    const samples = {many: [], floor: []}
    const measures = {
      many: [`rotate-keys, ${NODES} nodes`, () => rotateOn(NODES, extra)],
      floor: [`floor, ${NODES} nodes`, () => floorOn(NODES, extra)],
    }
    for (let i = 0; i < warmup + runs; i++) {
      const order = i % 2 ? ['many', 'floor'] : ['floor', 'many']
      for (const which of order) {
        const [label, measure] = measures[which]
        const ms = await measure()
        process.stderr.write(`  ${name}, ${label}: ${ms.toFixed(0)} ms\n`)
        if (i >= warmup) samples[which].push(ms)
      }
    }
    const many = median(samples.many)
    const floor = median(samples.floor)
    console.log(`${name}:`)
    console.log(`  rotate-keys on ${NODES} nodes: median ${many.toFixed(0)} ms (${runs} runs)`)
    console.log(
      `  floor on ${NODES} nodes (2 connections a node): median ${floor.toFixed(0)} ms (${runs} runs)`,
    )
    console.log(
      `  ratio ${(many / floor).toFixed(2)}${target === undefined ? ' (for information)' : ` (target <= ${target})`}`,
    )
  }
} finally {
  await Promise.all(nodes.map((n) => n.stop()))
  rmSync(dir, {recursive: true, force: true})
}
