import {execFile} from 'node:child_process'
import {appendFile, chmod, mkdtemp, readFile, readdir, rm, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import path from 'node:path'

import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {parseTreeSpec} from '../../src/host/tree.js'
import {SEED_TREE, seedTreeWith} from '../checks/seed-tree.js'
import {BIN, REPO} from '../cli/run-cli.js'
import {buildTree, removeTree} from '../helpers/tree.js'
import {makeSshKey, type SshKey, type SshNode, startSshNode} from '../helpers/sshd.js'

const PLAYBOOK = path.join(REPO, 'contrib/ansible/pcp-harden-audit.yml')

let scratch: string
let admin: SshKey
let nodes: SshNode[] = []
let goodRoot: string
let badRoot: string

function run(file: string, args: string[], env: Record<string, string>) {
  return new Promise<{code: number; stdout: string; stderr: string}>((resolve) => {
    execFile(file, args, {env, timeout: 120_000, maxBuffer: 16 << 20}, (error, stdout, stderr) =>
      resolve({code: error ? (typeof error.code === 'number' ? error.code : -1) : 0, stdout, stderr}),
    )
  })
}

/** The controller's environment: its own home and temp, no colour, python3 on the nodes. */
function ansibleEnv(): Record<string, string> {
  return {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: scratch,
    ANSIBLE_LOCAL_TEMP: path.join(scratch, 'ansible-tmp'),
    ANSIBLE_NOCOLOR: '1',
    ANSIBLE_PYTHON_INTERPRETER: '/usr/bin/python3',
    ANSIBLE_HOST_KEY_CHECKING: 'True',
    ANSIBLE_RETRY_FILES_ENABLED: 'False',
  }
}

beforeAll(async () => {
  scratch = await mkdtemp(path.join(tmpdir(), 'pcp-harden-ansible-'))
  admin = await makeSshKey(scratch, 'admin')
  goodRoot = await buildTree(parseTreeSpec(SEED_TREE, 'seed'))
  badRoot = await buildTree(seedTreeWith({path: '/var/lib/pulse-sensor-proxy/ssh/id_ed25519', mode: 0o644}))
  for (const root of [goodRoot, badRoot]) await chmod(root, 0o755)
  nodes = [await startSshNode({address: '127.0.0.1'}), await startSshNode({address: '127.0.0.1'})]
  for (const node of nodes) await appendFile(node.authorizedKeys, `${admin.publicLine}\n`)
}, 60_000)

afterAll(async () => {
  for (const node of nodes) await node.stop()
  await removeTree(goodRoot)
  await removeTree(badRoot)
  await rm(scratch, {recursive: true, force: true})
})

describe('contrib/ansible/pcp-harden-audit.yml', () => {
  it('passes ansible-playbook --syntax-check', async () => {
    const check = await run(
      'ansible-playbook',
      ['--syntax-check', '-i', 'localhost,', PLAYBOOK],
      ansibleEnv(),
    )
    expect(check.stderr).toBe('')
    expect(check.code).toBe(0)
  })

  it("gathers every node's JSON report on the controller and fails the CRITICAL node only", async () => {
    const [good, bad] = nodes as [SshNode, SshNode]
    const host = (node: SshNode, root: string) =>
      [
        `    ${node === good ? 'good' : 'bad'}:`,
        `      ansible_host: ${node.address}`,
        `      ansible_port: ${node.port}`,
        '      ansible_user: root',
        `      ansible_ssh_private_key_file: ${admin.path}`,
        `      ansible_ssh_common_args: "-o UserKnownHostsFile=${node.knownHosts} -o IdentitiesOnly=yes"`,
        // The seed tree still runs the proxy that Pulse 5.1 removed (PULSE-LEGACY-001, a warning):
        // skipped, so the good node is OK and only the broken key makes the other CRITICAL.
        `      pcp_harden_args: ["--root", "${root}", "--skip", "PULSE-LEGACY-001"]`,
      ].join('\n')
    const inventory = path.join(scratch, 'inventory.yml')
    await writeFile(inventory, ['all:', '  hosts:', host(good, goodRoot), host(bad, badRoot), ''].join('\n'))
    const reports = path.join(scratch, 'reports')
    const play = await run(
      'ansible-playbook',
      [
        '-i',
        inventory,
        PLAYBOOK,
        '-e',
        JSON.stringify({pcp_harden_command: [process.execPath, BIN], pcp_harden_reports_dir: reports}),
      ],
      ansibleEnv(),
    )
    // ansible-playbook exits 2 when a host failed a task.
    expect(play.code, play.stdout + play.stderr).toBe(2)
    expect(play.stdout).toMatch(/good\s+: ok=\d+ .*failed=0/)
    expect(play.stdout).toMatch(/bad\s+: ok=\d+ .*failed=1/)
    expect(play.stdout).toContain('bad: pcp-harden CRITICAL')
    expect((await readdir(reports)).sort()).toEqual(['bad.json', 'good.json'])
    const goodReport = JSON.parse(await readFile(path.join(reports, 'good.json'), 'utf8'))
    const badReport = JSON.parse(await readFile(path.join(reports, 'bad.json'), 'utf8'))
    expect(goodReport.summary.status).toBe('OK')
    expect(goodReport.root).toBe(goodRoot)
    expect(badReport.summary.status).toBe('CRITICAL')
    expect(badReport.results).toContainEqual(
      expect.objectContaining({
        check: 'PSP-FILE-001',
        status: 'fail',
        path: '/var/lib/pulse-sensor-proxy/ssh/id_ed25519',
      }),
    )
  }, 150_000)
})
