import {chmod, readFile, stat} from 'node:fs/promises'
import path from 'node:path'

import {afterEach, beforeEach, describe, expect, it} from 'vitest'

import {collectorRoot, snapshot} from '../cert/tree.js'
import {cli, NOBODY} from '../cli/run-cli.js'
import {removeTree} from '../helpers/tree.js'

describe('pcp-harden tls write', () => {
  let root: string
  beforeEach(async () => {
    root = await collectorRoot(`  - {path: /etc/pcp/pmcd, type: dir}
  - {path: /etc/pcp/pmcd/pmcd.conf, content: "pmcd 2 dso pmcd_init /var/lib/pcp/pmdas/pmcd/pmda_pmcd.so\\n"}
  - {path: /etc/pcp/pmcd/pmcd.options, content: "-A\\n"}
  - {path: /etc/pcp/pmproxy, type: dir}
  - {path: /etc/pcp/pmproxy/pmproxy.conf, content: "[pmproxy]\\nsecure.enabled = false\\n"}
`)
    const init = await cli(['cert', 'init', '--root', root, '--san', 'pcp1.example.com'])
    expect(init.code, init.stderr).toBe(0)
  })
  afterEach(() => removeTree(root))

  it('--dry-run prints the plan and the diffs and changes nothing', async () => {
    const before = await snapshot(root)
    const run = await cli([
      'tls',
      'write',
      '--root',
      root,
      '--require-client-certs',
      '--pmproxy',
      '--dry-run',
    ])
    expect(run.code, run.stderr).toBe(0)
    expect(run.stdout).toMatch(/^create \/etc\/pcp\/tls.conf \(0644 root:root\)$/m)
    expect(run.stdout).toMatch(/^update \/etc\/pcp\/pmcd\/pmcd.options \(content\)$/m)
    expect(run.stdout).toMatch(/^\+tls-key-file = \/etc\/pcp\/tls\/server.key$/m)
    expect(run.stdout).toMatch(/^\+-Q$/m)
    expect(run.stdout).toMatch(/^-secure.enabled = false\n\+secure.enabled = true$/m)
    expect(run.stdout).toMatch(/dry run: nothing written\n$/)
    expect(await snapshot(root)).toEqual(before)
  })

  it('writes atomically with backups, then has nothing left to change', async () => {
    const first = await cli(['tls', 'write', '--root', root, '--require-client-certs', '--pmproxy'])
    expect(first.code, first.stderr).toBe(0)
    expect(first.stdout).toMatch(/restart pmcd and pmproxy to apply it/)
    expect(await readFile(path.join(root, 'etc/pcp/pmcd/pmcd.options.pcp-harden.bak'), 'utf8')).toBe('-A\n')
    expect((await stat(path.join(root, 'etc/pcp/tls.conf'))).mode & 0o7777).toBe(0o644)
    const audit = await cli([
      'verify',
      '--root',
      root,
      ...['PCP-TLS-001', 'PCP-TLS-002', 'PCP-TLS-004', 'PCP-TLS-005', 'PCP-PMCD-006', 'PCP-CERT-001'].flatMap(
        (c) => ['--check', c],
      ),
      '--format',
      'json',
    ])
    const results = JSON.parse(audit.stdout).results as {check: string; status: string; message: string}[]
    expect(results.filter((r) => r.status !== 'pass')).toEqual([])
    const again = await cli(['tls', 'write', '--root', root, '--require-client-certs', '--pmproxy'])
    expect(again.code).toBe(0)
    expect(again.stdout).toMatch(/already has -Q/)
    expect(again.stdout).toMatch(/nothing written\n$/)
  })

  it("writes a monitor's files that verify's monitor checks accept", async () => {
    expect((await cli(['cert', 'issue', '--root', root, '--user', 'alice'])).code).toBe(0)
    const run = await cli(['tls', 'write', '--root', root, '--monitor', '--user', 'alice'])
    expect(run.code, run.stderr).toBe(0)
    const conf = await stat(path.join(root, 'home/alice/.pcp/tls.conf'))
    expect([conf.uid, conf.mode & 0o7777]).toEqual([1000, 0o644])
    const audit = await cli(['verify', '--root', root, '--profile', 'pcp-monitor', '--format', 'json'])
    const results = JSON.parse(audit.stdout).results as {check: string; status: string; message: string}[]
    expect(results.length).toBeGreaterThan(0)
    expect(results.filter((r) => r.status !== 'pass')).toEqual([])
  })

  it.each([
    [['--monitor'], /--monitor and --user go together/],
    [['--user', 'alice'], /--monitor and --user go together/],
    [['--monitor', '--user', 'mallory'], /--user mallory: no such user/],
    [['--monitor', '--user', 'alice', '--pmproxy'], /configure the collector: not with --monitor/],
    [
      ['--dir', '/etc/pcp/nowhere'],
      /\/etc\/pcp\/nowhere\/ca.crt \(tls-ca-cert-file\): missing; .*--allow-missing/,
    ],
    [
      ['--ciphers', 'HIGH !aNULL'],
      /tls-ciphers "HIGH !aNULL": PCP keeps a tls.conf value only up to its first blank/,
    ],
  ])('refuses %j in one line, writing nothing', async (args, message) => {
    const before = await snapshot(root)
    const run = await cli(['tls', 'write', '--root', root, ...args])
    expect(run.code).toBe(3)
    expect(run.stderr.trimEnd().split('\n')).toHaveLength(1)
    expect(run.stderr).toMatch(message)
    expect(await snapshot(root)).toEqual(before)
  })

  it('--allow-missing renders before the certificates are rolled out, and says what is not usable yet', async () => {
    const run = await cli(['tls', 'write', '--root', root, '--dir', '/etc/pcp/nowhere', '--allow-missing'])
    expect(run.code, run.stderr).toBe(0)
    expect(run.stdout).toMatch(/^not yet usable: \/etc\/pcp\/nowhere\/server.key \(tls-key-file\): missing$/m)
  })

  it('works unprivileged as a dry run, reporting what it cannot read', async () => {
    await chmod(root, 0o755)
    const run = await cli(['tls', 'write', '--root', root, '--dry-run', '--allow-missing'], {as: NOBODY})
    expect(run.stderr).toBe('')
    expect(run.code).toBe(0)
    expect(run.stdout).toMatch(
      /^not yet usable: \/etc\/pcp\/tls\/server.key \(tls-key-file\): permission denied$/m,
    )
    expect(run.stdout).toMatch(/dry run: nothing written\n$/)
  })
})
