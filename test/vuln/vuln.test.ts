import {execFileSync} from 'node:child_process'
import {existsSync, readFileSync} from 'node:fs'
import {mkdir, rm, writeFile} from 'node:fs/promises'
import path from 'node:path'
import {gunzipSync, gzipSync} from 'node:zlib'

import {afterAll, describe, expect, it} from 'vitest'

import {VULN_CHECKS} from '../../src/checks/vuln/catalogue.js'
import {DiskBackend} from '../../src/host/backend.js'
import {Host} from '../../src/host/host.js'
import {MemoryBackend, type TreeEntry, type TreeSpec} from '../../src/host/tree.js'
import {judgeVulnerability} from '../../src/vuln/assess.js'
import {KNOWN_VULNERABILITIES} from '../../src/vuln/cves.js'
import type {InstalledPcp} from '../../src/vuln/installed.js'
import {seedAccess, seedTreeWith} from '../checks/seed-tree.js'
import {buildTree} from '../helpers/tree.js'
import {RELAY_ON, VULN_BREAKS} from './breaks.js'

const STATUS = '/var/lib/dpkg/status'
const CHANGELOG = '/usr/share/doc/pcp/changelog.Debian.gz'

/** A dpkg status file whose pcp paragraph has this version, after another package's paragraph. */
const status = (version: string) =>
  `Package: adduser\nStatus: install ok installed\nVersion: 3.134\nDescription: add users\n two lines\n\n` +
  `Package: pcp\nStatus: install ok installed\nArchitecture: amd64\nVersion: ${version}\n` +
  `Depends: libpcp3 (= ${version})\nDescription: System level performance monitoring\n and more\n`

async function resultsOn(host: Host) {
  const checks = await Promise.all(VULN_CHECKS.map((e) => e.load()))
  return (
    await Promise.all(checks.map(async (c) => (await c.run(host)).map((r) => ({...r, check: c.id}))))
  ).flat()
}

const inMemory = (spec: TreeSpec) => new Host(new MemoryBackend(spec, 'test'))

const dirs: string[] = []
afterAll(async () => {
  for (const dir of dirs) await rm(dir, {recursive: true, force: true})
})

/** The seed tree on disk with this dpkg status and, if given, this Debian changelog (gzipped). */
async function onDisk(
  statusText: string,
  changelog?: string,
  more: (Partial<TreeEntry> & {path: string})[] = [],
) {
  const root = await buildTree(seedTreeWith({path: STATUS, content: statusText}, ...more))
  dirs.push(root)
  if (changelog !== undefined) {
    await mkdir(path.join(root, path.dirname(CHANGELOG)), {recursive: true})
    await writeFile(path.join(root, CHANGELOG), gzipSync(changelog))
  }
  return new Host(new DiskBackend(root))
}

const cvesIn = (message: string) => [...message.matchAll(/CVE-\d{4}-\d+/g)].map((m) => m[0])

describe('PCP-VULN checks: each break of the seed tree fails exactly its checks', () => {
  it.each(VULN_BREAKS)('%s', async (_name, changes, ids) => {
    const failed = (await resultsOn(inMemory(seedTreeWith(...changes)))).filter((r) => r.status === 'fail')
    expect([...new Set(failed.map((r) => r.check))]).toEqual(ids)
  })
})

describe('PCP-VULN checks', () => {
  it('pass for a release that fixes every known vulnerability, with the version they read', async () => {
    const results = await resultsOn(inMemory(seedTreeWith({path: STATUS, content: status('6.3.1-1')})))
    expect(results.map((r) => [r.check, r.status])).toEqual([
      ['PCP-VULN-001', 'pass'],
      ['PCP-VULN-002', 'pass'],
    ])
    expect(results[0]).toMatchObject({path: STATUS, message: expect.stringContaining('pcp 6.3.1-1 (dpkg)')})
  })

  it("report Debian 12's 6.0.3-1.1 with its four CVEs, none open to the network on a loopback pmproxy", async () => {
    const results = await resultsOn(inMemory(seedTreeWith({path: STATUS, content: status('6.0.3-1.1')})))
    expect(results.find((r) => r.check === 'PCP-VULN-001')?.status).toBe('pass')
    const low = results.filter((r) => r.check === 'PCP-VULN-002')
    expect(low.map((r) => r.status)).toEqual(['fail', 'fail', 'fail', 'fail'])
    expect(low.flatMap((r) => cvesIn(r.message)[0])).toEqual(KNOWN_VULNERABILITIES.map((v) => v.id))
    expect(low[0]).toMatchObject({path: STATUS, line: 7, evidence: 'dpkg pcp 6.0.3-1.1'})
    expect(low.find((r) => r.message.includes('CVE-2024-3019'))?.message).toMatch(
      /Not open to the network here: pmproxy listens on loopback only/,
    )
  })

  it('CVE-2024-3019 and -45769 are critical when pmproxy is on the network, relays to a key server and pmcd lets local clients store', async () => {
    const spec = seedTreeWith(
      {path: STATUS, content: status('6.0.3-1.1')},
      {path: '/etc/default/pmproxy', content: '# PMPROXY_LOCAL=1\n'},
      {
        path: '/lib/systemd/system/pmproxy.service',
        content: '[Service]\nExecStart=/etc/pcp/pmproxy/rc start\n',
      },
      {
        path: '/etc/systemd/system/multi-user.target.wants/pmproxy.service',
        type: 'symlink',
        target: '/lib/systemd/system/pmproxy.service',
      },
      {path: '/usr/bin/redis-server', mode: 0o755, content: 'elf\n'},
      RELAY_ON,
      {
        path: '/etc/pcp/pmcd/pmcd.conf',
        content: seedAccess('disallow ".*" : store;\ndisallow ":*" : store;\nallow "local:*" : all;'),
      },
    )
    const critical = (await resultsOn(inMemory(spec))).filter((r) => r.check === 'PCP-VULN-001')
    expect(critical.map((r) => [r.status, cvesIn(r.message)[0]])).toEqual([
      ['fail', 'CVE-2024-3019'],
      ['fail', 'CVE-2024-45769'],
    ])
    expect(critical[0]?.message).toMatch(
      /opens it to the network: pmproxy listens on every interface .*; pmproxy relays to the local key server \(\/usr\/bin\/redis-server is installed\)/,
    )
    expect(critical[1]?.message).toMatch(/pmcd lets local clients \(pmproxy\) store/)
  })

  it('a pmproxy whose relay is off ([pmproxy] redis.enabled unset) leaves CVE-2024-3019 low', async () => {
    const spec = seedTreeWith(
      {path: STATUS, content: status('6.0.3-1.1')},
      {path: '/etc/default/pmproxy', content: '# PMPROXY_LOCAL=1\n'},
      {path: '/usr/bin/redis-server', mode: 0o755, content: 'elf\n'},
      {path: '/lib/systemd/system/pmproxy.service', content: '[Service]\n'},
      {
        path: '/etc/systemd/system/multi-user.target.wants/pmproxy.service',
        type: 'symlink',
        target: '/lib/systemd/system/pmproxy.service',
      },
    )
    const resp = (await resultsOn(inMemory(spec))).filter((r) => r.message.includes('CVE-2024-3019'))
    expect(resp.map((r) => r.check)).toEqual(['PCP-VULN-002'])
    expect(resp[0]?.message).toMatch(/\[pmproxy\] redis.enabled is not set: the RESP relay is off/)
  })

  it('a pmproxy that relays to no key server leaves CVE-2024-3019 low', async () => {
    const spec = seedTreeWith(
      {path: STATUS, content: status('6.0.3-1.1')},
      RELAY_ON,
      {path: '/etc/default/pmproxy', content: '# PMPROXY_LOCAL=1\n'},
      {path: '/lib/systemd/system/pmproxy.service', content: '[Service]\n'},
      {
        path: '/etc/systemd/system/multi-user.target.wants/pmproxy.service',
        type: 'symlink',
        target: '/lib/systemd/system/pmproxy.service',
      },
    )
    const results = await resultsOn(inMemory(spec))
    const resp = results.filter((r) => r.message.includes('CVE-2024-3019'))
    expect(resp.map((r) => r.check)).toEqual(['PCP-VULN-002'])
    expect(resp[0]?.message).toMatch(/no key server is installed for localhost:6379/)
  })

  it("recognize a Debian backport from the package's changelog before calling the host vulnerable", async () => {
    const changelog =
      'pcp (6.0.3-1.1+deb12u1) bookworm-security; urgency=medium\n\n' +
      '  * Fix pmproxy RESP proxying (CVE-2024-3019).\n' +
      '  * Fix pmcd heap corruption and pmpost symlink following (CVE-2024-45769, CVE-2024-45770).\n\n' +
      ' -- A Maintainer <maint@example.org>  Mon, 01 Jul 2024 10:00:00 +0200\n'
    const host = await onDisk(status('6.0.3-1.1+deb12u1'), changelog)
    const low = (await resultsOn(host)).filter((r) => r.check === 'PCP-VULN-002')
    expect(low.map((r) => cvesIn(r.message)[0])).toEqual(['CVE-2023-6917'])
    expect(low[0]?.message).toContain(`no backport named in ${CHANGELOG}`)
  })

  it("read a copy of this machine's real pcp package: its dpkg paragraph and its changelog", async () => {
    const real = readFileSync(STATUS, 'utf8')
      .split(/\n\n+/)
      .find((p) => /^Package: pcp$/m.test(p) && /^Status: install ok installed$/m.test(p))
    expect(real, 'pcp is installed here (the e2e tests need it)').toBeDefined()
    const version = /^Version: (.+)$/m.exec(real as string)?.[1] as string
    const changelog = gunzipSync(readFileSync(CHANGELOG)).toString('utf8')
    const results = await resultsOn(await onDisk(`${real}\n`, changelog))
    const named = KNOWN_VULNERABILITIES.filter((v) => changelog.includes(v.id))
    for (const r of results.filter((x) => x.status === 'fail')) {
      expect(r.evidence).toBe(`dpkg pcp ${version}`)
      expect(named.map((v) => v.id)).not.toContain(cvesIn(r.message)[0])
    }
    expect(results.some((r) => r.status === 'fail')).toBe(version.startsWith('6.0.'))
  })

  it('on the live root, report the version dpkg-query reports', async () => {
    expect(existsSync(STATUS)).toBe(true)
    const version = execFileSync('dpkg-query', ['-W', '-f', '${Version}', 'pcp'], {encoding: 'utf8'})
    const results = await resultsOn(new Host(new DiskBackend('/')))
    expect(results.length).toBeGreaterThan(1)
    for (const r of results) expect(`${r.evidence ?? ''} ${r.message}`).toContain(`pcp ${version}`)
  })
})

describe('backports in RPM builds', () => {
  const rpm = (version: string, changelog = ''): InstalledPcp => ({
    manager: 'rpm',
    version,
    upstream: version.split('-')[0] as string,
    source: {path: '/var/lib/rpm'},
    changelog,
  })
  const host = inMemory({entries: []})
  const byId = (id: string) => KNOWN_VULNERABILITIES.find((v) => v.id === id)!

  it('count a RHEL build at or after the backport as fixed, an older one or another release as not', async () => {
    expect(await judgeVulnerability(host, rpm('6.2.0-5.el9_4'), byId('CVE-2024-45769'))).toEqual({
      state: 'fixed',
      why: 'backported in RHEL 9 6.2.0-5.el9_4',
    })
    expect(await judgeVulnerability(host, rpm('5.3.7-22.el8_10'), byId('CVE-2024-3019'))).toMatchObject({
      state: 'fixed',
    })
    expect(await judgeVulnerability(host, rpm('5.3.7-19.el8_10'), byId('CVE-2024-3019'))).toMatchObject({
      state: 'vulnerable',
    })
    expect(await judgeVulnerability(host, rpm('6.2.0-5.fc40'), byId('CVE-2024-45769'))).toMatchObject({
      state: 'vulnerable',
    })
  })

  it('count a build whose rpm changelog names the CVE as fixed', async () => {
    const changelog = '* Tue Mar 26 2024 Someone <s@example.org> - 5.3.7-20\n- Resolves: CVE-2024-3019\n'
    expect(await judgeVulnerability(host, rpm('5.3.7-18.el8', changelog), byId('CVE-2024-3019'))).toEqual({
      state: 'fixed',
      why: 'backported: the changelog line 2 names it',
    })
  })
})
