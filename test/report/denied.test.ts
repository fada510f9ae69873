import {describe, expect, it} from 'vitest'

import type {ReportResult} from '../../src/engine/model.js'
import {deniedText, groupDenied} from '../../src/report/denied.js'

const error = (check: string, path: string, deniedIn?: string, waived = false): ReportResult => ({
  check,
  title: 't',
  severity: 'high',
  status: 'error',
  path,
  message: 'permission denied',
  remediation: 'r',
  ...(deniedIn === undefined ? {} : {deniedIn}),
  ...(waived ? {waived: {reason: 'lab', source: 'w:1'}} : {}),
})

describe('groupDenied', () => {
  it('one group per directory, in path order, with each check once; other results untouched', () => {
    const other = error('PCP-X-001', '/etc/pve/user.cfg')
    const waived = error('PCP-X-002', '/root/.ssh/authorized_keys', '/root', true)
    const {groups, rest} = groupDenied([
      error('PSP-FILE-001', '/var/lib/pulse-sensor-proxy/ssh/id_ed25519', '/var/lib/pulse-sensor-proxy/ssh'),
      other,
      error('PCP-FILE-001', '/etc/pcp/tls/server.key', '/etc/pcp/tls'),
      error('PCP-CERT-001', '/etc/pcp/tls/server.crt', '/etc/pcp/tls'),
      error('PCP-FILE-001', '/etc/pcp/tls/client.key', '/etc/pcp/tls'),
      waived,
    ])
    expect(groups.map((g) => [g.directory, g.results.length, g.checks])).toEqual([
      ['/etc/pcp/tls', 3, ['PCP-CERT-001', 'PCP-FILE-001']],
      ['/var/lib/pulse-sensor-proxy/ssh', 1, ['PSP-FILE-001']],
    ])
    expect(rest).toEqual([other, waived])
    expect(deniedText(groups[0]!)).toBe(
      'permission denied: 3 results not checked (PCP-CERT-001, PCP-FILE-001)',
    )
    expect(deniedText(groups[1]!)).toBe('permission denied: 1 result not checked (PSP-FILE-001)')
  })
})
