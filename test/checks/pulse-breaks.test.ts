import {describe, expect, it} from 'vitest'

import {PROFILES} from '../../src/checks/types.js'
import {Host} from '../../src/host/host.js'
import {MemoryBackend} from '../../src/host/tree.js'
import {auditHost} from '../helpers/audit.js'
import {PULSE_BREAKS, type PulseBreak} from './pulse/index.js'
import {seedTreeBroken} from './seed-tree.js'

/** The failing (or undecided) results of the Pulse checks on the seed tree as a break leaves it. */
async function pulseFailures(brk: PulseBreak) {
  const host = new Host(new MemoryBackend(seedTreeBroken(brk), 'seed'))
  const report = await auditHost(host, {
    rootLabel: 'seed',
    profiles: [...PROFILES],
  })
  return report.results.filter(
    (r) => r.check.startsWith('PSP-') && (r.status === 'fail' || r.status === 'error'),
  )
}

const key = (f: {check: string; path?: string; line?: number}) =>
  `${f.check} ${f.path ?? '-'}:${f.line ?? '-'}`

describe('the breaks of a Pulse host', () => {
  it('have distinct names', () => {
    const names = PULSE_BREAKS.map((b) => b.name)
    expect(new Set(names).size).toBe(names.length)
  })

  for (const brk of PULSE_BREAKS)
    it(`are each reported exactly, every failure and no other: ${brk.name}`, async () => {
      const found = await pulseFailures(brk)
      expect(found.map(key).sort()).toEqual(brk.fails.map(key).sort())
      for (const f of brk.fails)
        if (f.message) expect(found.find((r) => key(r) === key(f))?.message, key(f)).toMatch(f.message)
    })
})
