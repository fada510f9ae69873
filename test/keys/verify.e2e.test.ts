import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {seedTreeWith} from '../checks/seed-tree.js'
import {cli} from '../cli/run-cli.js'
import {buildTree, removeTree} from '../helpers/tree.js'

/** verify on a seed tree built on disk: real modes, owners and mtimes, read through the disk backend. */
let root: string

beforeAll(async () => {
  root = await buildTree(
    seedTreeWith(
      {path: '/var/lib/pulse-sensor-proxy/ssh/id_ed25519.pub', mtime: '-200d'},
      {path: '/root/.ssh', type: 'dir', mode: 0o770, group: 'pcp'},
    ),
  )
})

afterAll(async () => {
  await removeTree(root)
})

describe('verify, PSP-KEYS checks on disk', () => {
  it("reports the proxy key's age from its file's mtime, and ~/.ssh that sshd refuses", async () => {
    const checks = ['PSP-KEYS-001', 'PSP-KEYS-008', 'PSP-KEYS-011', 'PSP-KEYS-012']
    const run = await cli([
      'verify',
      '--root',
      root,
      ...checks.flatMap((c) => ['--check', c]),
      '--format',
      'json',
    ])
    expect(run.code).toBe(2)
    const results = (
      JSON.parse(run.stdout) as {results: {check: string; status: string; path?: string; message: string}[]}
    ).results
    expect(results.map((r) => `${r.check} ${r.status} ${r.path}`)).toEqual([
      'PSP-KEYS-001 pass /root/.ssh/authorized_keys',
      'PSP-KEYS-008 fail /root/.ssh',
      'PSP-KEYS-011 fail /var/lib/pulse-sensor-proxy/ssh/id_ed25519.pub',
      'PSP-KEYS-012 fail /var/lib/pulse-sensor-proxy/ssh/id_ed25519.pub',
    ])
    expect(results[3]?.message).toMatch(/is 200 days old, past the 180-day limit/)
  })
})
