import {describe, expect, it} from 'vitest'

import {Host} from '../../src/host/host.js'
import {MemoryBackend} from '../../src/host/tree.js'
import {cidrToWildcards} from '../../src/pcp/access-findings.js'
import {auditHost} from '../helpers/audit.js'
import {ACCESS_BREAKS, seedAccess, seedTreeWith} from './seed-tree.js'

const PMCD_CONF = '/etc/pcp/pmcd/pmcd.conf'

async function audit(content: string) {
  const host = new Host(new MemoryBackend(seedTreeWith({path: PMCD_CONF, content}), 'access'))
  return auditHost(host, {
    rootLabel: 'access',
    profiles: ['pcp-collector'],
  })
}

describe('access checks on the seed tree', () => {
  it.each(ACCESS_BREAKS)('%s', async (_name, content, expected) => {
    const report = await audit(content)
    const fails = report.results.filter((r) => r.status === 'fail')
    expect(fails.map((f) => f.check).sort()).toEqual([...expected].sort())
    for (const f of fails) {
      expect(f.path).toBe(PMCD_CONF)
      expect(f.line).toBeGreaterThan(0)
    }
  })

  it("reports the line pmcd rejects, with pmcd's words", async () => {
    const report = await audit(ACCESS_BREAKS[0]![1])
    const fail = report.results.find((r) => r.check === 'PCP-ACCESS-001' && r.status === 'fail')
    expect(fail).toMatchObject({
      line: 3,
      message: 'pmcd rejects this configuration and will not start: bad access specifier',
    })
  })

  it('a CIDR rule gets the wildcards to write instead', async () => {
    const report = await audit(ACCESS_BREAKS[3]![1])
    const fail = report.results.find((r) => r.check === 'PCP-ACCESS-004')
    expect(fail?.message).toBe(
      '10.1.0.0/16 is CIDR, which pmcd does not understand: it ignores this rule; write 10.1.*',
    )
  })
})

describe('cidrToWildcards', () => {
  it.each([
    ['10.0.0.0/8', ['10.*']],
    ['10.1.0.0/16', ['10.1.*']],
    ['192.168.1.0/24', ['192.168.1.*']],
    ['192.168.2.0/23', ['192.168.2.*', '192.168.3.*']],
    ['10.0.0.0/14', ['10.0.*', '10.1.*', '10.2.*', '10.3.*']],
    ['10.1.2.3/32', ['10.1.2.3']],
    ['0.0.0.0/0', ['.*']],
    ['10.0.0.0/2', undefined],
    ['10.1.2.0/33', undefined],
    ['fe80::/10', undefined],
  ])('%s', (cidr, wildcards) => {
    expect(cidrToWildcards(cidr)).toEqual(wildcards)
  })
})

describe('rules that change nothing (PCP-ACCESS-009)', () => {
  const ineffective = async (statements: string) =>
    (await audit(seedAccess(statements))).results
      .filter((r) => r.check === 'PCP-ACCESS-009' && r.status === 'fail')
      .map((r) => r.line)

  it('a deny with a narrower exception at its base address still denies the rest of its range', async () => {
    expect(
      await ineffective(
        'disallow ".*" : store;\ndisallow ":*" : store;\ndisallow 10.* : fetch;\nallow 10.0.0.* : fetch;\nallow "local:*" : all;',
      ),
    ).toEqual([])
  })

  it('a deny under a broader deny of the same operations changes nothing', async () => {
    expect(
      await ineffective(
        'disallow ".*" : all;\ndisallow ":*" : all;\ndisallow 10.1.* : fetch;\nallow "local:*" : all;',
      ),
    ).toEqual([5])
  })
})
