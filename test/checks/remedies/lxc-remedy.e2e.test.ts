import {describe, expect, it} from 'vitest'

import type {ReportResult} from '../../../src/engine/model.js'
import {DiskBackend} from '../../../src/host/backend.js'
import {Host} from '../../../src/host/host.js'
import {MemoryBackend, type TreeSpec} from '../../../src/host/tree.js'
import {auditHost} from '../../helpers/audit.js'
import {runFixInTree} from '../../helpers/replay.js'
import {buildTree, removeTree} from '../../helpers/tree.js'
import {BREAKS} from '../pulse/lxc.js'
import {seedTreeBroken} from '../seed-tree.js'

const key = (r: ReportResult) => `${r.check} ${r.path ?? ''}: ${r.message}`

async function lxcFailures(root: string | TreeSpec): Promise<ReportResult[]> {
  const backend = typeof root === 'string' ? new DiskBackend(root) : new MemoryBackend(root, 'lxc')
  const report = await auditHost(new Host(backend), {rootLabel: 'lxc', profiles: ['proxmox-host']})
  return report.results.filter((r) => r.check.startsWith('PSP-LXC') && r.status === 'fail')
}

/**
 * A container config change is never automatic (it can keep the container from starting), but the
 * sed a manual remedy prints must still be exact: run on the tree, it removes its finding and adds none.
 */
describe('the manual remedies of the container checks', () => {
  it('all say why they are not automatic, and name the container or the line found', async () => {
    for (const brk of BREAKS)
      for (const r of await lxcFailures(seedTreeBroken(brk))) {
        if (r.check === 'PSP-LXC-012') continue
        expect(r.remedy, `${brk.name}: ${key(r)}`).toMatchObject({kind: 'manual', why: expect.any(String)})
        expect(r.fix).toMatch(/pct |sed -i |echo /)
      }
  }, 120_000)

  it.each(BREAKS.map((b): [string, (typeof BREAKS)[number]] => [b.name, b]))(
    '%s: each sed, run as printed, removes its finding and adds none',
    async (_name, brk) => {
      const root = await buildTree(seedTreeBroken(brk))
      try {
        const before = await lxcFailures(root)
        const seds = before.filter((r) => r.fix?.startsWith('sed -i '))
        for (const finding of seds) {
          const copy = `${root}-fix`
          await buildTree(seedTreeBroken(brk), copy)
          try {
            expect(await runFixInTree(copy, finding.fix as string)).toMatchObject({code: 0, stderr: ''})
            const after = (await lxcFailures(copy)).map(key)
            expect(after).not.toContain(key(finding))
            const beforeKeys = new Set(before.map(key))
            expect(after.filter((k) => !beforeKeys.has(k))).toEqual([])
          } finally {
            await removeTree(copy)
          }
        }
      } finally {
        await removeTree(root)
      }
    },
    60_000,
  )
})
