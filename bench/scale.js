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
import {execFileSync, spawnSync} from 'node:child_process'
import {Buffer} from 'node:buffer'
import {randomBytes} from 'node:crypto'
import {
  chmodSync,
  lchownSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs'
import {tmpdir} from 'node:os'
import path from 'node:path'
import {fileURLToPath} from 'node:url'

import {parse as parseYaml} from 'yaml'

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const runs = Number(process.env.BENCH_RUNS ?? 7)
const warmup = 1
/** The least spread between runs that counts as noise, however steady the machine. */
const MIN_NOISE_MS = 5

const sample = parseYaml(readFileSync(path.join(repo, 'sample/host.yaml'), 'utf8')).entries

/** Ids of the sample's user and group names, from its own passwd and group. */
function idsOf(name) {
  const file = sample.find((e) => e.path === `/etc/${name}`)?.content ?? ''
  return new Map(
    file
      .split('\n')
      .filter(Boolean)
      .map((l) => [l.split(':')[0], Number(l.split(':')[2])]),
  )
}
const users = idsOf('passwd')
const groups = idsOf('group')
const asRoot = process.getuid?.() === 0

/** Write one tree entry (the sample's format) under a root directory. */
function writeEntry(root, entry) {
  const local = path.join(root, entry.path)
  mkdirSync(path.dirname(local), {recursive: true})
  const type = entry.type ?? (entry.target === undefined ? 'file' : 'symlink')
  if (type === 'dir') mkdirSync(local, {recursive: true})
  else if (type === 'symlink') symlinkSync(entry.target, local)
  else if (type === 'socket')
    execFileSync('python3', [
      '-c',
      'import socket,sys; socket.socket(socket.AF_UNIX).bind(sys.argv[1])',
      local,
    ])
  else writeFileSync(local, entry.content ?? '')
  const owner = entry.owner ?? 'root'
  const group = entry.group ?? owner
  const id = (db, name) => db.get(name) ?? (/^\d+$/.test(name) ? Number(name) : 0)
  if (asRoot) lchownSync(local, id(users, owner), id(groups, group))
  if (type !== 'symlink' && entry.mode !== undefined) chmodSync(local, Number.parseInt(String(entry.mode), 8))
}

/** An OpenSSH public key blob for ed25519 (string "ssh-ed25519", string of 32 bytes), base64. */
function ed25519Blob() {
  const field = (bytes) => {
    const length = Buffer.alloc(4)
    length.writeUInt32BE(bytes.length)
    return Buffer.concat([length, bytes])
  }
  return Buffer.concat([field(Buffer.from('ssh-ed25519')), field(randomBytes(32))]).toString('base64')
}

const PROXY_KEY = sample
  .find((e) => e.path === '/var/lib/pulse-sensor-proxy/ssh/id_ed25519.pub')
  .content.trim()
  .split(/\s+/)
  .slice(0, 2)
  .join(' ')
const RESTRICT = 'no-port-forwarding,no-X11-forwarding,no-agent-forwarding,no-pty'

/** Root's authorized_keys of a cluster node: admins' and automation keys, and the proxy's lines. */
function authorizedKeys(lines) {
  const out = [
    `from="10.1.10.0/24",command="sensors -j",${RESTRICT} ${PROXY_KEY} pulse-sensor-proxy`,
    `command="/opt/pulse/sensor-proxy/bin/wrapper",${RESTRICT} ${PROXY_KEY} pulse-sensor-proxy # pulse-managed-key`,
  ]
  for (let i = out.length; i < lines; i++) {
    const key = `ssh-ed25519 ${ed25519Blob()}`
    if (i % 10 === 0) out.push(`from="10.${i % 250}.0.0/16",no-pty ${key} backup-${i}@pve`)
    else if (i % 7 === 0) out.push(`restrict,command="rsync --server" ${key} sync-${i}`)
    else out.push(`${key} admin${i}@workstation`)
  }
  return out.slice(0, lines).join('\n') + '\n'
}

/** A container config as PVE writes them; every fifth has a snapshot, every seventh raw lxc keys. */
function containerConfig(id) {
  const main = [
    'arch: amd64',
    `cores: ${1 + (id % 4)}`,
    `hostname: ct${id}`,
    `memory: ${512 * (1 + (id % 8))}`,
    ...(id % 3 === 0 ? [`mp0: /srv/share${id % 20},mp=/data`] : []),
    `net0: name=eth0,bridge=vmbr0,firewall=1,hwaddr=BC:24:11:${(id % 256).toString(16).padStart(2, '0')}:00:01,ip=dhcp,type=veth`,
    'ostype: debian',
    ...(id % 5 === 0 ? ['parent: before-upgrade'] : []),
    `rootfs: local-lvm:vm-${id}-disk-0,size=8G`,
    'unprivileged: 1',
    ...(id % 7 === 0
      ? ['lxc.cgroup2.devices.allow: c 10:200 rwm', 'lxc.mount.entry: /dev/net dev/net none bind,create=dir']
      : []),
  ]
  const snapshot =
    id % 5 === 0
      ? [
          '',
          '[before-upgrade]',
          'arch: amd64',
          `hostname: ct${id}`,
          `rootfs: local-lvm:vm-${id}-disk-0,size=8G`,
          'snaptime: 1750000000',
          'unprivileged: 1',
        ]
      : []
  return `#ct ${id}\n${[...main, ...snapshot].join('\n')}\n`
}

/** The sample host with this many extra container configs and authorized_keys lines, on disk. */
function buildRoot(containers, lines) {
  const root = mkdtempSync(path.join(tmpdir(), `pcp-harden-scale-${containers}-${lines}-`))
  for (const entry of sample) writeEntry(root, entry)
  writeEntry(root, {path: '/root', type: 'dir', mode: '0700'})
  writeEntry(root, {path: '/root/.ssh', type: 'dir', mode: '0700'})
  writeEntry(root, {path: '/root/.ssh/authorized_keys', mode: '0600', content: authorizedKeys(lines)})
  for (let i = 0; i < containers; i++)
    writeEntry(root, {
      path: `/etc/pve/lxc/${1000 + i}.conf`,
      mode: '0640',
      content: containerConfig(1000 + i),
    })
  return root
}

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
