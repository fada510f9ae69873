import {rm} from 'node:fs/promises'

import {afterAll, describe, expect, it} from 'vitest'

import {runningOutcome} from '../../src/checks/live/analysis.js'
import {LIVE_CHECKS} from '../../src/checks/live/catalogue.js'
import {Host} from '../../src/host/host.js'
import {MemoryBackend} from '../../src/host/tree.js'
import {DirProc} from '../../src/live/proc.js'
import {analyzeRunningHost} from '../../src/live/running.js'
import {decodeProcAddress} from '../../src/live/sockets.js'
import {seedTreeWith} from '../checks/seed-tree.js'
import {buildProc, type FixtureProcess} from './proc-fixture.js'

const dirs: string[] = []
afterAll(async () => {
  for (const dir of dirs) await rm(dir, {recursive: true, force: true})
})

const PMCD = '/usr/lib/pcp/bin/pmcd'
const PMPROXY = '/usr/lib/pcp/bin/pmproxy'
const ANY4 = '00000000'
const LOOP4 = '0100007F'
/** 10.1.2.5 as /proc/net/tcp writes it. */
const NET4 = '0502010A'
const LOOP6 = '00000000000000000000000001000000'

/** The seed tree (pmcd.options: -A -Q -i 10.1.2.5; PMPROXY_LOCAL=1) judged against a fixture /proc. */
async function judge(spec: Parameters<typeof buildProc>[0]) {
  const dir = await buildProc(spec)
  dirs.push(dir)
  return analyzeRunningHost(new Host(new MemoryBackend(seedTreeWith(), 'seed')), new DirProc(dir))
}

const seedPmcd = (extra: Partial<FixtureProcess> = {}): FixtureProcess => ({
  pid: 700,
  argv: [PMCD, '-A', '-Q', '-i', '10.1.2.5'],
  sockets: [5001],
  ...extra,
})

describe('/proc/net/tcp addresses', () => {
  it('decode as the kernel writes them (little-endian words)', () => {
    expect(decodeProcAddress(LOOP4)).toBe('127.0.0.1')
    expect(decodeProcAddress(NET4)).toBe('10.1.2.5')
    expect(decodeProcAddress(LOOP6)).toBe('::1')
    expect(decodeProcAddress('00000000000000000000000000000000')).toBe('::')
    expect(decodeProcAddress('0000000000000000FFFF00000100007F')).toBe('::ffff:127.0.0.1')
    expect(decodeProcAddress('B80D0120000000000000000001000000')).toBe('2001:db8::1')
    expect(decodeProcAddress('xyz')).toBeUndefined()
  })
})

describe('the running host against its files', () => {
  it('finds nothing to report when the running daemons match their files', async () => {
    const result = await judge({
      tcp: [
        {hex: NET4, port: 44321, inode: 5001},
        {hex: LOOP4, port: 44322, inode: 6001},
      ],
      tcp6: [{hex: LOOP6, port: 44322, inode: 6002}],
      processes: [
        seedPmcd(),
        {pid: 800, argv: [PMPROXY, '-F'], env: {PMPROXY_LOCAL: '1'}, sockets: [6001, 6002]},
      ],
    })
    expect(result.findings).toEqual([])
    expect(
      result.daemons.map((d) => [d.name, d.process.pid, d.listeners.map((l) => `${l.address}:${l.port}`)]),
    ).toEqual([
      ['pmcd', 700, ['10.1.2.5:44321']],
      ['pmproxy', 800, ['127.0.0.1:44322', '::1:44322']],
    ])
  })

  it('reports -Q in pmcd.options that the running pmcd lacks: a restart is needed', async () => {
    const result = await judge({
      tcp: [{hex: NET4, port: 44321, inode: 5001}],
      processes: [seedPmcd({argv: [PMCD, '-A', '-i', '10.1.2.5']})],
    })
    expect(result.findings).toEqual([
      {
        check: 'PCP-LIVE-001',
        path: '/etc/pcp/pmcd/pmcd.options',
        message:
          '/etc/pcp/pmcd/pmcd.options has -Q, the running pmcd has not: the change is not in force until pmcd ' +
          'restarts (systemctl restart pmcd)',
        evidence: `pid 700: ${PMCD} -A -i 10.1.2.5`,
        // A restart drops every client: the admin runs it once the files pass the other checks.
        fix: 'systemctl restart pmcd',
        remedy: {
          kind: 'manual',
          command: 'systemctl restart pmcd',
          why: 'the restart drops every pmcd client, and pmcd must start with its files: fix their other findings first',
        },
      },
    ])
  })

  it('reports a pmcd on every interface where the files say 10.1.2.5, and a pmproxy on the network despite PMPROXY_LOCAL=1', async () => {
    const result = await judge({
      tcp: [
        {hex: ANY4, port: 44321, inode: 5001},
        {hex: ANY4, port: 44322, inode: 6001},
      ],
      processes: [
        seedPmcd({argv: [PMCD, '-A', '-Q']}),
        {pid: 800, argv: [PMPROXY, '-F'], env: {}, sockets: [6001]},
      ],
    })
    expect(result.findings.map((f) => [f.check, f.message])).toEqual([
      [
        'PCP-LIVE-001',
        '/etc/pcp/pmcd/pmcd.options has -i 10.1.2.5, the running pmcd has not: the change is not in force until ' +
          'pmcd restarts (systemctl restart pmcd)',
      ],
      [
        'PCP-LIVE-002',
        'pmcd (pid 700) listens on 0.0.0.0 port 44321, which its configuration does not predict (10.1.2.5, port 44321): every interface',
      ],
      [
        'PCP-LIVE-001',
        '/etc/default/pmproxy sets PMPROXY_LOCAL=1, the running pmproxy was started without it (it listens beyond ' +
          'loopback): the change is not in force until pmproxy restarts (systemctl restart pmproxy)',
      ],
      [
        'PCP-LIVE-002',
        'pmproxy (pid 800) listens on 0.0.0.0 port 44322, but its configuration says loopback only (PMPROXY_LOCAL=1)',
      ],
    ])
    expect(result.findings[1]?.evidence).toMatch(/\/net\/tcp line 2$/)
  })

  it('leaves out daemons the service manager did not start (a test pmcd, pmcd -v)', async () => {
    const result = await judge({
      tcp: [{hex: ANY4, port: 40000, inode: 5001}],
      processes: [seedPmcd({ppid: 4242, argv: [PMCD, '-f', '-p', '40000']})],
    })
    expect(result).toEqual({daemons: [], findings: []})
  })
})

describe('the PCP-LIVE checks', () => {
  it('skip offline, saying why', async () => {
    const host = new Host(new MemoryBackend(seedTreeWith(), 'seed'))
    for (const entry of LIVE_CHECKS) {
      const results = await (await entry.load()).run(host)
      expect(results).toEqual([
        {status: 'skip', message: expect.stringMatching(/^not applicable: .*--root \//)},
      ])
    }
  })

  it('say when no daemon runs', async () => {
    const dir = await buildProc({processes: []})
    dirs.push(dir)
    const outcome = await runningOutcome(
      new Host(new MemoryBackend(seedTreeWith(), 'seed')),
      new DirProc(dir),
    )
    expect(outcome).toEqual({
      state: 'absent',
      reason: 'neither pmcd nor pmproxy is running as a service on this machine',
    })
  })
})
