import {mkdir, mkdtemp, rm, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import path from 'node:path'

import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {UNIT_CHECKS} from '../../src/checks/unit/catalogue.js'
import {
  runSystemdAnalyze,
  securityScore,
  systemdAnalyzeBinary,
  verifyArgv,
} from '../../src/exec/systemd-analyze.js'
import {DiskBackend} from '../../src/host/backend.js'
import {Host} from '../../src/host/host.js'
import {checkCidr, DEFAULT_UNIT_OPTIONS, renderUnits, type UnitOptions} from '../../src/render/units.js'
import {UNIT_NAMES} from '../../src/render/unit-names.js'
import {auditHost} from '../helpers/audit.js'

const BINARY = systemdAnalyzeBinary() as string
/** Executables that exist here: systemd-analyze verify rejects an ExecStart= it cannot find. */
const RUNNABLE: UnitOptions = {...DEFAULT_UNIT_OPTIONS, binary: '/bin/true', pcpHarden: '/bin/true'}

let scratch: string
beforeAll(async () => {
  scratch = await mkdtemp(path.join(tmpdir(), 'pcp-harden-units-'))
})
afterAll(async () => {
  await rm(scratch, {recursive: true, force: true})
})

/** Render into a fresh root of its own; returns the root. */
async function renderInto(
  name: string,
  options: UnitOptions,
  files: {path: string; content: string}[] = renderUnits(UNIT_NAMES, options),
) {
  const root = path.join(scratch, name)
  for (const unit of files) {
    await mkdir(path.join(root, path.dirname(unit.path)), {recursive: true})
    await writeFile(path.join(root, unit.path), unit.content)
  }
  return root
}

const score = async (root: string, unit = 'pulse-sensor-proxy.service') => {
  const result = await securityScore(BINARY, root, unit)
  if (!('exposure' in result)) throw new Error(result.output)
  return result.exposure.score
}

describe('the rendered units', () => {
  it('are accepted by systemd-analyze verify', async () => {
    const root = await renderInto('verify', RUNNABLE)
    const files = [
      'pulse-sensor-proxy.service',
      'pulse-sensor-proxy-rotate-keys.service',
      'pulse-sensor-proxy-rotate-keys.timer',
    ]
    const [command, args] = verifyArgv(
      BINARY,
      files.map((f) => path.join(root, 'etc/systemd/system', f)),
    )
    const run = await runSystemdAnalyze(command, args)
    expect(run.output).toBe('')
    expect(run.exitCode).toBe(0)
  })

  it('score 2.0 or lower in systemd-analyze security, with or without --allowed-subnets', async () => {
    expect(await score(await renderInto('score', DEFAULT_UNIT_OPTIONS))).toBeLessThanOrEqual(2.0)
    const subnets = {...DEFAULT_UNIT_OPTIONS, allowedSubnets: ['10.1.2.0/24']}
    expect(await score(await renderInto('score-subnets', subnets))).toBeLessThanOrEqual(2.0)
  })

  it('against about 4.2 for seed 004 directive set, which proves the measurement', async () => {
    const seed004 = [
      '[Service]',
      'ExecStart=/usr/local/bin/pulse-sensor-proxy',
      'User=pulse-sensor-proxy',
      'Group=pulse-sensor-proxy',
      'NoNewPrivileges=true',
      'ProtectSystem=strict',
      'ProtectHome=true',
      'PrivateTmp=true',
      'SystemCallFilter=@system-service',
      'CapabilityBoundingSet=',
      'RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6',
      '',
    ].join('\n')
    const root = await renderInto('seed004', DEFAULT_UNIT_OPTIONS, [
      {
        path: '/etc/systemd/system/pulse-sensor-proxy.service',
        content: seed004,
      },
    ])
    expect(await score(root)).toBeCloseTo(4.2, 1)
  })

  it('are scored by PSP-UNIT-008 as systemd-analyze scores the root itself, drop-ins included', async () => {
    const [service, dropIn] = renderUnits(
      ['pulse-sensor-proxy.service', 'lxc-access.conf'],
      DEFAULT_UNIT_OPTIONS,
    )
    const weakening = {
      path: '/etc/systemd/system/pulse-sensor-proxy.service.d/zz-weaker.conf',
      content: '[Service]\nUser=\nSystemCallFilter=\nProtectSystem=no\n',
    }
    const hardened = await score(await renderInto('differential-base', DEFAULT_UNIT_OPTIONS))
    const root = await renderInto('differential', DEFAULT_UNIT_OPTIONS, [service!, dropIn!, weakening])
    const direct = await score(root)
    const check = await (
      await import('../../src/checks/unit/psp-unit-008.js')
    ).check.run(new Host(new DiskBackend(root)))
    // The drop-in counts: it makes the score worse (3.5 against 1.4 with systemd 252).
    expect(direct).toBeGreaterThan(hardened)
    expect(check).toEqual([
      expect.objectContaining({
        status: direct > 4.2 ? 'fail' : 'pass',
        message: expect.stringContaining(`rates pulse-sensor-proxy.service ${direct.toFixed(1)} `),
      }),
    ])
  })

  it('pass every PSP-UNIT check', async () => {
    const root = await renderInto('checks', DEFAULT_UNIT_OPTIONS)
    const report = await auditHost(new Host(new DiskBackend(root)), {
      rootLabel: root,
      profiles: ['pulse-proxy'],
      only: UNIT_CHECKS.map((e) => e.id),
    })
    expect(report.results.map((r) => [r.check, r.status])).toEqual(UNIT_CHECKS.map((e) => [e.id, 'pass']))
  })

  it('say why each directive they leave out is left out', () => {
    const [service] = renderUnits(['pulse-sensor-proxy.service'], DEFAULT_UNIT_OPTIONS)
    expect(service?.content).toMatch(/^# PrivateUsers= .*SO_PEERCRED/m)
    expect(service?.content).toMatch(/^# PrivateNetwork= is left out: .*SSH/m)
    expect(service?.content).toMatch(/^# IPAddressDeny= is left out/m)
    expect(service?.content).not.toMatch(/^IPAddress/m)
    const [withSubnets] = renderUnits(['pulse-sensor-proxy.service'], {
      ...DEFAULT_UNIT_OPTIONS,
      allowedSubnets: ['10.1.2.0/24', 'fd00::/8'],
    })
    expect(withSubnets?.content).toMatch(
      /^IPAddressDeny=any\nIPAddressAllow=localhost 10.1.2.0\/24 fd00::\/8$/m,
    )
  })
})

describe('--allowed-subnets values', () => {
  it('are normalised to address/prefix', () => {
    expect(checkCidr('10.1.2.0/24')).toBe('10.1.2.0/24')
    expect(checkCidr('192.0.2.7')).toBe('192.0.2.7/32')
    expect(checkCidr('2001:db8::/32')).toBe('2001:db8::/32')
  })

  it('are refused, in one line, when they are not CIDRs', () => {
    for (const bad of ['10.1.2.0/33', '10.1.2/24', 'example.com', '10.1.2.0/24/1', '::/129', '10.0.0.0/x'])
      expect(() => checkCidr(bad)).toThrow(/^--allowed-subnets ".*": not an IPv4 or IPv6 address\/prefix$/)
  })
})
