import {describe, expect, it} from 'vitest'

import {PMCD_CHECKS} from '../../src/checks/pmcd/catalogue.js'
import type {CheckResult} from '../../src/checks/types.js'
import {Host} from '../../src/host/host.js'
import {MemoryBackend, parseTreeSpec, type TreeSpec} from '../../src/host/tree.js'
import {auditHost} from '../helpers/audit.js'
import {PMCD_BREAKS, seedTreeWithAll} from './pmcd-breaks.js'
import {SEED_TREE, seedAccess, seedTreeWith} from './seed-tree.js'

const OPTIONS = '/etc/pcp/pmcd/pmcd.options'
const ENV = '/etc/default/pmcd'

type Result = CheckResult & {check: string}

/** Every PCP-PMCD check's results on a host built from a tree. */
async function pmcdResults(spec: TreeSpec): Promise<Result[]> {
  const host = new Host(new MemoryBackend(spec, 'pmcd'))
  const results: Result[] = []
  for (const entry of PMCD_CHECKS) {
    const check = await entry.load()
    for (const r of await check.run(host)) results.push({check: check.id, ...r})
  }
  return results
}

const failures = (results: Result[]) => results.filter((r) => r.status === 'fail')
const of = (results: Result[], id: string) => results.filter((r) => r.check === id)

describe('the PCP-PMCD checks on the seed tree', () => {
  it('all pass on the unmodified seed tree', async () => {
    const results = await pmcdResults(parseTreeSpec(SEED_TREE, 'seed'))
    expect(results.map((r) => [r.check, r.status])).toEqual(PMCD_CHECKS.map((e) => [e.id, 'pass']))
  })

  it('skip without pmcd.conf', async () => {
    const spec = parseTreeSpec(SEED_TREE, 'seed')
    spec.entries = spec.entries.filter((e) => e.path !== '/etc/pcp/pmcd/pmcd.conf')
    const results = await pmcdResults(spec)
    expect(new Set(results.map((r) => r.status))).toEqual(new Set(['skip']))
  })
})

describe('each break of the seed tree fails exactly the checks it names, with the line', () => {
  it.each(PMCD_BREAKS)('%s', async (_name, changes, expected, message) => {
    const spec = seedTreeWithAll(changes)
    const fails = failures(await pmcdResults(spec))
    expect(fails.map((f) => f.check)).toEqual(expected)
    expect(fails[0]?.message).toMatch(message)
    for (const f of fails) expect(changes.map((c) => c.path)).toContain(f.path)

    // Nothing else in the catalogue reports it.
    const pmcdIds = PMCD_CHECKS.map((e) => e.id)
    const report = await auditHost(new Host(new MemoryBackend(spec, 'pmcd')), {
      rootLabel: 'pmcd',
      profiles: ['pcp-collector'],
      skip: pmcdIds,
    })
    expect(report.results.filter((r) => r.status === 'fail').map((r) => r.check)).toEqual([])
  })

  it('gives the line of the offending option', async () => {
    const [, changes] = PMCD_BREAKS.find(([, , ids]) => ids[0] === 'PCP-PMCD-001')!
    const [fail] = failures(await pmcdResults(seedTreeWithAll(changes)))
    expect(fail).toMatchObject({path: OPTIONS, line: 2})
  })
})

async function resultsWith(...changes: Parameters<typeof seedTreeWith>[0][]): Promise<Result[]> {
  const [first, ...rest] = changes
  return pmcdResults(seedTreeWithAll([first!, ...rest]))
}

describe('PCP-PMCD-001: pmcd starts with its options and environment as written', () => {
  it('a trailing comment in /etc/default/pmcd stops rc_pmcd under dash; the network checks skip', async () => {
    const results = await resultsWith({path: ENV, content: 'PMCD_ROOT_AGENT=1\nPMCD_LOCAL=1  # local only\n'})
    expect(failures(results)).toEqual([expect.objectContaining({check: 'PCP-PMCD-001', path: ENV, line: 2})])
    expect(of(results, 'PCP-PMCD-003')[0]).toMatchObject({
      status: 'skip',
      message: 'not applicable: rc_pmcd stops on /etc/default/pmcd (PCP-PMCD-001)',
    })
  })

  it('under bash the rc script goes on, and PMCD_LOCAL=1 is in force', async () => {
    const results = await resultsWith(
      {path: ENV, content: 'PMCD_LOCAL=1  # local only\n'},
      {path: '/bin/sh', type: 'symlink', target: 'bash'},
    )
    expect(failures(results).map((f) => [f.check, f.line])).toEqual([['PCP-PMCD-001', 1]])
    expect(failures(results)[0]?.message).toMatch(/bash rejects it \("not a valid identifier"\) and goes on$/)
    expect(of(results, 'PCP-PMCD-003')[0]?.message).toBe('pmcd listens on 10.1.2.5, INADDR_LOOPBACK only')
  })

  it('-U with a user the host does not have', async () => {
    const results = await resultsWith({path: OPTIONS, content: '-A\n-Q\n-i 10.1.2.5\n-U pmcd\n'})
    expect(failures(results)).toEqual([
      expect.objectContaining({
        check: 'PCP-PMCD-001',
        line: 4,
        message: expect.stringMatching(/^-U pmcd: there is no such user/),
      }),
    ])
  })

  it('an -i pmcd cannot bind: it starts, but does not listen there', async () => {
    const results = await resultsWith({path: OPTIONS, content: '-A\n-Q\n-i 10.1.2.5\n-i collector.example\n'})
    expect(failures(results).map((f) => [f.check, f.line])).toEqual([['PCP-PMCD-001', 4]])
    expect(failures(results)[0]?.message).toMatch(
      /^pmcd starts, but pmcd cannot listen on "collector.example"/,
    )
  })
})

describe('PCP-PMCD-002 and PCP-PMCD-004: lines rc_pmcd skips', () => {
  it('"export PMCD_LOCAL=1" is reported once, by PCP-PMCD-004, with why', async () => {
    const results = await resultsWith({
      path: ENV,
      content: 'export PMCD_LOCAL=1\nexport PMCD_MAXPENDING=10\n',
    })
    expect(failures(results).map((f) => [f.check, f.line])).toEqual([
      ['PCP-PMCD-002', 2],
      ['PCP-PMCD-004', 1],
    ])
    expect(of(results, 'PCP-PMCD-004')[0]?.message).toBe(
      'this line means PMCD_LOCAL=1 (loopback only), but pmcd does not get it: rc_pmcd uses only lines that start ' +
        'with PMCD or PCP, and skips this one',
    )
  })

  it.each([
    ['PMCD_LOCAL=yes', 'pmcd reads PMCD_LOCAL as a number (atoi), and "yes" is 0'],
    [
      'PMCD_LOCAL= 1',
      'the shell splits the line at its spaces, so PMCD_LOCAL does not get the value written',
    ],
    [
      'PMCD_LOCAL = 1',
      'the shell splits the line at its spaces, so PMCD_LOCAL does not get the value written',
    ],
  ])('%s', async (content, why) => {
    const results = await resultsWith(
      {path: ENV, content: `${content}\n`},
      {path: '/bin/sh', type: 'symlink', target: 'bash'},
    )
    expect(of(results, 'PCP-PMCD-004')[0]?.message).toMatch(new RegExp(`${why.replace(/[()]/g, '\\$&')}$`))
  })

  it('PMCD_LOCAL=0 written last is what the admin wants', async () => {
    const results = await resultsWith({path: ENV, content: 'PMCD_LOCAL="1"\nPMCD_LOCAL=0\n'})
    expect(of(results, 'PCP-PMCD-004')[0]?.status).toBe('pass')
  })
})

describe('PCP-PMCD-003: binding', () => {
  it('-i INADDR_ANY is every interface: reported at its line', async () => {
    const results = await resultsWith({path: OPTIONS, content: '-A\n-Q\n-i INADDR_ANY\n'})
    expect(failures(results)).toEqual([
      expect.objectContaining({
        check: 'PCP-PMCD-003',
        line: 3,
        message: expect.stringMatching(/^-i INADDR_ANY makes/),
      }),
    ])
  })

  it('PMCD_LOCAL=1 without -i: loopback only', async () => {
    const results = await resultsWith(
      {path: OPTIONS, content: '-A\n-Q\n'},
      {path: ENV, content: 'PMCD_LOCAL=1\n'},
    )
    expect(failures(results)).toEqual([])
    expect(of(results, 'PCP-PMCD-003')[0]?.message).toBe('pmcd listens on INADDR_LOOPBACK only')
  })

  it('every interface, but no remote host may connect', async () => {
    const results = await resultsWith(
      {path: OPTIONS, content: '-A\n'},
      {
        path: '/etc/pcp/pmcd/pmcd.conf',
        content: seedAccess('disallow ".*" : all;\ndisallow ":*" : all;\nallow "local:*" : all;'),
      },
      {path: '/etc/pcp/pmcd/pmcd.conf.access', content: 'allow "local:*" : all;\n'},
    )
    expect(failures(results)).toEqual([])
  })
})

describe('PCP-PMCD-005: only the clients that can reach pmcd count', () => {
  const ipv6Only = seedAccess(
    'disallow ".*" : all;\nallow ":*" : fetch, maximum 5 connections;\nallow "local:*" : all;',
  )
  it.each([
    ['-i 10.1.2.5', 'pass'],
    ['-i 2001:db8::5', 'fail'],
  ])('IPv6 hosts may fetch, pmcd listens on %s: %s', async (listen, status) => {
    const results = await resultsWith(
      {path: OPTIONS, content: `-A\n${listen}\n`},
      {path: '/etc/pcp/pmcd/pmcd.conf', content: ipv6Only},
      {path: '/etc/pcp/pmcd/pmcd.conf.access', content: 'allow "local:*" : all;\n'},
      {path: '/etc/pcp/tls.conf', content: '# no TLS\n'},
    )
    expect(of(results, 'PCP-PMCD-005')[0]?.status).toBe(status)
  })
})

describe('PCP-PMCD-006: PCP_TLSCONF_PATH moves tls.conf', () => {
  it('TLS set up in the file pmcd reads', async () => {
    const results = await resultsWith(
      {path: OPTIONS, content: '-A\n-S\n-i 10.1.2.5\n'},
      {path: ENV, content: 'PCP_TLSCONF_PATH=/etc/pcp/none.conf\n'},
      {path: '/etc/pcp/none.conf', content: '# nothing\n'},
    )
    expect(of(results, 'PCP-PMCD-006')[0]).toMatchObject({status: 'pass', path: '/etc/pcp/none.conf'})
  })
})

describe("PCP-PMCD-008: seed 000's settings", () => {
  it('in pmcd.options, each with what pmcd does instead', async () => {
    const seed =
      '-l ssl\n-c /etc/pcp/ssl/pmcd.crt\n-k /etc/pcp/ssl/pmcd.key\n-C /etc/pcp/ssl/ca.crt\n-x no_exec\n' +
      '-a /etc/pcp/pmda/allowed_agents\n-f /var/log/pcp/pmcd.log\nPCD_HOST=localhost\n'
    const results = of(await resultsWith({path: OPTIONS, content: seed}), 'PCP-PMCD-008')
    expect(results.map((r) => [r.line, r.message.replace(/^not a PCP setting: /, '').slice(0, 30)])).toEqual([
      [1, `-l is pmcd's log file: "-l ssl`],
      [2, "-c is pmcd's configuration fil"],
      [3, '-k is not a pmcd option: pmcd '],
      [4, '-C is not a pmcd option: pmcd '],
      [5, "-x is the file for pmcd's fata"],
      [6, '-a is not a pmcd option: pmcd '],
      [7, "-f is pmcd's foreground switch"],
      [8, 'PCD_HOST: rc_pmcd skips the li'],
    ])
  })

  it('PCD_HOST in pmcd.conf: an agent pmcd skips, or a statement it rejects', async () => {
    const conf = `PCD_HOST=localhost\n${seedAccess('disallow ".*" : all;\nPCD_PORT=44321\nallow "local:*" : all;')}`
    const results = of(await resultsWith({path: '/etc/pcp/pmcd/pmcd.conf', content: conf}), 'PCP-PMCD-008')
    expect(results.map((r) => [r.line, r.message])).toEqual([
      [
        1,
        'not a PCP setting: PCD_HOST: pmcd reads it as an agent named "PCD_HOST=localhost", logs "expected domain ' +
          'number" and skips it; pmcd binds with -i ADDR in pmcd.options (or PMCD_LOCAL=1 in /etc/default/pmcd for ' +
          'loopback only)',
      ],
      [
        5,
        'not a PCP setting: PCD_PORT: in [access] pmcd rejects it ("allow or disallow statement expected") and does ' +
          'not start; the port is -p PORT in pmcd.options (or PMCD_PORT in /etc/default/pmcd); the default is 44321',
      ],
    ])
  })

  it("seed 000's /etc/pcp/sasl/pmcd.conf", async () => {
    const results = await resultsWith({
      path: '/etc/pcp/sasl/pmcd.conf',
      content: 'mech_list: plain scram-sha-256\n',
    })
    expect(failures(results)).toEqual([
      expect.objectContaining({check: 'PCP-PMCD-008', path: '/etc/pcp/sasl/pmcd.conf'}),
    ])
  })
})

describe('PCP-PMCD-009: foreground', () => {
  it.each(['-AQf', '--foreground'])('%s survives rc_pmcd', async (option) => {
    const results = await resultsWith({path: OPTIONS, content: `${option}\n-Q\n-i 10.1.2.5\n`})
    expect(failures(results)).toEqual([expect.objectContaining({check: 'PCP-PMCD-009', line: 1})])
  })

  it('a separate -f is removed by rc_pmcd', async () => {
    const results = await resultsWith({path: OPTIONS, content: '-A\n-f\n-Q\n-i 10.1.2.5\n'})
    expect(failures(results)).toEqual([])
  })
})
