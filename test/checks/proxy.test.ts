import {describe, expect, it} from 'vitest'

import {listenHost, parseSubnet} from '../../src/checks/proxy/config-analysis.js'
import {PROXY_CHECKS} from '../../src/checks/proxy/catalogue.js'
import {systemCronUser} from '../../src/checks/files/proxy-state.js'
import type {CheckResult} from '../../src/checks/types.js'
import {Host} from '../../src/host/host.js'
import {MemoryBackend, parseTreeSpec, type TreeEntry, type TreeSpec} from '../../src/host/tree.js'
import {SEED_CONFIG} from './pulse/proxy.js'
import {SEED_TREE, seedTreeBroken} from './seed-tree.js'

type Change = Partial<TreeEntry> & {path: string}

const P = 'pulse-sensor-proxy'
const S = `/var/lib/${P}`
const CONFIG = `/etc/${P}/config.yaml`
const JOURNAL = `${S}/ssh.d/rotation.json`
const PASSWD = parseTreeSpec(SEED_TREE, 'seed').entries.find((e) => e.path === '/etc/passwd')?.content ?? ''
const PROXY_LINE = `${P}:x:997:997::/nonexistent:/usr/sbin/nologin`

/** Every result of the PSP-ACCOUNT, PSP-CONF and PSP-FILE-006.. checks on an in-memory host. */
async function run(spec: TreeSpec, mtimeMs?: number): Promise<(CheckResult & {check: string})[]> {
  const host = new Host(new MemoryBackend(spec, 'test', mtimeMs))
  const checks = await Promise.all(PROXY_CHECKS.map((e) => e.load()))
  return (
    await Promise.all(checks.map(async (c) => (await c.run(host)).map((r) => ({...r, check: c.id}))))
  ).flat()
}

const broken = (brk: {with?: Change[]; without?: string[]}) => run(seedTreeBroken(brk))
const notPassing = (results: Awaited<ReturnType<typeof run>>) => results.filter((r) => r.status !== 'pass')
const config = (content: string): Change => ({path: CONFIG, content})
const passwd = (line: string): Change => ({path: '/etc/passwd', content: PASSWD.replace(PROXY_LINE, line)})

describe('the proxy checks on the seed tree', () => {
  it('all pass, each saying what it saw', async () => {
    const results = await run(seedTreeBroken({}))
    expect(notPassing(results)).toEqual([])
    const said = Object.fromEntries(results.map((r) => [r.check, r.message]))
    expect(said['PSP-CONF-001']).toBe('the metrics endpoint listens on 127.0.0.1:9127')
    expect(said['PSP-CONF-002']).toBe('allowed_source_subnets: 192.168.0.0/24, 10.0.0.0/8')
    expect(said['PSP-CONF-005']).toMatch(
      /^allow_idmapped_root is true \(the default\): every container in root's/,
    )
    expect(said['PSP-FILE-006']).toBe('a rotation is in progress: its staged key belongs to it')
    expect(said['PSP-ACCOUNT-002']).toBe('the shell is /usr/sbin/nologin')
  })
})

describe('PSP-CONF checks', () => {
  it('accept the loopback and disabled forms of metrics_address, and the default', async () => {
    for (const address of [
      '"[::1]:9127"',
      'localhost:9127',
      '127.0.0.2:9999',
      'disabled',
      'Disabled',
      'default',
      '""',
    ]) {
      const results = await broken({
        with: [config(`metrics_address: ${address}\nallowed_source_subnets: [10.1.0.0/16]\n`)],
      })
      expect(notPassing(results), address).toEqual([])
    }
    const none = await broken({without: [CONFIG]})
    expect(notPassing(none).map((r) => r.check)).toEqual(['PSP-CONF-003'])
    expect(none.find((r) => r.check === 'PSP-CONF-001')?.message).toBe(
      'the metrics endpoint listens on 127.0.0.1:9127 (the default) (no config.yaml: the proxy uses its defaults)',
    )
  })

  it('report metrics on every interface, IPv6 included', async () => {
    for (const [address, where] of [
      ['"0.0.0.0:9127"', 'every interface'],
      ['"[::]:9127"', 'every interface'],
      ['"[fd00::5]:9127"', 'fd00::5'],
      ['"9127"', 'an address the proxy cannot listen on'],
    ]) {
      const [fail] = notPassing(
        await broken({
          with: [
            config(`${SEED_CONFIG}metrics_address: ${address}\n`.replace(/^metrics_address: "127.*\n/m, '')),
          ],
        }),
      )
      expect(fail?.message, address).toContain(`endpoint on ${where}`)
    }
  })

  it('implied peers (uid 0, the proxy itself) and read-only allowed_peers are not admin grants', async () => {
    const results = await broken({
      with: [
        config(
          `${SEED_CONFIG}allowed_peer_uids: [0, 997, 1000]\nallowed_peer_gids: [0, 997]\n` +
            'allowed_peers:\n  - uid: 1000\n    capabilities: [read]\n  - {uid: 0, capabilities: [admin]}\n',
        ),
      ],
    })
    expect(notPassing(results)).toEqual([])
  })

  it('a token inline in a config.yaml only root and the proxy group can read is fine', async () => {
    const results = await broken({
      with: [{...config(`${SEED_CONFIG}http_auth_token: 4f9c2a\n`), mode: 0o640, group: P}],
    })
    expect(notPassing(results)).toEqual([])
    const alice = await broken({
      with: [{...config(`${SEED_CONFIG}http_auth_token: 4f9c2a\n`), mode: 0o640, group: 'alice'}],
    })
    expect(notPassing(alice).map((r) => [r.check, r.severity, r.message])).toEqual([
      [
        'PSP-CONF-006',
        'low',
        "http_auth_token is written in the file and group alice can read it: a local user who reads it can call the proxy's HTTP API from a source in allowed_source_subnets, which serves only the nodes' sensor readings (GET /temps) and /health",
      ],
    ])
  })

  it('a duplicate allowed_nodes block is rewritten by proxies from v4.31.1 on, and the message says so', async () => {
    const results = await broken({
      with: [config(`${SEED_CONFIG}allowed_nodes:\n  - pve1\nallowed_nodes:\n  - pve2\n`)],
    })
    expect(notPassing(results).map((r) => [r.check, r.line, r.message])).toEqual([
      [
        'PSP-CONF-008',
        7,
        'mapping key "allowed_nodes" already defined at line 5: the proxy refuses the file (from v4.31.1 on the proxy drops the later allowed_nodes block and rewrites the file; older ones do not start)',
      ],
    ])
  })

  it('a config.yaml it cannot read is an error of every PSP-CONF check, not a pass', async () => {
    const results = await broken({with: [{path: CONFIG, type: 'dir'}]})
    const conf = results.filter((r) => r.check.startsWith('PSP-CONF'))
    expect(conf.map((r) => r.status)).toEqual(Array(10).fill('error'))
    expect(conf[0]).toMatchObject({path: CONFIG, message: `${CONFIG}: is a directory`})
  })
})

describe('PSP-ACCOUNT checks', () => {
  it('a missing account fails PSP-ACCOUNT-001 only; the other account checks say why they passed', async () => {
    const spec = seedTreeBroken({})
    for (const e of spec.entries) if (e.owner === P) e.owner = '997'
    for (const e of spec.entries) if (e.group === P) e.group = '997'
    const entry = spec.entries.find((e) => e.path === '/etc/passwd') as TreeEntry
    entry.content = PASSWD.replace(`${PROXY_LINE}\n`, '')
    const results = await run(spec)
    expect(notPassing(results).map((r) => [r.check, r.path, r.message])).toEqual([
      [
        'PSP-ACCOUNT-001',
        '/etc/passwd',
        'there is no pulse-sensor-proxy account: the unit cannot run as it (without User= it runs as root)',
      ],
    ])
    expect(results.find((r) => r.check === 'PSP-ACCOUNT-003')?.message).toBe(
      'no pulse-sensor-proxy account to judge (see PSP-ACCOUNT-001)',
    )
  })

  it('uid 0 is root whatever the name, and root can create any home', async () => {
    const results = await broken({with: [passwd(`${P}:x:0:997::/nonexistent:/usr/sbin/nologin`)]})
    expect(notPassing(results).map((r) => [r.check, r.line, r.message])).toEqual([
      ['PSP-ACCOUNT-001', 3, 'pulse-sensor-proxy has uid 0: the proxy runs as root whatever User= says'],
      [
        'PSP-ACCOUNT-003',
        3,
        'the home /nonexistent does not exist, but pulse-sensor-proxy can create it in /',
      ],
    ])
  })

  it('accepts every nologin shell the installer and distributions use, and rejects an empty one', async () => {
    for (const shell of ['/sbin/nologin', '/bin/false', '/usr/bin/false'])
      expect(
        notPassing(await broken({with: [passwd(`${P}:x:997:997::/nonexistent:${shell}`)]})),
        shell,
      ).toEqual([])
    const empty = await broken({with: [passwd(`${P}:x:997:997::/nonexistent:`)]})
    expect(notPassing(empty).map((r) => r.check)).toEqual(['PSP-ACCOUNT-002'])
  })

  it('a home that exists but belongs to root and is closed to the account is not usable', async () => {
    const results = await broken({
      with: [
        passwd(`${P}:x:997:997::/srv/empty:/usr/sbin/nologin`),
        {path: '/srv/empty', type: 'dir', mode: 0o755},
      ],
    })
    expect(notPassing(results)).toEqual([])
    const open = await broken({
      with: [
        passwd(`${P}:x:997:997::/srv/empty:/usr/sbin/nologin`),
        {path: '/srv/empty', type: 'dir', mode: 0o777},
      ],
    })
    expect(notPassing(open).map((r) => r.message)).toEqual([
      'the home /srv/empty exists and pulse-sensor-proxy can write it',
    ])
  })
})

describe('PSP-FILE-006 to 009', () => {
  it('the previous key is rollback material while a rotation runs', async () => {
    const results = await broken({
      with: [{path: `${S}/ssh.d/prev/id_ed25519`, mode: 0o600, owner: P, group: P, content: 'old\n'}],
    })
    expect(notPassing(results)).toEqual([])
    expect(results.find((r) => r.check === 'PSP-FILE-007')?.message).toBe(
      'a rotation is in progress: the previous key is its rollback material',
    )
  })

  it('gives the age of a kept key from its modification time', async () => {
    const spec = seedTreeBroken({
      without: [JOURNAL, `${S}/ssh.d/next/id_ed25519`],
      with: [{path: `${S}/ssh.d/prev/id_ed25519`, mode: 0o600, owner: P, group: P, content: 'old\n'}],
    })
    const results = await run(spec, Date.now() - 40 * 24 * 60 * 60 * 1000 - 1000)
    expect(notPassing(results).map((r) => r.message)).toEqual([
      expect.stringMatching(/^the previous private key is still kept \(40 day\(s\) old\)/),
    ])
  })

  it('public keys in next/ and prev/ are no private keys', async () => {
    const results = await broken({
      without: [JOURNAL, `${S}/ssh.d/next/id_ed25519`],
      with: [
        {
          path: `${S}/ssh.d/next/id_ed25519.pub`,
          mode: 0o640,
          owner: P,
          group: P,
          content: 'ssh-ed25519 AAAA\n',
        },
      ],
    })
    expect(notPassing(results)).toEqual([])
  })

  it('reads system crontab lines as cron does: schedule, user, command', () => {
    expect(systemCronUser('*/5 * * * * pulse-sensor-proxy /x')).toBe('pulse-sensor-proxy')
    expect(systemCronUser('@reboot root /x')).toBe('root')
    expect(systemCronUser('  # 0 * * * * pulse-sensor-proxy /x')).toBeUndefined()
    expect(systemCronUser('MAILTO=root')).toBeUndefined()
    expect(systemCronUser('')).toBeUndefined()
  })

  it('a cron job in /etc/crontab and in a RHEL spool file are reported with their lines', async () => {
    const results = await broken({
      with: [
        {path: '/etc/crontab', content: `SHELL=/bin/sh\n0 4 * * * ${P} /usr/local/bin/x\n`},
        {path: `/var/spool/cron/${P}`, mode: 0o600, content: '# none\n\n@daily /tmp/y\n'},
      ],
    })
    expect(notPassing(results).map((r) => [r.check, r.path, r.line])).toEqual([
      ['PSP-FILE-009', `/var/spool/cron/${P}`, 3],
      ['PSP-FILE-009', '/etc/crontab', 2],
    ])
  })
})

describe('address helpers', () => {
  it('split host and port as Go does', () => {
    expect(listenHost('127.0.0.1:9127')).toBe('127.0.0.1')
    expect(listenHost('[::1]:9127')).toBe('::1')
    expect(listenHost(':9127')).toBe('')
    expect(listenHost('9127')).toBeUndefined()
    expect(listenHost('::1:9127')).toBeUndefined()
  })

  it('read subnets as net.ParseCIDR or a single address', () => {
    expect(parseSubnet('10.0.0.0/8')).toEqual({family: 4, prefix: 8})
    expect(parseSubnet('192.168.1.5')).toEqual({family: 4, prefix: 32})
    expect(parseSubnet('fd00::/48')).toEqual({family: 6, prefix: 48})
    expect(parseSubnet('10.0.0.0/33')).toBeUndefined()
    expect(parseSubnet('pve1')).toBeUndefined()
  })
})

describe('the remedies verify --fix applies to the proxy findings', () => {
  it('PSP-CONF-001: the metrics_address line back to loopback, where it is written on one line', async () => {
    const [fail] = notPassing(
      await broken({
        with: [config('  allowed_source_subnets: [10.1.0.0/16]\n  metrics_address: "0.0.0.0:9127" # lan\n')],
      }),
    )
    expect(fail).toMatchObject({
      check: 'PSP-CONF-001',
      line: 2,
      remedy: {
        kind: 'edit',
        path: CONFIG,
        edits: [
          {
            op: 'replace',
            line: 2,
            expect: '  metrics_address: "0.0.0.0:9127" # lan',
            text: '  metrics_address: "127.0.0.1:9127"',
          },
        ],
        restart: ['pulse-sensor-proxy.service'],
      },
    })
    // A block scalar continued below its key: no line edit could replace the whole value.
    const [block] = notPassing(
      await broken({
        with: [config('allowed_source_subnets: [10.1.0.0/16]\nmetrics_address: >-\n  0.0.0.0:9127\n')],
      }),
    )
    expect(block?.check).toBe('PSP-CONF-001')
    expect(block?.remedy).toBeUndefined()
    expect(block?.fix).toBeUndefined()
  })

  it('PSP-ACCOUNT-004: leaving a group is manual, with the exact gpasswd command', async () => {
    const group = parseTreeSpec(SEED_TREE, 'seed').entries.find((e) => e.path === '/etc/group')?.content ?? ''
    const results = await broken({
      with: [{path: '/etc/group', content: group.replace('adm:x:4:', `adm:x:4:${P}`)}],
    })
    expect(notPassing(results)).toEqual([
      expect.objectContaining({
        check: 'PSP-ACCOUNT-004',
        fix: `gpasswd --delete ${P} adm`,
        remedy: {
          kind: 'manual',
          command: `gpasswd --delete ${P} adm`,
          why: 'gpasswd keeps /etc/group and /etc/gshadow in step; pcp-harden edits neither account file',
        },
      }),
    ])
  })
})
