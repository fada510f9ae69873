import {describe, expect, it} from 'vitest'

import {parseExposure, securityArgv, verifyArgv} from '../../src/exec/systemd-analyze.js'

describe('systemd-analyze invocations', () => {
  it('reviews a unit offline under a root (systemd 252 takes --root for security only with --offline)', () => {
    expect(securityArgv('/usr/bin/systemd-analyze', '/tmp/root', 'pulse-sensor-proxy.service')).toEqual([
      '/usr/bin/systemd-analyze',
      ['security', '--offline=true', '--root=/tmp/root', '--no-pager', 'pulse-sensor-proxy.service'],
    ])
  })

  it('verifies unit files by path', () => {
    expect(verifyArgv('/usr/bin/systemd-analyze', ['/a/x.service', '/a/x.timer'])).toEqual([
      '/usr/bin/systemd-analyze',
      ['verify', '--no-pager', '/a/x.service', '/a/x.timer'],
    ])
  })

  it('reads the overall exposure line of the named unit only', () => {
    const output = [
      '✗ UMask=    Files created by service are world-readable by default    0.1',
      '',
      '→ Overall exposure level for other.service: 9.6 UNSAFE 😨',
      '→ Overall exposure level for pulse-sensor-proxy.service: 4.2 OK 🙂',
    ].join('\n')
    expect(parseExposure(output, 'pulse-sensor-proxy.service')).toEqual({score: 4.2, rating: 'OK'})
    expect(parseExposure('Unit nonexist.service not found.', 'nonexist.service')).toBeUndefined()
  })
})
