// Test hosts on disk for the benchmarks (bench/scale.js, bench/memory.js): the sample host
// (sample/host.yaml) with extra container configs (/etc/pve/lxc/*.conf) and lines in root's
// authorized_keys. The caller removes the roots.
import {execFileSync} from 'node:child_process'
import {Buffer} from 'node:buffer'
import {randomBytes} from 'node:crypto'
import {
  chmodSync,
  lchownSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs'
import {tmpdir} from 'node:os'
import path from 'node:path'
import {fileURLToPath} from 'node:url'

import {parse as parseYaml} from 'yaml'

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')

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
export function buildRoot(containers, lines) {
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
