import {copyFile, mkdir, mkdtemp, readFile, rm, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import path from 'node:path'

import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {cli} from '../cli/run-cli.js'
import {createNetns, type Netns} from '../helpers/netns.js'
import {startPmcd} from '../helpers/pmcd.js'

const PMDA = 'pmcd\t2\tdso\tpmcd_init\t/var/lib/pcp/pmdas/pmcd/pmda_pmcd.so\n'

let scratch: string
let netns: Netns
/** A root whose pmcd.log a real pmcd wrote while refusing a remote client by [access]. */
let refusedRoot: string
/** A root whose pmcd.log a real pmcd wrote while two remote clients failed SASL authentication. */
let authRoot: string

/** Run a real pmcd with this [access] section, let `clients` connect from the namespace, keep its log. */
async function pmcdLog(name: string, access: string, clients: string[][]): Promise<string> {
  const dir = path.join(scratch, name)
  await mkdir(dir)
  const config = path.join(dir, 'pmcd.conf')
  await writeFile(config, `${PMDA}[access]\n${access}`)
  const pmcd = await startPmcd(dir, config)
  try {
    for (const query of clients) {
      const host = `${netns.hostAddress}:${pmcd.port}${query[0] ?? ''}`
      const run = await netns.exec(['pminfo', '-h', host, 'pmcd.numclients'])
      // Every client here is refused, by [access] or by SASL.
      expect(run.exitCode, run.stdout + run.stderr).not.toBe(0)
    }
    // pmcd writes its log unbuffered, but after it has answered the client.
    await new Promise((r) => setTimeout(r, 300))
  } finally {
    await pmcd.stop()
  }
  const root = path.join(scratch, `${name}-root`)
  await mkdir(path.join(root, 'var/log/pcp/pmcd'), {recursive: true})
  await copyFile(pmcd.log, path.join(root, 'var/log/pcp/pmcd/pmcd.log'))
  return root
}

beforeAll(async () => {
  scratch = await mkdtemp(path.join(tmpdir(), 'pcp-harden-logs-'))
  netns = await createNetns()
  refusedRoot = await pmcdLog(
    'refused',
    'disallow ".*" : all;\ndisallow ":*" : all;\nallow "local:*" : all;\n',
    [[''], ['']],
  )
  authRoot = await pmcdLog('auth', 'allow ".*" : all;\nallow user root : fetch;\n', [
    ['?username=mallory&password=wrong&method=plain'],
    ['?username=mallory&password=again&method=plain'],
  ])
}, 90_000)

afterAll(async () => {
  await netns?.remove()
  await rm(scratch, {recursive: true, force: true})
})

describe('pcp-harden logs on logs real pmcd runs wrote', () => {
  it('counts an access rejection once per host, as pmcd logs it, and warns above -w', async () => {
    const log = await readFile(path.join(refusedRoot, 'var/log/pcp/pmcd/pmcd.log'), 'utf8')
    expect(log).toContain(`access violation from host ${netns.nsAddress}`)
    const run = await cli(['logs', '--root', refusedRoot, '-w', '0', '-c', '5'])
    expect(run.stderr).toBe('')
    expect(run.code).toBe(1)
    expect(run.stdout.split('\n')[0]).toBe(
      'PCP-HARDEN-LOGS WARNING - 1 pmcd access rejection, 0 pmcd authentication failures | ' +
        'access_rejections=1;0;5;0 auth_failures=0;0;5;0',
    )
  })

  it('counts each failed SASL login, CRITICAL above -c', async () => {
    const run = await cli(['logs', '--root', authRoot, '-w', '0', '-c', '1'])
    expect(run.stderr).toBe('')
    expect(run.stdout.split('\n')[0]).toMatch(
      / - 0 pmcd access rejections, 2 pmcd authentication failures \| .*auth_failures=2;0;1;0$/,
    )
    expect(run.code).toBe(2)
    expect((await cli(['logs', '--root', authRoot, '-w', '2', '-c', '5'])).code).toBe(0)
  })

  it('--since leaves out what came before: a time after the run counts nothing', async () => {
    const later = new Date(Date.now() + 3_600_000).toISOString().slice(0, 16)
    const run = await cli(['logs', '--root', authRoot, '--since', later])
    expect(run.code).toBe(0)
    expect(run.stdout).toMatch(
      /^PCP-HARDEN-LOGS OK - 0 pmcd access rejections, 0 pmcd authentication failures since /,
    )
    expect((await cli(['logs', '--root', authRoot, '--since', '1h'])).stdout).toContain('auth_failures=2;')
  })
})

/** Journal entries as `journalctl -u pulse-sensor-proxy -o export` prints the proxy's zerolog console lines. */
function exportEntry(micros: number, message: string): string {
  return [
    `__REALTIME_TIMESTAMP=${micros}`,
    '_SYSTEMD_UNIT=pulse-sensor-proxy.service',
    'SYSLOG_IDENTIFIER=pulse-sensor-proxy',
    `MESSAGE=${message}`,
    '',
  ].join('\n')
}

describe('pcp-harden logs on the proxy log', () => {
  it('counts rate-limit hits, SSH failures and unknown peers in a journal export', async () => {
    const now = Date.now() * 1000
    const file = path.join(scratch, 'proxy.export')
    await writeFile(
      file,
      [
        exportEntry(now - 7200e6, '3:04PM WRN Rate limit exceeded pid=812 uid=100000'),
        exportEntry(now - 60e6, '3:05PM WRN Rate limit exceeded pid=812 uid=100000'),
        exportEntry(
          now - 50e6,
          '3:05PM WRN Peer authorization failed error="uid 1000 not permitted" gid=1000 uid=1000',
        ),
        exportEntry(now - 40e6, '3:05PM ERR Failed to push SSH key error="exit status 255" node=pve2'),
        exportEntry(
          now - 30e6,
          '3:05PM INF Request completed corr_id=a1 method=get_temperature pid=812 uid=100000',
        ),
      ].join('\n'),
    )
    const all = await cli(['logs', '--root', scratch, '--proxy-log', file, '-w', '0', '-c', '1'])
    expect(all.stderr).toBe('')
    expect(all.stdout.split('\n')[0]).toBe(
      'PCP-HARDEN-LOGS CRITICAL - 2 proxy rate-limit hits, 1 proxy SSH failure, 1 proxy unknown peer | ' +
        'rate_limit_hits=2;0;1;0 ssh_failures=1;0;1;0 unknown_peers=1;0;1;0',
    )
    expect(all.code).toBe(2)
    const recent = await cli(['logs', '--root', scratch, '--proxy-log', file, '--since', '1h', '-c', '1'])
    expect(recent.stdout).toContain('rate_limit_hits=1;0;1;0')
    expect(recent.code).toBe(1)
  })

  it("reads the proxy's JSON log and names a malformed line by file and line", async () => {
    const file = path.join(scratch, 'proxy.json')
    const t = Math.floor(Date.now() / 1000)
    await writeFile(
      file,
      [
        JSON.stringify({level: 'warn', uid: 1000, gid: 1000, time: t, message: 'Peer authorization failed'}),
        JSON.stringify({level: 'warn', uid: 100000, pid: 9, time: t, message: 'Rate limit exceeded'}),
        '',
      ].join('\n'),
    )
    const run = await cli(['logs', '--root', scratch, '--proxy-log', file, '-w', '1'])
    expect(run.stdout.split('\n')[0]).toMatch(
      /^PCP-HARDEN-LOGS OK - 1 proxy rate-limit hit, 0 proxy SSH failures, 1 proxy unknown peer \|/,
    )
    expect(run.code).toBe(0)
    await writeFile(file, `${JSON.stringify({message: 'Rate limit exceeded'})}\n{oops\n`)
    const bad = await cli(['logs', '--root', scratch, '--proxy-log', file])
    expect(bad.code).toBe(3)
    expect(bad.stderr).toBe(`pcp-harden: error: ${file}:2: not a JSON object\n`)
  })

  it('bad flags are one line, exit 3', async () => {
    const since = await cli(['logs', '--root', refusedRoot, '--since', 'yesterday'])
    expect(since.code).toBe(3)
    expect(since.stderr).toBe(
      'pcp-harden: error: --since yesterday: expected a duration (90m, 12h, 7d) or a date (2026-12-01T08:00)\n',
    )
    const none = await cli(['logs', '--root', path.join(scratch, 'refused')])
    expect(none.code).toBe(3)
    expect(none.stderr).toContain('no log to read')
  })
})
