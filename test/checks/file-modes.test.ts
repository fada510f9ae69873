import {afterEach, describe, expect, it} from 'vitest'

import type {Report} from '../../src/engine/model.js'
import {detectProfiles} from '../../src/engine/profiles.js'
import {DiskBackend} from '../../src/host/backend.js'
import {Host} from '../../src/host/host.js'
import {parseTreeSpec} from '../../src/host/tree.js'
import {auditHost} from '../helpers/audit.js'
import {buildTree, removeTree} from '../helpers/tree.js'
import {SEED_FILE_BREAKS} from './breaks-extra.js'
import {BREAKS, SEED_TREE, seedTreeWith} from './seed-tree.js'

const roots: string[] = []
afterEach(async () => {
  await Promise.all(roots.splice(0).map(removeTree))
})

async function audit(spec: Parameters<typeof buildTree>[0]): Promise<Report> {
  const root = await buildTree(spec)
  roots.push(root)
  const host = new Host(new DiskBackend(root))
  const profiles = (await detectProfiles(host)).map((d) => d.profile)
  return auditHost(host, {
    rootLabel: root,
    profiles,
    // The seed tree runs pulse-sensor-proxy, which Pulse no longer supports: true, and not what these tests are about.
    skip: ['PULSE-LEGACY-001'],
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

describe('file modes: each break of the seed tree is reported with its path', () => {
  it.each([...BREAKS, ...SEED_FILE_BREAKS])('%s', async (_name, change, checkId, message) => {
    const report = await audit(seedTreeWith(change))
    const fails = failures(report)
    expect(fails.map((f) => [f.check, f.path])).toEqual([[checkId, change.path]])
    expect(fails[0]?.message).toMatch(message)
    const severe = ['critical', 'high'].includes(fails[0]?.severity ?? '')
    expect(report.summary.status).toBe(severe ? 'CRITICAL' : 'WARNING')
  })

  it('judges a key reached through a symlink by its target, and says so', async () => {
    const P = '/var/lib/pulse-sensor-proxy'
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
    const skipped = report.results
      .filter((r) => r.status === 'skip' && r.check.startsWith('PCP-FILE'))
      .map((r) => r.check)
    expect(skipped).toEqual(['PCP-FILE-001', 'PCP-FILE-002', 'PCP-FILE-004', 'PCP-FILE-005', 'PCP-FILE-007'])
  })
})
