import {describe, expect, it} from 'vitest'

import {parseIdMap} from '../../src/checks/container/psp-ct-001.js'
import {parseAppArmorLabel} from '../../src/checks/container/psp-ct-002.js'
import {PROFILES} from '../../src/checks/types.js'
import {Host} from '../../src/host/host.js'
import {MemoryBackend} from '../../src/host/tree.js'
import {auditHost} from '../helpers/audit.js'
import {seedTreeWithout} from './seed-tree.js'

describe('the uid map', () => {
  it("reads the kernel's padded columns", () => {
    expect(parseIdMap('         0     100000      65536\n')).toEqual([
      {line: 1, inside: 0, outside: 100000, count: 65536},
    ])
  })

  it('says why it cannot read a map', () => {
    expect(parseIdMap('')).toBe('the map is empty')
    expect(parseIdMap('0 100000\n')).toBe('line 1 is not "inside outside count": 0 100000')
  })
})

describe('the AppArmor label', () => {
  it('splits the profile from its mode', () => {
    expect(parseAppArmorLabel('lxc-105_</var/lib/lxc> (enforce)\n')).toEqual({
      profile: 'lxc-105_</var/lib/lxc>',
      mode: 'enforce',
    })
    expect(parseAppArmorLabel('unconfined\0\n')).toEqual({profile: 'unconfined'})
  })
})

describe('PSP-CT in an offline image', () => {
  it('skips each check and says it cannot decide, instead of passing', async () => {
    const host = new Host(new MemoryBackend(seedTreeWithout('/proc'), 'image'))
    const report = await auditHost(host, {
      rootLabel: 'image',
      profiles: [...PROFILES],
      only: ['PSP-CT-001', 'PSP-CT-002', 'PSP-CT-003'],
    })
    expect(report.results.map((r) => [r.check, r.status])).toEqual([
      ['PSP-CT-001', 'skip'],
      ['PSP-CT-002', 'skip'],
      ['PSP-CT-003', 'skip'],
    ])
    for (const r of report.results)
      expect(r.message).toMatch(/^undecided: no \/proc\/self under the root \(an offline image/)
  })
})
