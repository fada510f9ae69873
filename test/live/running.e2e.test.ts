import {execFileSync} from 'node:child_process'
import {mkdtemp, rm, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import path from 'node:path'

import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {processesNamed} from '../../src/live/processes.js'
import {SYSTEM_PROC} from '../../src/live/proc.js'
import {readListeners, socketOwners} from '../../src/live/sockets.js'
import {type RunningPmcd, startPmcd} from '../helpers/pmcd.js'

describe('the /proc reader on this machine', () => {
  let dir: string
  let pmcd: RunningPmcd
  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'pcp-harden-live-'))
    const config = path.join(dir, 'pmcd.conf')
    await writeFile(config, 'pmcd 2 dso pmcd_init /var/lib/pcp/pmdas/pmcd/pmda_pmcd.so\n')
    pmcd = await startPmcd(dir, config, {args: ['-Q', '-A'], env: {PMCD_LOCAL: '1'}})
  }, 60_000)
  afterAll(async () => {
    await pmcd?.stop()
    await rm(dir, {recursive: true, force: true})
  })

  it('finds a real pmcd with its real arguments, environment and parent', () => {
    const found = processesNamed(SYSTEM_PROC, 'pmcd').find((p) => p.pid === pmcd.process.pid)
    expect(found).toBeDefined()
    expect(found?.argv.slice(1)).toEqual([
      '-f',
      '-p',
      String(pmcd.port),
      '-s',
      path.join(dir, 'pmcd.sock'),
      '-l',
      pmcd.log,
      '-c',
      path.join(dir, 'pmcd.conf'),
      '-Q',
      '-A',
    ])
    expect(found?.env?.get('PMCD_LOCAL')).toBe('1')
    expect(found?.ppid).toBe(process.pid)
  })

  it("traces pmcd's listening sockets to its pid: loopback only under PMCD_LOCAL=1", () => {
    const listeners = readListeners(SYSTEM_PROC).filter((l) => l.port === pmcd.port)
    const owners = socketOwners(SYSTEM_PROC, new Set(listeners.map((l) => l.inode)))
    const own = listeners.filter((l) =>
      owners.get(l.inode)?.some((o) => o.pid === pmcd.process.pid && o.comm === 'pmcd'),
    )
    expect(own.length).toBeGreaterThan(0)
    for (const l of own) expect(['127.0.0.1', '::1']).toContain(l.address)
  })

  it("reads pmcd's listeners as ss(8) shows them", () => {
    const ss = execFileSync('ss', ['-ltnH', `sport = :${pmcd.port}`], {encoding: 'utf8'})
      .trim()
      .split('\n')
      .map((line) => (line.trim().split(/\s+/)[3] ?? '').replace(/^\[(.*)\]/, '$1'))
      .sort()
    const ours = readListeners(SYSTEM_PROC)
      .filter((l) => l.port === pmcd.port)
      .map((l) => `${l.address}:${l.port}`)
      .sort()
    expect(ours.length).toBeGreaterThan(0)
    expect(ours).toEqual(ss)
  })
})
