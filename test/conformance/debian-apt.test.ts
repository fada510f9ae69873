import {execFile} from 'node:child_process'
import {existsSync} from 'node:fs'
import {mkdir, mkdtemp, readdir, rm} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import path from 'node:path'
import {promisify} from 'node:util'

import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import type {Report} from '../../src/engine/model.js'
import {detectProfiles} from '../../src/engine/profiles.js'
import {DiskBackend} from '../../src/host/backend.js'
import {Host} from '../../src/host/host.js'
import {treeSpecFromData} from '../../src/host/tree.js'
import {auditHost} from '../helpers/audit.js'
import {buildTree, removeTree} from '../helpers/tree.js'
import {DEBIAN_APT_ENTRIES} from './debian-apt-tree.js'

/**
 * Debian 12's pcp 6.0.3 exactly as `apt-get install pcp` leaves it. Every finding is listed with
 * why it is true of such a host; any other finding (or a missing one) fails the test.
 */
const EXPECTED: {finding: string; why: string}[] = [
  {
    finding: 'critical PCP-PMPROXY-001 /etc/pcp/pmcd/pmcd.conf:18',
    why:
      'the postinst enables pmproxy, which listens on every interface (44322) with no authentication of its ' +
      'own; pmcd sees it as a local client and the shipped [access] lets local clients store: anyone who ' +
      'reaches 44322 may store through the REST API (reproduced with pmproxy 6.0.3)',
  },
  {
    finding: 'high PCP-PMCD-003 /etc/pcp/pmcd/pmcd.options',
    why:
      'pmcd.options has no -i and /etc/default/pmcd leaves PMCD_LOCAL commented out, so pmcd listens on ' +
      'every interface while the shipped [access] lets every remote host fetch',
  },
  {
    finding: 'high PCP-PMCD-005 /etc/pcp/pmcd/pmcd.options',
    why: 'and nothing authenticates those hosts: no -Q, no -S, no user or group rule',
  },
  {
    finding: 'medium PCP-ACCESS-003 /etc/pcp/pmcd/pmcd.conf:15',
    why: 'the shipped rules only deny store: any IPv4 host that can connect may fetch every metric',
  },
  {
    finding: 'medium PCP-ACCESS-003 /etc/pcp/pmcd/pmcd.conf:15',
    why: 'likewise for every IPv6 host',
  },
  {
    finding: 'low PCP-FILE-006 /etc/pcp/pmcd/pmcd.conf',
    why: 'shipped 0644 root:root: every local user may read the access policy (only writing it is dangerous)',
  },
  ...['', '/pmcd', '/pmfind', '/pmie', '/pmlogger', '/pmproxy', '/sa'].map((dir) => ({
    finding: `low PCP-FILE-006 /var/log/pcp${dir}`,
    why: "shipped 0775 pcp:pcp: every local user may read the daemons' logs",
  })),
]

/** Not findings, though a less careful audit would raise them: each checked as passing. */
const NOT_FINDINGS: {check: string; why: string}[] = [
  {
    check: 'PCP-PMCD-007',
    why:
      'the shipped mech_list offers plain and login, but the package ships no SASL user database ' +
      '(/etc/pcp/passwd.db) and pmcd runs without -S: no client has a password that could cross the network',
  },
]

const findings = (report: Report, withLines = true) =>
  report.results
    .filter((r) => r.status === 'fail' || r.status === 'error')
    .map(
      (r) =>
        `${r.status === 'error' ? 'error' : r.severity} ${r.check} ${r.path ?? ''}` +
        (withLines && r.line !== undefined ? `:${r.line}` : ''),
    )
    .sort()

async function audit(root: string): Promise<Report> {
  const host = new Host(new DiskBackend(root))
  const profiles = (await detectProfiles(host)).map((d) => d.profile)
  expect(profiles).toEqual(['pcp-collector'])
  return auditHost(host, {rootLabel: root, profiles})
}

describe("Debian 12's pcp as installed by apt (fixture copied from the package's files)", () => {
  let root: string
  beforeAll(async () => {
    root = await buildTree(treeSpecFromData({entries: DEBIAN_APT_ENTRIES}, 'debian-apt-tree.ts'))
  })
  afterAll(() => removeTree(root))

  it('reports exactly the findings that are true of a stock install, and nothing else', async () => {
    const report = await audit(root)
    expect(findings(report)).toEqual(EXPECTED.map((e) => e.finding).sort())
    for (const {check} of NOT_FINDINGS)
      expect(report.results.filter((r) => r.check === check).map((r) => r.status)).toEqual(['pass'])
  })
})

const run = promisify(execFile)

/** The live machine's PCP files, copied with their modes and owners (cp -a) into a tree. */
const LIVE_PATHS = [
  '/etc/pcp',
  '/etc/sasl2',
  '/var/log/pcp',
  '/var/lib/pcp/pmcd',
  '/etc/default/pmcd',
  '/etc/default/pmproxy',
  '/etc/passwd',
  '/etc/group',
  '/lib/systemd/system/pmcd.service',
  '/lib/systemd/system/pmproxy.service',
]

describe.runIf(existsSync('/etc/pcp'))("this machine's own pcp, copied into a tree", () => {
  let root: string
  beforeAll(async () => {
    root = await mkdtemp(path.join(tmpdir(), 'pcp-harden-live-'))
    for (const live of LIVE_PATHS.filter((p) => existsSync(p))) {
      await mkdir(path.join(root, path.dirname(live)), {recursive: true})
      await run('cp', ['-a', '--', live, path.join(root, path.dirname(live))], {timeout: 30_000})
    }
    const wants = '/etc/systemd/system/multi-user.target.wants'
    if (existsSync(wants)) {
      await mkdir(path.join(root, wants), {recursive: true})
      const links = (await readdir(wants)).filter((n) => /^pm\w+\.service$/.test(n))
      for (const name of links) await run('cp', ['-a', '--', path.join(wants, name), path.join(root, wants)])
    }
  })
  afterAll(() => rm(root, {recursive: true, force: true}))

  it('reports the stock findings (lines aside: the agents table depends on the PMDAs installed)', async () => {
    const report = await audit(root)
    // The live /var/log/pcp may hold more subdirectories than the package made (pmlogger's host dirs).
    const expected = EXPECTED.map((e) => e.finding.replace(/:\d+$/, ''))
    const extraLogDirs = findings(report, false).filter(
      (f) => /^low PCP-FILE-006 \/var\/log\/pcp\/.+/.test(f) && !expected.includes(f),
    )
    expect(findings(report, false)).toEqual([...expected, ...extraLogDirs].sort())
    for (const {check} of NOT_FINDINGS)
      expect(report.results.filter((r) => r.check === check).map((r) => r.status)).toEqual(['pass'])
  })
})
