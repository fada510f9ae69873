import {execFile} from 'node:child_process'
import {readFile} from 'node:fs/promises'
import path from 'node:path'
import {promisify} from 'node:util'

import {describe, expect, it} from 'vitest'

import type {ReportResult} from '../../src/engine/model.js'
import {detectProfiles} from '../../src/engine/profiles.js'
import {DiskBackend} from '../../src/host/backend.js'
import {Host} from '../../src/host/host.js'
import {parseTreeSpec, type TreeSpec, treeSpecFromData} from '../../src/host/tree.js'
import {PMCD_BREAKS, seedTreeWithAll} from '../checks/pmcd-breaks.js'
import {BREAKS as CONTAINER_BREAKS} from '../checks/pulse/container.js'
import {BREAKS as KEYS_BREAKS} from '../checks/pulse/keys.js'
import {BREAKS as LXC_BREAKS} from '../checks/pulse/lxc.js'
import {BREAKS as UNIT_BREAKS} from '../checks/pulse/unit.js'
import {STATES, VARIANTS} from '../checks/pulse-today/states.js'
import {seedTreeBroken, seedTreeWith} from '../checks/seed-tree.js'
import {REPO} from '../cli/run-cli.js'
import {DEBIAN_APT_ENTRIES} from '../conformance/debian-apt-tree.js'
import {auditHost} from '../helpers/audit.js'
import {runFixInTree} from '../helpers/replay.js'
import {buildTree, removeTree} from '../helpers/tree.js'

const cp = promisify(execFile)

/** A failure as the user sees it, apart from its line (a fix may move the lines below it). */
const key = (r: ReportResult) => `${r.check} ${r.path ?? ''}: ${r.message}`

async function failures(root: string): Promise<ReportResult[]> {
  const host = new Host(new DiskBackend(root))
  const profiles = (await detectProfiles(host)).map((d) => d.profile)
  const report = await auditHost(host, {rootLabel: root, profiles})
  return report.results.filter((r) => r.status === 'fail' || r.status === 'error')
}

/** The trees the e2e tests audit: the sample host, Debian's stock pcp, and the broken seed trees. */
const TREES: [string, () => Promise<TreeSpec>][] = [
  [
    'the sample host (verify --sample)',
    async () =>
      parseTreeSpec(await readFile(path.join(REPO, 'sample/host.yaml'), 'utf8'), 'sample/host.yaml'),
  ],
  ["Debian's pcp as apt installs it", async () => treeSpecFromData({entries: DEBIAN_APT_ENTRIES}, 'debian')],
  [
    'the seed tree with a readable proxy key',
    async () => seedTreeWith({path: '/var/lib/pulse-sensor-proxy/ssh/id_ed25519', mode: 0o644}),
  ],
  [
    'the seed tree with an open proxy state directory',
    async () => seedTreeWith({path: '/var/lib/pulse-sensor-proxy', mode: 0o755}),
  ],
  ...PMCD_BREAKS.map(([name, changes]): [string, () => Promise<TreeSpec>] => [
    `the seed tree with ${name}`,
    async () => seedTreeWithAll(changes),
  ]),
  // The breaks of the proxy's unit, authorized_keys, containers and the Pulse container.
  ...[...UNIT_BREAKS, ...KEYS_BREAKS, ...LXC_BREAKS, ...CONTAINER_BREAKS].map(
    (brk): [string, () => Promise<TreeSpec>] => [
      `the seed tree where ${brk.name}`,
      async () => seedTreeBroken(brk),
    ],
  ),
  // Pulse hosts as they are today: the legacy proxy, its leftovers, the agent, the SSH fallback.
  ...[...STATES, ...VARIANTS].map((state): [string, () => Promise<TreeSpec>] => [
    `a Pulse host: ${state.name}`,
    async () => treeSpecFromData({entries: state.entries}, state.name),
  ]),
]

/**
 * A manual remedy is not replayed: it needs a choice only the admin can make (the Pulse server's
 * address) or a tool of the real host (pct, the agent's installer); its exactness is tested with its check.
 */
const replayable = (r: ReportResult) =>
  r.fix !== undefined && !r.waived && r.remedy?.kind !== 'manual' && !onMachine(r.remedy)

/** A remedy of a file under /usr, /bin, ...: the replay keeps the machine's own there, so it cannot run it. */
const onMachine = (remedy: ReportResult['remedy']) =>
  remedy !== undefined &&
  'path' in remedy &&
  /^\/(usr|bin|sbin|lib|lib32|lib64|libx32|boot)(\/|$)/.test(remedy.path)

describe('every fix verify prints, applied to the tree it came from', () => {
  it.each(TREES)('%s: each fix removes its finding and adds none', async (_name, spec) => {
    const baseline = await buildTree(await spec())
    try {
      const before = await failures(baseline)
      const fixable = before.filter(replayable)
      const beforeKeys = new Set(before.map(key))
      for (const finding of fixable) {
        // Each fix on a fresh copy of the tree, so that one fix is judged alone.
        const copy = `${baseline}-fix`
        await cp('cp', ['-a', baseline, copy])
        try {
          const run = await runFixInTree(copy, finding.fix!)
          expect(run, `${key(finding)}\n  fix: ${finding.fix}`).toMatchObject({code: 0, stderr: ''})
          const after = (await failures(copy)).map(key)
          expect(after, `the fix did not remove it: ${finding.fix}`).not.toContain(key(finding))
          const added = after.filter((k) => !beforeKeys.has(k))
          expect(added, `the fix added a failure: ${finding.fix}`).toEqual([])
        } finally {
          await removeTree(copy)
        }
      }
    } finally {
      await removeTree(baseline)
    }
  })

  it('the sample host has fixes to replay (the replay is not vacuous)', async () => {
    const root = await buildTree(await TREES[0]![1]())
    try {
      const fixable = (await failures(root)).filter((r) => r.fix !== undefined)
      expect(fixable.length).toBeGreaterThanOrEqual(5)
    } finally {
      await removeTree(root)
    }
  })
})
