import {execFile} from 'node:child_process'
import {promisify} from 'node:util'

import {describe, expect, it} from 'vitest'

import {runFixInTree} from '../helpers/replay.js'
import {buildTree, removeTree} from '../helpers/tree.js'
import type {ReportResult} from '../../src/engine/model.js'
import {failures, key, TREES} from './trees.js'

const cp = promisify(execFile)

/**
 * A manual remedy that runs pcp-harden itself (cert init, tls write: new certificates for a host
 * name) cannot be replayed in a namespace without the CLI installed there; the unit tests pin it.
 */
const needsTheCli = (r: ReportResult) => r.remedy?.kind === 'manual' && /^pcp-harden /.test(r.fix ?? '')

/**
 * The Pulse checks' manual remedies are not replayed: they need a choice only the admin can make (the
 * Pulse server's address) or a tool of the real host (pct, the agent's installer); their exactness is
 * tested with their checks.
 */
const needsTheHost = (r: ReportResult) => r.remedy?.kind === 'manual' && !r.check.startsWith('PCP-')

/**
 * PCP-NET-001's manual remedy runs the engine's own check of the file (nft -c -f, iptables-restore
 * --test, pve-firewall compile) so the admin sees its error: only the admin knows what the refused
 * line was meant to say, so the command diagnoses and does not fix; test/net pins it.
 */
const diagnosis = (r: ReportResult) => r.remedy?.kind === 'manual' && r.check === 'PCP-NET-001'

/** A remedy of a file under /usr, /bin, ...: the replay keeps the machine's own there, so it cannot run it. */
const onMachine = (remedy: ReportResult['remedy']) =>
  remedy !== undefined &&
  'path' in remedy &&
  /^\/(usr|bin|sbin|lib|lib32|lib64|libx32|boot)(\/|$)/.test(remedy.path)

const replayable = (r: ReportResult) =>
  r.fix !== undefined &&
  !r.waived &&
  !needsTheCli(r) &&
  !needsTheHost(r) &&
  !diagnosis(r) &&
  !onMachine(r.remedy)

describe('every fix verify prints, applied to the tree it came from', () => {
  it.each(TREES)(
    '%s: each fix removes its finding and adds none',
    async (_name, spec) => {
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
      // Each fix is replayed on its own copy of the tree: the sample host has about twenty.
    },
    180_000,
  )

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
