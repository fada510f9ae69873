import {readdirSync, readFileSync} from 'node:fs'
import path from 'node:path'

import {describe, expect, it} from 'vitest'

import {judgeConfigs, type LxcContext} from '../../src/checks/lxc/analysis.js'
import {PROFILES} from '../../src/checks/types.js'
import {Host} from '../../src/host/host.js'
import {MemoryBackend, parseTreeSpec} from '../../src/host/tree.js'
import {REPO} from '../cli/run-cli.js'
import {auditHost} from '../helpers/audit.js'

const CORPUS = path.resolve(REPO, 'test/fixtures/field/lxc')
const NO_CONTEXT: LxcContext = {snapshotUsers: new Map()}

/** Findings of one config text, as `check line` (line `-` when the finding has none). */
function judge(text: string, context = NO_CONTEXT, file = '/etc/pve/lxc/100.conf') {
  return judgeConfigs([{path: file, text}], context).map((f) => `${f.check} ${f.line ?? '-'}`)
}

/** The PSP-LXC results of verify on a tree given as YAML entries. */
async function lxcResults(entries: string) {
  const host = new Host(new MemoryBackend(parseTreeSpec(`entries:\n${entries}`, 'test'), 'test'))
  const report = await auditHost(host, {
    rootLabel: 'test',
    profiles: [...PROFILES],
    only: ['PSP-LXC-001', 'PSP-LXC-009', 'PSP-LXC-010'],
  })
  return report.results
}

describe('PSP-LXC on the field-shaped configs', () => {
  const corpus = (file: string) => readFileSync(path.join(CORPUS, file), 'utf8')

  it('judges every field-shaped file', () => {
    for (const file of readdirSync(CORPUS))
      expect(() => judge(corpus(file), NO_CONTEXT, `/etc/pve/lxc/${file}`), file).not.toThrow()
  })

  it('finds what each one has, and nothing else', () => {
    const found = Object.fromEntries(
      readdirSync(CORPUS)
        .sort()
        .map((f) => [f, judge(corpus(f), NO_CONTEXT, `/etc/pve/lxc/${f}`)]),
    )
    expect(found).toEqual({
      'lxc-1.conf': [],
      // unprivileged: 0 (line 18); its six snapshots are privileged too, so rolling back changes nothing.
      'lxc-2.conf': ['PSP-LXC-001 18'],
      // Passes host uids 1606, 100 and 65604 through, but not 0.
      'lxc-6.conf': [],
      // No `unprivileged` line at all: PVE's default is privileged.
      'lxc-9.conf': ['PSP-LXC-001 -'],
      // mp0 is a host path, but the container uses no snapshots, replication or HA.
      'lxc-12.conf': [],
      // Privileged; its commented-out lxc.mount.entry is description text, not config.
      'lxc-15.conf': ['PSP-LXC-001 -'],
      // The Pulse container as the installer wrote it (bind, no create=dir): a directory mount.
      'lxc-17.conf': [],
    })
  })

  it('says where the first finding of lxc-2 is and why', () => {
    const [finding] = judgeConfigs([{path: '/etc/pve/lxc/101.conf', text: corpus('lxc-2.conf')}], NO_CONTEXT)
    expect(finding).toMatchObject({
      check: 'PSP-LXC-001',
      path: '/etc/pve/lxc/101.conf',
      line: 18,
      message: expect.stringMatching(/^container 101 \(EdgeFw\): privileged container \(unprivileged: 0\)/),
    })
  })
})

describe('PSP-LXC sections', () => {
  it('reports lines PVE does not apply in the live and pending sections, not in snapshots', () => {
    const text =
      'unprivileged: 1\nlxc.cap.drop sys_admin\nlxc.rootfs.path: /x\n\n[pve:pending]\nlxc.idmap: u 0\n\n' +
      '[old]\nunprivileged: 1\nlxc.cap.drop sys_admin\n'
    expect(judge(text)).toEqual(['PSP-LXC-012 2', 'PSP-LXC-012 3', 'PSP-LXC-012 6'])
  })

  it('reads nothing live from description lines', () => {
    expect(judge('#lxc.apparmor.profile%3A unconfined\n#unprivileged%3A 0\nunprivileged: 1\n')).toEqual([])
  })

  it('reports a snapshot only where it differs from the live config, at its own line', () => {
    const text =
      'unprivileged: 1\nparent: snap2\nlxc.cap.drop: sys_admin\n\n[snap1]\nunprivileged: 1\nlxc.mount.auto: sys:rw\n\n' +
      '[snap2]\nunprivileged: 0\nparent: snap1\n'
    expect(judge(text)).toEqual(['PSP-LXC-011 7', 'PSP-LXC-011 10'])
    const privilegedToo = 'parent: snap1\n\n[snap1]\nlxc.apparmor.profile: unconfined\n'
    expect(judge(privilegedToo)).toEqual(['PSP-LXC-001 -', 'PSP-LXC-011 4'])
  })

  it('judges [pve:pending] only by what it sets', () => {
    expect(judge('unprivileged: 1\n\n[pve:pending]\nmemory: 4096\n')).toEqual([])
    expect(judge('unprivileged: 1\n\n[pve:pending]\nunprivileged: 0\n')).toEqual(['PSP-LXC-001 4'])
  })

  it('accepts an empty lxc.cap.drop that is followed by every default drop again', () => {
    const text =
      'unprivileged: 1\nlxc.cap.drop:\nlxc.cap.drop: mac_admin mac_override sys_time sys_module sys_rawio\n'
    expect(judge(text)).toEqual([])
    expect(judge('unprivileged: 1\nlxc.cap.drop:\nlxc.cap.drop: sys_module\n')).toEqual(['PSP-LXC-003 2'])
  })

  it('takes the last AppArmor profile line, in either spelling', () => {
    expect(
      judge('unprivileged: 1\nlxc.apparmor.profile: unconfined\nlxc.apparmor.profile: generated\n'),
    ).toEqual([])
    expect(judge('unprivileged: 1\nlxc.apparmor.profile: generated\nlxc.aa_profile: unconfined\n')).toEqual([
      'PSP-LXC-002 3',
    ])
  })

  it('counts an lxc.mount.auto :rw only while no empty line resets the list', () => {
    expect(judge('unprivileged: 1\nlxc.mount.auto: proc:rw\nlxc.mount.auto:\n')).toEqual([])
    expect(judge('unprivileged: 1\nlxc.mount.auto: proc:mixed cgroup:rw\n')).toEqual(['PSP-LXC-005 2'])
  })

  it('reports the socket directory mounted a second time on another target (an older install)', () => {
    const text =
      'unprivileged: 1\nlxc.mount.entry: /run/pulse-sensor-proxy run/pulse-sensor-proxy none bind,create=dir 0 0\n' +
      'mp0: /run/pulse-sensor-proxy,mp=/mnt/pulse-proxy/\n'
    const [finding] = judgeConfigs([{path: '/etc/pve/lxc/100.conf', text}], NO_CONTEXT)
    expect(finding).toMatchObject({check: 'PSP-LXC-008', line: 3})
    expect(finding?.message).toMatch(
      /mp0 mounts \/run\/pulse-sensor-proxy again, on \/mnt\/pulse-proxy \(first by lxc.mount.entry at line 2, on \/run\/pulse-sensor-proxy\): a leftover/,
    )
  })

  it('reports a duplicate proxy mount once per extra mount, a socket-file mount for each', () => {
    const text =
      'unprivileged: 1\nmp0: /run/pulse-sensor-proxy/,mp=/mnt/pulse-proxy\n' +
      'lxc.mount.entry: /var/run/pulse-sensor-proxy mnt/pulse-proxy none bind,create=dir 0 0\n' +
      'lxc.mount.entry: /run/pulse-sensor-proxy /mnt/pulse-proxy none rbind 0 0\n' +
      'lxc.mount.entry: /run/pulse-sensor-proxy/pulse-sensor-proxy.sock mnt/p.sock none bind,create=file 0 0\n'
    expect(judge(text)).toEqual(['PSP-LXC-007 5', 'PSP-LXC-008 3', 'PSP-LXC-008 4'])
  })
})

describe('PSP-LXC-009: host bind mounts and the snapshots a container uses', () => {
  const mp0 =
    'unprivileged: 1\nmp0: /run/pulse-sensor-proxy,mp=/mnt/pulse-proxy\nmp1: local-lvm:vm-100-disk-1,mp=/data\n'

  it('says nothing while the container uses no snapshots, replication or HA', () => {
    expect(judge(mp0)).toEqual([])
  })

  it('reports each host path mpN of a container that is replicated, with the way out', () => {
    const context: LxcContext = {snapshotUsers: new Map([['100', 'storage replication snapshots it']])}
    const [finding] = judgeConfigs([{path: '/etc/pve/lxc/100.conf', text: mp0}], context)
    expect(finding).toMatchObject({check: 'PSP-LXC-009', line: 2})
    expect(finding?.message).toMatch(
      /storage replication snapshots it: .*lxc.mount.entry: \/run\/pulse-sensor-proxy mnt\/pulse-proxy none bind,create=dir 0 0/,
    )
  })

  it('reads replication jobs from /etc/pve/replication.cfg', async () => {
    const results = await lxcResults(`
  - {path: /etc/pve/lxc/100.conf, content: "${mp0.replace(/\n/g, '\\n')}"}
  - {path: /etc/pve/replication.cfg, content: "local: 100-0\\n\\ttarget pve2\\n\\tschedule */15\\n"}
`)
    expect(results.find((r) => r.check === 'PSP-LXC-009')).toMatchObject({status: 'fail', line: 2})
  })
})

describe('PSP-LXC on a host', () => {
  it('judges a config reached through /etc/pve/lxc and nodes/<node>/lxc once, under /etc/pve/lxc', async () => {
    const results = await lxcResults(`
  - {path: /etc/pve/nodes/pve1/lxc/100.conf, content: "arch: amd64\\n"}
  - {path: /etc/pve/nodes/pve2/lxc/200.conf, content: "unprivileged: 0\\n"}
  - {path: /etc/pve/lxc, target: nodes/pve1/lxc}
`)
    expect(results.filter((r) => r.check === 'PSP-LXC-001').map((r) => [r.path, r.line])).toEqual([
      ['/etc/pve/lxc/100.conf', undefined],
      ['/etc/pve/nodes/pve2/lxc/200.conf', 1],
    ])
  })

  it('skips when there are no container configs', async () => {
    const results = await lxcResults('  - {path: /etc/hostname, content: "pve1\\n"}\n')
    expect(results.map((r) => r.status)).toEqual(['skip', 'skip', 'skip'])
  })

  it('says so when the proxy is installed and no container mounts its socket directory', async () => {
    const results = await lxcResults(`
  - {path: /var/lib/pulse-sensor-proxy, type: dir}
  - {path: /etc/pve/lxc/100.conf, content: "unprivileged: 1\\nlxc.mount.entry: /dev/net dev/net none bind,create=dir\\n"}
`)
    expect(results.find((r) => r.check === 'PSP-LXC-010')).toMatchObject({
      status: 'fail',
      path: '/etc/pve/lxc',
      message: expect.stringMatching(
        /installed here \(\/var\/lib\/pulse-sensor-proxy\) but none of the 1 container/,
      ),
    })
  })
})
