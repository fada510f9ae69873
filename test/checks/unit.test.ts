import {describe, expect, it} from 'vitest'

import {analyzeUnit, PROXY_UNIT} from '../../src/checks/unit/analysis.js'
import {UNIT_CHECKS} from '../../src/checks/unit/catalogue.js'
import {Host} from '../../src/host/host.js'
import {MemoryBackend, parseTreeSpec, type TreeSpec} from '../../src/host/tree.js'
import {seedTreeWith, seedTreeWithout} from './seed-tree.js'

const UNIT = '/etc/systemd/system/pulse-sensor-proxy.service'
const DROP_IN = '/etc/systemd/system/pulse-sensor-proxy.service.d'
const host = (spec: TreeSpec) => new Host(new MemoryBackend(spec, 'test'))
const run = async (spec: TreeSpec) => {
  const h = host(spec)
  const checks = await Promise.all(UNIT_CHECKS.map((e) => e.load()))
  return (
    await Promise.all(checks.map(async (c) => (await c.run(h)).map((r) => ({check: c.id, ...r}))))
  ).flat()
}
const failures = async (spec: TreeSpec) => (await run(spec)).filter((r) => r.status !== 'pass')

describe('PSP-UNIT checks', () => {
  it('skip, saying why, when the host has no proxy unit', async () => {
    const results = await run(seedTreeWithout(UNIT, DROP_IN))
    expect(results).toHaveLength(UNIT_CHECKS.length)
    for (const r of results)
      expect(r).toMatchObject({status: 'skip', message: /no pulse-sensor-proxy.service unit/})
  })

  it('skip a masked unit and name the mask', async () => {
    const results = await run(seedTreeWith({path: UNIT, type: 'symlink', target: '/dev/null'}))
    for (const r of results) expect(r).toMatchObject({status: 'skip', message: /masked \(\/etc\/systemd/})
  })

  it('cannot judge a unit systemd refuses to load: an error with the line', async () => {
    const results = await run(seedTreeWith({path: UNIT, content: '[Service\nUser=pulse-sensor-proxy\n'}))
    for (const r of results)
      expect(r).toMatchObject({
        status: 'error',
        path: UNIT,
        message: /refuses to load the unit: line 1: Invalid section/,
      })
  })

  it('report DynamicUser=, a root user by uid and another user', async () => {
    for (const [content, message] of [
      ['[Service]\nUser=pulse-sensor-proxy\nDynamicUser=yes\n', /DynamicUser=yes: .* transient user/],
      ['[Service]\nUser=0\n', /User=0: the service runs as root/],
      ['[Service]\nUser=nobody\n', /User=nobody: expected the service user pulse-sensor-proxy/],
      ['[Service]\nGroup=root\n', /Group=root: the service reads and writes as group root/],
    ] as const) {
      const found = (await failures(seedTreeWith({path: `${DROP_IN}/user.conf`, content}))).filter(
        (r) => r.check === 'PSP-UNIT-001',
      )
      expect(found).toEqual([
        expect.objectContaining({path: `${DROP_IN}/user.conf`, message: expect.stringMatching(message)}),
      ])
    }
  })

  it('accept ProtectHome=true and tmpfs as well as the installer read-only', async () => {
    for (const value of ['true', 'yes', 'tmpfs', 'read-only'])
      expect(
        (
          await failures(
            seedTreeWith({path: `${DROP_IN}/home.conf`, content: `[Service]\nProtectHome=${value}\n`}),
          )
        ).filter((r) => r.check === 'PSP-UNIT-002'),
      ).toEqual([])
  })

  it('keep the allow list when a later ~ entry takes a group out of it', async () => {
    const spec = seedTreeWith({
      path: `${DROP_IN}/more.conf`,
      content: '[Service]\nSystemCallFilter=~@privileged\n',
    })
    expect((await failures(spec)).filter((r) => r.check === 'PSP-UNIT-003')).toEqual([])
  })

  it('report an allow list widened by a group @system-service leaves out', async () => {
    const spec = seedTreeWith({
      path: `${DROP_IN}/more.conf`,
      content: '[Service]\nSystemCallFilter=@mount @privileged\n',
    })
    expect((await failures(spec)).filter((r) => r.check === 'PSP-UNIT-003')).toEqual([
      expect.objectContaining({
        path: `${DROP_IN}/more.conf`,
        line: 2,
        message:
          'SystemCallFilter also allows @mount @privileged: groups @system-service leaves out on purpose',
      }),
    ])
  })

  it('say a world-writable socket directory lets anyone replace the socket', async () => {
    const spec = seedTreeWith({
      path: `${DROP_IN}/lxc-access.conf`,
      content: '[Service]\nRuntimeDirectoryMode=0777\n',
    })
    expect((await failures(spec)).filter((r) => r.check === 'PSP-UNIT-005')).toEqual([
      expect.objectContaining({line: 2, message: expect.stringMatching(/anyone can replace the socket/)}),
    ])
  })

  it('name what /etc/default/pulse-sensor-proxy sets when the unit loads it', async () => {
    const spec = seedTreeWith({
      path: '/etc/default/pulse-sensor-proxy',
      content: '# comment\nPULSE_SENSOR_PROXY_ALLOWED_SUBNETS="10.1.2.0/24"\n',
    })
    const result = (await run(spec)).find((r) => r.check === 'PSP-UNIT-007')
    expect(result).toMatchObject({
      status: 'pass',
      message: `/etc/default/pulse-sensor-proxy is loaded by ${UNIT}:11; it sets PULSE_SENSOR_PROXY_ALLOWED_SUBNETS (line 2)`,
    })
  })

  it('judge the unit in /lib/systemd/system when /etc has none, with the drop-ins of /etc', async () => {
    const seed = parseTreeSpec(
      `entries:\n  - {path: /lib/systemd/system/pulse-sensor-proxy.service, content: "[Service]\\nUser=root\\n"}\n  - {path: ${DROP_IN}/user.conf, content: "[Service]\\nUser=pulse-sensor-proxy\\n"}\n`,
      'test',
    )
    const analysis = await analyzeUnit(host(seed), PROXY_UNIT)
    expect(analysis).toMatchObject({
      state: 'judged',
      fragment: '/lib/systemd/system/pulse-sensor-proxy.service',
    })
    expect(
      analysis.state === 'judged' && analysis.findings.filter((f) => f.check === 'PSP-UNIT-001'),
    ).toEqual([])
  })
})
