import {mkdir, mkdtemp, readFile, rm, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import path from 'node:path'

import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {cli} from '../cli/run-cli.js'
import {freePortOnAll, makeSshKey, type SshKey, type SshNode, startSshNode} from '../helpers/sshd.js'
import {buildTree, removeTree} from '../helpers/tree.js'

/**
 * verify --cluster against real sshd nodes: a Proxmox node's --root tree names the cluster's
 * members (corosync.conf's nodelist, or /etc/pve/.members) by address, as a real cluster does, with
 * no port: each member is an sshd on its own loopback address, all on one port, which the admin's
 * ssh is given once (--ssh-option Port=N). Each member's results must be a local `verify --root`
 * of its own file system (/proc/PID/root of its sshd, whose /etc/pcp is its own tree).
 */

const ADDRESSES = ['127.0.0.16', '127.0.0.17'] as const

const PMCD_OPEN = `
entries:
  - {path: /pmcd/pmcd.conf, mode: "0666", content: "pmcd\\t2\\tdso\\tpmcd_init\\tpmda_pmcd.so\\n[access]\\nallow hosts * : all;\\n"}
  - {path: /pmcd/pmcd.options, content: "-A\\n"}
`
const PMCD_CLOSED = `
entries:
  - {path: /pmcd/pmcd.conf, mode: "0640", content: "pmcd\\t2\\tdso\\tpmcd_init\\tpmda_pmcd.so\\n[access]\\ndisallow hosts * : all;\\nallow localhost : fetch;\\n"}
  - {path: /pmcd/pmcd.options, content: "-A\\n-i 127.0.0.1\\n"}
`

let dir: string
let admin: SshKey
let knownHosts: string
let port: number
const nodes: SshNode[] = []
const trees: string[] = []
let corosyncRoot: string
let membersRoot: string

interface Json {
  summary: {exitCode: number}
  results: {host?: string; check: string; status: string}[]
  hosts?: {host: string; status: string; error?: string}[]
}

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'pcp-harden-cluster-'))
  admin = await makeSshKey(dir, 'admin', 'ed25519', 'admin@test')
  port = await freePortOnAll(ADDRESSES)
  for (const [address, spec] of [
    [ADDRESSES[0], PMCD_OPEN],
    [ADDRESSES[1], PMCD_CLOSED],
  ] as const) {
    const tree = await buildTree(spec)
    trees.push(tree)
    const node = await startSshNode({address, port, mounts: [{source: tree, target: '/etc/pcp'}]})
    nodes.push(node)
    await writeFile(node.authorizedKeys, `${admin.publicLine}\n`, {mode: 0o600})
  }
  knownHosts = path.join(dir, 'known_hosts')
  await writeFile(knownHosts, (await Promise.all(nodes.map((n) => readFile(n.knownHosts, 'utf8')))).join(''))
  // The Proxmox node the admin runs verify on: its cluster files, nothing else.
  corosyncRoot = path.join(dir, 'pve-corosync')
  await mkdir(path.join(corosyncRoot, 'etc/pve'), {recursive: true})
  await writeFile(
    path.join(corosyncRoot, 'etc/pve/corosync.conf'),
    [
      'totem {',
      '  cluster_name: lab',
      '  version: 2',
      '}',
      'nodelist {',
      ...ADDRESSES.flatMap((address, i) => [
        '  node {',
        `    name: pve${i + 1}`,
        `    nodeid: ${i + 1}`,
        '    quorum_votes: 1',
        `    ring0_addr: ${address}`,
        '  }',
      ]),
      '}',
      '',
    ].join('\n'),
  )
  membersRoot = path.join(dir, 'pve-members')
  await mkdir(path.join(membersRoot, 'etc/pve'), {recursive: true})
  await writeFile(
    path.join(membersRoot, 'etc/pve/.members'),
    JSON.stringify({
      nodename: 'pve1',
      version: 4,
      cluster: {name: 'lab', version: 2, nodes: 2, quorate: 1},
      nodelist: Object.fromEntries(ADDRESSES.map((ip, i) => [`pve${i + 1}`, {id: i + 1, online: 1, ip}])),
    }),
  )
}, 60_000)

afterAll(async () => {
  for (const node of nodes) await node.stop()
  for (const tree of trees) await removeTree(tree)
  await rm(dir, {recursive: true, force: true})
})

const ssh = () => ['--identity', admin.path, '--known-hosts', knownHosts, '--ssh-option', `Port=${port}`]

describe('verify --cluster against real nodes', () => {
  it.each([
    ['corosync.conf', () => corosyncRoot],
    ['.members', () => membersRoot],
  ])(
    "audits the members %s names, each as a local verify --root of the member's own tree",
    async (_source, root) => {
      const run = await cli(['verify', '--root', root(), '--cluster', ...ssh(), '--format', 'json'])
      expect(run.stderr).toBe('')
      const report = JSON.parse(run.stdout) as Json
      // The members are named as the cluster's files name them: addresses, no port.
      expect(report.hosts?.map((h) => [h.host, h.error])).toEqual(ADDRESSES.map((a) => [a, undefined]))
      for (const [i, node] of nodes.entries()) {
        const local = await cli(['verify', '--root', `/proc/${node.process.pid}/root`, '--format', 'json'])
        const own = report.results.filter((r) => r.host === ADDRESSES[i]).map(({host: _host, ...r}) => r)
        expect(own.length).toBeGreaterThan(0)
        expect(own).toEqual((JSON.parse(local.stdout) as Json).results)
      }
      // The members' trees differ: only the first one's pmcd.conf is world-writable.
      const failing = (host: string) =>
        report.results.filter((r) => r.host === host && r.status === 'fail').map((r) => r.check)
      expect(failing(ADDRESSES[0])).toContain('PCP-FILE-003')
      expect(failing(ADDRESSES[1])).not.toContain('PCP-FILE-003')
      expect(run.code).toBe(report.summary.exitCode)
    },
    180_000,
  )
})
