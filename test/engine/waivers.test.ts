import {describe, expect, it} from 'vitest'

import {InputError} from '../../src/engine/errors.js'
import {parseWaivers} from '../../src/engine/waivers-file.js'
import {isExpired, waiverMatcher} from '../../src/engine/waivers.js'

describe('parseWaivers', () => {
  it('reads a waivers: list with line numbers', () => {
    const waivers = parseWaivers(
      [
        '# accepted risks',
        'waivers:',
        '  - check: PCP-FILE-006',
        '    path: /etc/pcp/pmcd/*',
        '    reason: stock Debian',
        '    expires: 2027-01-31',
        '  - {check: "PSP-*", reason: lab host}',
      ].join('\n'),
      'w.yaml',
    )
    expect(waivers).toEqual([
      {
        check: 'PCP-FILE-006',
        path: '/etc/pcp/pmcd/*',
        reason: 'stock Debian',
        expires: '2027-01-31',
        source: 'w.yaml:3',
        file: 'w.yaml',
        line: 3,
      },
      {
        check: 'PSP-*',
        path: undefined,
        reason: 'lab host',
        expires: undefined,
        source: 'w.yaml:7',
        file: 'w.yaml',
        line: 7,
      },
    ])
  })

  it('accepts a bare list and an empty file', () => {
    expect(parseWaivers('- {check: X, reason: y}\n', 'w')).toHaveLength(1)
    expect(parseWaivers('', 'w')).toEqual([])
  })

  it.each([
    ['waivers:\n  - {check: X}\n', 'w.yaml:2: waiver 1: "reason" is required'],
    ['waivers:\n  - {reason: r}\n', 'w.yaml:2: waiver 1: "check" is required'],
    [
      '- {check: X, reason: r, expires: next week}\n',
      'w.yaml:1: waiver 1: "expires" must be a date like 2027-01-31, not "next week"',
    ],
    [
      '- {check: X, reason: r, path: etc/x}\n',
      'w.yaml:1: waiver 1: "path" must be an absolute host path or glob, not "etc/x"',
    ],
    [
      '- {check: X, reason: r}\n- {check: Y, reason: r, owner: me}\n',
      'w.yaml:2: waiver 2: unknown field "owner"',
    ],
    ['- check: X\n  check: Y\n  reason: r\n', 'w.yaml:2: Map keys must be unique'],
    ['waivers: [\n', 'w.yaml:2:'],
    ['just text\n', 'w.yaml:1: expected a list of waivers'],
    ['other: 1\n', 'w.yaml:1: expected a "waivers:" list'],
  ])('rejects %j with a one-line error naming file and line', (text, message) => {
    let error: unknown
    try {
      parseWaivers(text, 'w.yaml')
    } catch (e) {
      error = e
    }
    expect(error).toBeInstanceOf(InputError)
    const text1 = (error as Error).message
    expect(text1.startsWith(message)).toBe(true)
    expect(text1).not.toContain('\n')
  })
})

describe('waiver matching and expiry', () => {
  const [waiver] = parseWaivers(
    '- {check: psp-file-*, path: "/var/lib/pulse-sensor-proxy/**", reason: r, expires: 2026-03-01}\n',
    'w',
  )
  const matches = waiverMatcher(waiver!)

  it('matches check ids case-insensitively by glob, and paths by glob', () => {
    expect(matches('PSP-FILE-001', '/var/lib/pulse-sensor-proxy/ssh/id_ed25519')).toBe(true)
    expect(matches('PSP-FILE-001', '/run/pulse-sensor-proxy')).toBe(false)
    expect(matches('PCP-FILE-001', '/var/lib/pulse-sensor-proxy/ssh')).toBe(false)
    expect(matches('PSP-FILE-001', undefined)).toBe(false)
  })

  it('a waiver without a path covers every result of its check', () => {
    const [any] = parseWaivers('- {check: PCP-FILE-006, reason: r}\n', 'w')
    expect(waiverMatcher(any!)('PCP-FILE-006', undefined)).toBe(true)
    expect(waiverMatcher(any!)('PCP-FILE-006', '/etc/x')).toBe(true)
  })

  it('a bare date is valid through the end of that day (UTC)', () => {
    expect(isExpired(waiver!, new Date('2026-03-01T23:59:00Z'))).toBe(false)
    expect(isExpired(waiver!, new Date('2026-03-02T00:00:01Z'))).toBe(true)
  })
})
