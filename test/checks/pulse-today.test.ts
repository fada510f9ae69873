import {describe, expect, it} from 'vitest'

import {severityRank} from '../../src/checks/types.js'
import {detectProfiles} from '../../src/engine/profiles.js'
import {Host} from '../../src/host/host.js'
import {MemoryBackend, treeSpecFromData} from '../../src/host/tree.js'
import {auditHost} from '../helpers/audit.js'
import {type HostState, STATES, VARIANTS} from './pulse-today/states.js'

export function stateHost(state: Pick<HostState, 'name' | 'entries'>): Host {
  return new Host(new MemoryBackend(treeSpecFromData({entries: state.entries}, state.name), state.name))
}

/** verify on the state's tree, with the profiles it detects. */
async function audit(state: HostState) {
  const host = stateHost(state)
  const profiles = (await detectProfiles(host)).map((d) => d.profile)
  return auditHost(host, {rootLabel: state.name, profiles})
}

const key = (f: {check: string; path?: string; line?: number}) =>
  `${f.check} ${f.path ?? '-'}:${f.line ?? '-'}`

describe('a Pulse host in each state it is in today', () => {
  for (const state of [...STATES, ...VARIANTS])
    it(`gives exactly the PULSE findings of its state: ${state.name}`, async () => {
      const report = await audit(state)
      const found = report.results.filter(
        (r) => r.check.startsWith('PULSE-') && (r.status === 'fail' || r.status === 'error'),
      )
      expect(found.map(key).sort()).toEqual(state.fails.map(key).sort())
      for (const f of state.fails)
        if (f.message) expect(found.find((r) => key(r) === key(f))?.message, key(f)).toMatch(f.message)
    })

  it('has no medium-or-above finding at all on an agent installed with --least-privilege', async () => {
    const state = STATES.find((s) => s.name.includes('--least-privilege')) as HostState
    const report = await audit(state)
    expect(report.results.some((r) => r.check.startsWith('PULSE-AGENT') && r.status === 'pass')).toBe(true)
    const serious = report.results.filter(
      (r) => r.status === 'fail' && severityRank(r.severity) >= severityRank('medium'),
    )
    expect(serious.map(key)).toEqual([])
  })
})
