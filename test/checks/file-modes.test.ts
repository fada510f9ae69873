import {afterEach, describe, expect, it} from 'vitest'

import {runAudit} from '../../src/engine/audit.js'
import type {Report} from '../../src/engine/model.js'
import {detectProfiles} from '../../src/engine/profiles.js'
import {DiskBackend} from '../../src/host/backend.js'
import {Host} from '../../src/host/host.js'
import {parseTreeSpec, type TreeEntry} from '../../src/host/tree.js'
import {buildTree, removeTree} from '../helpers/tree.js'
import {SEED_TREE, seedTreeWith} from './seed-tree.js'

const roots: string[] = []
afterEach(async () => {
  await Promise.all(roots.splice(0).map(removeTree))
})

async function audit(spec: Parameters<typeof buildTree>[0]): Promise<Report> {
  const root = await buildTree(spec)
  roots.push(root)
  const host = new Host(new DiskBackend(root))
  const profiles = (await detectProfiles(host)).map((d) => d.profile)
  return runAudit(host, {
    rootLabel: root,
    profiles,
    failOn: 'low',
    waivers: [],
    now: new Date(),
    tool: {name: 'pcp-harden', version: 'test'},
  })
}

const failures = (report: Report) => report.results.filter((r) => r.status === 'fail')

describe("file modes on a tree with exactly the seeds' modes", () => {
  it('reports no failure at all, and passes every present path', async () => {
    const report = await audit(parseTreeSpec(SEED_TREE, 'seed'))
    expect(failures(report)).toEqual([])
    expect(report.summary.status).toBe('OK')
    const passed = new Set(report.results.filter((r) => r.status === 'pass').map((r) => r.path))
    for (const p of [
      '/var/lib/pulse-sensor-proxy/ssh/id_ed25519',
      '/run/pulse-sensor-proxy/pulse-sensor-proxy.sock',
      '/etc/pcp/pmcd/pmcd.conf',
      '/etc/pcp/tls/server.key',
      '/etc/pcp/passwd.db',
      '/var/log/pcp/pmcd',
    ])
      expect(passed, p).toContain(p)
  })
})

type Break = [string, Partial<TreeEntry> & {path: string}, string, RegExp]

const P = '/var/lib/pulse-sensor-proxy'
const R = '/run/pulse-sensor-proxy'

const BREAKS: Break[] = [
  [
    'key readable by all',
    {path: `${P}/ssh/id_ed25519`, mode: 0o644},
    'PSP-FILE-001',
    /readable by every user: expected 0600 pulse-sensor-proxy:pulse-sensor-proxy, found 0644 pulse-sensor-proxy:pulse-sensor-proxy/,
  ],
  [
    'key readable by another group',
    {path: `${P}/ssh/id_ed25519`, mode: 0o640, group: 'alice'},
    'PSP-FILE-001',
    /readable by group alice/,
  ],
  [
    'key owned by another user',
    {path: `${P}/ssh/id_ed25519`, owner: 'alice'},
    'PSP-FILE-001',
    /owned by alice, who can read it/,
  ],
  [
    'staged key readable by others',
    {path: `${P}/ssh.d/next/id_ed25519`, mode: 0o604},
    'PSP-FILE-001',
    /readable by every user/,
  ],
  [
    'key is a directory',
    {path: `${P}/ssh/id_ed25519`, type: 'dir', mode: 0o700},
    'PSP-FILE-001',
    /is a directory, expected a regular file/,
  ],
  [
    'ssh/ writable by all',
    {path: `${P}/ssh`, mode: 0o777},
    'PSP-FILE-002',
    /writable by every user: expected 0700/,
  ],
  [
    'state dir owned by another user',
    {path: P, owner: 'alice'},
    'PSP-FILE-002',
    /owned by alice, who can change it/,
  ],
  [
    'prev/ writable by others',
    {path: `${P}/ssh.d/prev`, mode: 0o757},
    'PSP-FILE-002',
    /writable by every user/,
  ],
  [
    'public key writable by all',
    {path: `${P}/ssh/id_ed25519.pub`, mode: 0o666},
    'PSP-FILE-002',
    /writable by every user/,
  ],
  [
    'ssh/ group-readable',
    {path: `${P}/ssh`, mode: 0o750},
    'PSP-FILE-005',
    /mode 0750 is looser than the recommended 0700/,
  ],
  ['state dir 0755', {path: P, mode: 0o755}, 'PSP-FILE-005', /looser than the recommended 0750/],
  [
    'public key 0644',
    {path: `${P}/ssh/id_ed25519.pub`, mode: 0o644},
    'PSP-FILE-005',
    /0644 is looser than the recommended 0640/,
  ],
  [
    'socket dir world-writable',
    {path: R, mode: 0o777},
    'PSP-FILE-003',
    /writable by every user: expected 0775/,
  ],
  ['socket dir owned by another user', {path: R, owner: 'alice'}, 'PSP-FILE-003', /owned by alice/],
  [
    'socket replaced by a file',
    {path: `${R}/pulse-sensor-proxy.sock`, type: 'file', mode: 0o666},
    'PSP-FILE-003',
    /is a regular file, expected a socket/,
  ],
  [
    'socket owned by another user',
    {path: `${R}/pulse-sensor-proxy.sock`, owner: 'alice'},
    'PSP-FILE-003',
    /owned by alice/,
  ],
  ['socket dir 0770', {path: R, mode: 0o770}, 'PSP-FILE-004', /cannot enter it/],
  [
    'socket 0660',
    {path: `${R}/pulse-sensor-proxy.sock`, mode: 0o660},
    'PSP-FILE-004',
    /cannot connect to it/,
  ],
  [
    'pmcd.conf group-writable',
    {path: '/etc/pcp/pmcd/pmcd.conf', mode: 0o660},
    'PCP-FILE-003',
    /writable by group pcp/,
  ],
  [
    'pmcd.conf owned by pcp',
    {path: '/etc/pcp/pmcd/pmcd.conf', owner: 'pcp'},
    'PCP-FILE-003',
    /owned by pcp, who can change it/,
  ],
  [
    '/etc/pcp/pmcd world-writable',
    {path: '/etc/pcp/pmcd', mode: 0o777},
    'PCP-FILE-003',
    /writable by every user/,
  ],
  [
    'pmcd.options writable by all',
    {path: '/etc/pcp/pmcd/pmcd.options', mode: 0o666},
    'PCP-FILE-003',
    /writable by every user/,
  ],
  [
    '/etc/default/pmcd owned by alice',
    {path: '/etc/default/pmcd', owner: 'alice'},
    'PCP-FILE-003',
    /owned by alice/,
  ],
  [
    'pmcd.conf as shipped (0644)',
    {path: '/etc/pcp/pmcd/pmcd.conf', mode: 0o644, group: 'root'},
    'PCP-FILE-006',
    /0644 is looser than the recommended 0640/,
  ],
  [
    'TLS key readable by all',
    {path: '/etc/pcp/tls/server.key', mode: 0o644},
    'PCP-FILE-001',
    /readable by every user: expected 0640 pcp:pcp, found 0644 pcp:pcp/,
  ],
  [
    'TLS key pcp cannot read',
    {path: '/etc/pcp/tls/server.key', owner: 'root', group: 'root'},
    'PCP-FILE-006',
    /not readable by pcp, pmcd reads it as user pcp/,
  ],
  [
    'sasldb readable by all',
    {path: '/etc/pcp/passwd.db', mode: 0o644},
    'PCP-FILE-002',
    /readable by every user/,
  ],
  [
    'tls.conf writable by all',
    {path: '/etc/pcp/tls.conf', mode: 0o666},
    'PCP-FILE-004',
    /writable by every user/,
  ],
  [
    'CA certificate owned by alice',
    {path: '/etc/pcp/tls/ca.crt', owner: 'alice'},
    'PCP-FILE-004',
    /owned by alice/,
  ],
  ['log dir world-writable', {path: '/var/log/pcp', mode: 0o777}, 'PCP-FILE-005', /writable by every user/],
  [
    'log file world-writable',
    {path: '/var/log/pcp/pmcd/pmcd.log', mode: 0o666},
    'PCP-FILE-005',
    /writable by every user/,
  ],
  [
    'log dir as shipped (0775 pcp:pcp)',
    {path: '/var/log/pcp', mode: 0o775, group: 'pcp'},
    'PCP-FILE-006',
    /0775 is looser than the recommended 0750/,
  ],
]

describe('file modes: each break of the seed tree is reported with its path', () => {
  it.each(BREAKS)('%s', async (_name, change, checkId, message) => {
    const report = await audit(seedTreeWith(change))
    const fails = failures(report)
    expect(fails.map((f) => [f.check, f.path])).toEqual([[checkId, change.path]])
    expect(fails[0]?.message).toMatch(message)
    const severe = ['critical', 'high'].includes(fails[0]?.severity ?? '')
    expect(report.summary.status).toBe(severe ? 'CRITICAL' : 'WARNING')
  })

  it('judges a key reached through a symlink by its target, and says so', async () => {
    const spec = seedTreeWith({path: `${P}/ssh/id_ed25519`, type: 'symlink', target: '/srv/keys/k'})
    spec.entries.push({
      path: '/srv/keys/k',
      type: 'file',
      mode: 0o644,
      owner: 'root',
      group: 'root',
      content: 'k',
    })
    const fails = failures(await audit(spec))
    expect(fails).toHaveLength(1)
    expect(fails[0]).toMatchObject({check: 'PSP-FILE-001', path: `${P}/ssh/id_ed25519`})
    expect(fails[0]?.evidence).toBe('0644 root:root (a symbolic link to /srv/keys/k)')
  })
})

describe('file modes on hosts without the components', () => {
  it('an empty host runs no check and is OK', async () => {
    const report = await audit('entries: []')
    expect(report.profiles).toEqual([])
    expect(report.results).toEqual([])
    expect(report.summary.status).toBe('OK')
  })

  it('a PCP-only host runs no proxy check; absent PCP files are not failures', async () => {
    const report = await audit(`
entries:
  - {path: /etc/pcp/pmcd, type: dir}
`)
    expect(report.profiles).toEqual(['pcp-collector'])
    expect(report.results.some((r) => r.check.startsWith('PSP-'))).toBe(false)
    expect(failures(report)).toEqual([])
    const skipped = report.results.filter((r) => r.status === 'skip').map((r) => r.check)
    expect(skipped).toEqual(['PCP-FILE-001', 'PCP-FILE-002', 'PCP-FILE-004', 'PCP-FILE-005'])
  })
})
