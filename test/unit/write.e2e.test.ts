import {readFile, stat, writeFile} from 'node:fs/promises'
import path from 'node:path'

import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {cli} from '../cli/run-cli.js'
import {buildTree, removeTree} from '../helpers/tree.js'

const DIR = '/etc/systemd/system'
const SERVICE = `${DIR}/pulse-sensor-proxy.service`
const FILES = [
  SERVICE,
  `${DIR}/pulse-sensor-proxy.service.d/lxc-access.conf`,
  `${DIR}/pulse-sensor-proxy-rotate-keys.service`,
  `${DIR}/pulse-sensor-proxy-rotate-keys.timer`,
]
let root: string

beforeAll(async () => {
  root = await buildTree('entries:\n  - {path: /etc, type: dir}\n')
})
afterAll(async () => {
  await removeTree(root)
})

describe('unit write', () => {
  it('--dry-run prints the plan and the units, and writes nothing', async () => {
    const run = await cli(['unit', 'write', '--root', root, '--dry-run'])
    expect(run.stderr).toBe('')
    expect(run.code).toBe(0)
    for (const file of FILES) expect(run.stdout).toContain(`create ${file} (0644 root:root)`)
    expect(run.stdout).toContain('+ExecStart=/usr/bin/pcp-harden rotate-keys')
    expect(run.stdout).toContain('+OnCalendar=quarterly')
    expect(run.stdout).toMatch(/dry run: nothing written\n$/)
    await expect(stat(path.join(root, DIR))).rejects.toThrow(/ENOENT/)
  })

  it('writes the selected units, which unit lint then passes, and keeps a backup of what it replaces', async () => {
    const first = await cli([
      'unit',
      'write',
      '--root',
      root,
      'pulse-sensor-proxy.service',
      'lxc-access.conf',
    ])
    expect(first.stderr).toBe('')
    expect(first.code).toBe(0)
    expect((await stat(path.join(root, SERVICE))).mode & 0o7777).toBe(0o644)
    await expect(stat(path.join(root, FILES[2] as string))).rejects.toThrow(/ENOENT/)
    const lint = await cli(['unit', 'lint', '--root', root, SERVICE])
    expect(lint.code).toBe(0)

    const again = await cli([
      'unit',
      'write',
      '--root',
      root,
      'pulse-sensor-proxy.service',
      'lxc-access.conf',
    ])
    expect(again.stdout).toContain('the units already say this: nothing written')

    const written = await readFile(path.join(root, SERVICE), 'utf8')
    await writeFile(path.join(root, SERVICE), '[Service]\nUser=root\n')
    const subnets = await cli([
      'unit',
      'write',
      '--root',
      root,
      'pulse-sensor-proxy.service',
      '--binary',
      '/opt/pulse/sensor-proxy/bin/pulse-sensor-proxy',
      '--allowed-subnets',
      '10.1.2.0/24,10.1.3.7',
    ])
    expect(subnets.code).toBe(0)
    expect(await readFile(path.join(root, `${SERVICE}.pcp-harden.bak`), 'utf8')).toBe(
      '[Service]\nUser=root\n',
    )
    const service = await readFile(path.join(root, SERVICE), 'utf8')
    expect(service).toContain('ExecStart=/opt/pulse/sensor-proxy/bin/pulse-sensor-proxy --config ')
    expect(service).toContain('IPAddressAllow=localhost 10.1.2.0/24 10.1.3.7/32\n')
    expect(service).not.toBe(written)
  })

  it('refuses bad values in one line (exit 3)', async () => {
    for (const [args, message] of [
      [['--binary', 'pulse-sensor-proxy'], /^.*--binary "pulse-sensor-proxy": expected an absolute path/],
      [['--binary', '/opt/my proxy'], /--binary "\/opt\/my proxy": expected an absolute path without blanks/],
      [['--user', 'Root!'], /--user "Root!": expected a user name/],
      [['--allowed-subnets', '10.0.0.0/33'], /--allowed-subnets "10.0.0.0\/33": not an IPv4 or IPv6/],
      [['pulse-sensor-proxy.socket'], /pulse-sensor-proxy.socket: no such unit \(expected one of /],
    ] as const) {
      const run = await cli(['unit', 'write', '--root', root, '--dry-run', ...args])
      expect(run.code, args.join(' ')).toBe(3)
      expect(run.stderr.trim().split('\n')).toEqual([expect.stringMatching(message)])
    }
  })
})
