import {describe, expect, it} from 'vitest'

import {expiredWaiverRemedy} from '../../../src/engine/waivers.js'
import {Host} from '../../../src/host/host.js'
import {MemoryBackend} from '../../../src/host/tree.js'
import {PROFILES} from '../../../src/checks/types.js'
import {auditHost} from '../../helpers/audit.js'
import {seedTreeBroken} from '../seed-tree.js'

describe('remedies left to the admin', () => {
  it('an expired waiver opens the waivers file at its line: renewing or deleting it is a decision', () => {
    const plan = expiredWaiverRemedy({
      check: 'PCP-FILE-006',
      reason: 'stock Debian',
      expires: '2020-01-01',
      source: '/etc/pcp-harden/waivers.yaml:3',
      file: '/etc/pcp-harden/waivers.yaml',
      line: 3,
    })
    expect(plan).toEqual({
      remedy: {
        kind: 'manual',
        command: '${EDITOR:-vi} +3 /etc/pcp-harden/waivers.yaml',
        why: expect.stringMatching(
          /^fix the PCP-FILE-006 finding and delete the waiver, or move its "expires" date/,
        ),
      },
      fix: '${EDITOR:-vi} +3 /etc/pcp-harden/waivers.yaml',
    })
  })

  it('the previous key of a finished rotation is destroyed by hand, after the new key is checked on every node', async () => {
    const prev = '/var/lib/pulse-sensor-proxy/ssh.d/prev/id_ed25519'
    // A finished rotation: no journal, nothing staged, the old key kept in prev/.
    const tree = seedTreeBroken({
      without: [
        '/var/lib/pulse-sensor-proxy/ssh.d/rotation.json',
        '/var/lib/pulse-sensor-proxy/ssh.d/next/id_ed25519',
      ],
      with: [
        {path: prev, mode: 0o600, owner: 'pulse-sensor-proxy', group: 'pulse-sensor-proxy', content: 'old\n'},
      ],
    })
    const host = new Host(new MemoryBackend(tree, 'seed'))
    const report = await auditHost(host, {rootLabel: 'seed', profiles: [...PROFILES], only: ['PSP-FILE-007']})
    const [finding] = report.results.filter((r) => r.status === 'fail')
    expect(finding).toMatchObject({
      check: 'PSP-FILE-007',
      path: prev,
      fix: `shred -u ${prev}`,
      remedy: {kind: 'manual', why: expect.stringMatching(/rotate-keys --rollback/)},
    })
  })
})
