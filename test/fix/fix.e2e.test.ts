import {createHash} from 'node:crypto'
import {lstat, readdir, readFile, readlink, writeFile} from 'node:fs/promises'
import path from 'node:path'

import {describe, expect, it} from 'vitest'

import type {ReportResult} from '../../src/engine/model.js'
import {parseGroup} from '../../src/host/accounts.js'
import {applyFix, planFix} from '../../src/fix/plan.js'
import type {TreeSpec} from '../../src/host/tree.js'
import {seedTreeWith, seedTreeWithout} from '../checks/seed-tree.js'
import {cli} from '../cli/run-cli.js'
import {buildTree, removeTree} from '../helpers/tree.js'
import {auditTree, failures, key, sampleTree, TREES} from './trees.js'

/** Every entry under a root: its type, mode, owner and content hash (or link target), sorted. */
async function listing(root: string): Promise<string[]> {
  const out: string[] = []
  const walk = async (dir: string): Promise<void> => {
    for (const name of (await readdir(dir)).sort()) {
      const full = path.join(dir, name)
      const st = await lstat(full)
      const what = st.isSymbolicLink()
        ? `-> ${await readlink(full)}`
        : st.isFile()
          ? createHash('sha256')
              .update(await readFile(full))
              .digest('hex')
          : st.isDirectory()
            ? 'dir'
            : 'other'
      out.push(`${path.relative(root, full)} ${(st.mode & 0o7777).toString(8)} ${st.uid}:${st.gid} ${what}`)
      if (st.isDirectory()) await walk(full)
    }
  }
  await walk(root)
  return out
}

async function withTree<T>(
  spec: TreeSpec | Promise<TreeSpec>,
  body: (root: string) => Promise<T>,
): Promise<T> {
  const root = await buildTree(await spec)
  try {
    return await body(root)
  } finally {
    await removeTree(root)
  }
}

/** A failing result carrying a remedy, as the engine hands it to the fixer. */
function failing(check: string, remedy: NonNullable<ReportResult['remedy']>): ReportResult {
  return {
    check,
    title: check,
    severity: 'high',
    status: 'fail',
    ...(remedy.kind === 'manual' ? {} : {path: remedy.path}),
    message: 'a test finding',
    remediation: 'a test remediation',
    remedy,
  }
}

describe('verify --fix on each test tree, then verify', () => {
  it.each(TREES)(
    '%s: every automatically fixed finding is gone, none is added',
    async (_name, spec) => {
      await withTree(spec(), async (root) => {
        const before = await failures(root)
        const outcome = await planFix(root, before)
        expect(outcome.skipped, outcome.skipped.map((s) => `${s.check}: ${s.reason}`).join('\n')).toEqual([])
        await applyFix(root, outcome)
        const after = (await failures(root)).map(key)
        const fixed = before.filter((r) =>
          outcome.planned.some((p) => p.check === r.check && p.path === r.path),
        )
        for (const r of fixed) expect(after, `still there after --fix: ${key(r)}`).not.toContain(key(r))
        const had = new Set(before.map(key))
        expect(
          after.filter((k) => !had.has(k)),
          'failures --fix added',
        ).toEqual([])
        // Nothing left to do automatically: a second run plans nothing.
        expect(
          (await planFix(root, await failures(root))).plan.filter((e) => e.action !== 'unchanged'),
        ).toEqual([])
      })
    },
    120_000,
  )

  it('the sample host has automatic remedies (the test above is not vacuous), a move among the trees', async () => {
    const planned = await withTree(
      sampleTree(),
      async (root) => (await planFix(root, await failures(root))).planned,
    )
    expect(planned.length).toBeGreaterThanOrEqual(8)
    const leftover = TREES.find(([name]) => name.includes('old server key'))
    expect(leftover).toBeDefined()
    await withTree(leftover![1](), async (root) => {
      const keepDir = (await lstat(path.join(root, 'root/pcp-ca'))).mode & 0o7777
      const content = await readFile(path.join(root, 'etc/pcp/tls/old-server.key'))
      const outcome = await planFix(root, await failures(root))
      expect(outcome.moves).toEqual([
        expect.objectContaining({from: '/etc/pcp/tls/old-server.key', to: '/root/pcp-ca/old-server.key'}),
      ])
      await applyFix(root, outcome)
      await expect(lstat(path.join(root, 'etc/pcp/tls/old-server.key'))).rejects.toThrow()
      const kept = await lstat(path.join(root, 'root/pcp-ca/old-server.key'))
      expect(kept.mode & 0o777).toBe(0o600)
      expect(await readFile(path.join(root, 'root/pcp-ca/old-server.key'))).toEqual(content)
      // An existing keep directory is left as it is (the guide's CA directory, under root's 0700 home).
      expect((await lstat(path.join(root, 'root/pcp-ca'))).mode & 0o7777).toBe(keepDir)
    })
  })

  it('PMPROXY_LOCAL=1 goes into a new /etc/default/pmproxy (0644 root:root) when there is none', async () => {
    await withTree(seedTreeWithout('/etc/default/pmproxy'), async (root) => {
      const before = await failures(root)
      const exposed = before.find((r) => r.check === 'PCP-PMPROXY-001')
      expect(exposed?.remedy).toMatchObject({
        kind: 'create',
        path: '/etc/default/pmproxy',
        content: 'PMPROXY_LOCAL=1\n',
      })
      await applyFix(root, await planFix(root, [exposed!]))
      const file = path.join(root, 'etc/default/pmproxy')
      expect(await readFile(file, 'utf8')).toBe('PMPROXY_LOCAL=1\n')
      const st = await lstat(file)
      expect({mode: st.mode & 0o7777, uid: st.uid, gid: st.gid}).toEqual({mode: 0o644, uid: 0, gid: 0})
      const after = (await failures(root)).map(key)
      expect(after).not.toContain(key(exposed!))
      expect(after.filter((k) => !before.map(key).includes(k))).toEqual([])
    })
  })

  it("owners come from the audited root's passwd and group, not this machine's", async () => {
    await withTree(sampleTree(), async (root) => {
      const treePcp = parseGroup(await readFile(path.join(root, 'etc/group'), 'utf8')).find(
        (g) => g.name === 'pcp',
      )
      const outcome = await planFix(
        root,
        (await failures(root)).filter((r) => r.check === 'PCP-PMPROXY-002'),
      )
      await applyFix(root, outcome)
      const st = await lstat(path.join(root, 'etc/pcp/pmproxy/pmproxy.conf'))
      expect({uid: st.uid, gid: st.gid, mode: st.mode & 0o7777}).toEqual({
        uid: 0,
        gid: treePcp?.id,
        mode: 0o640,
      })
    })
  })
})

describe('what the fixer refuses', () => {
  it('a line that changed since the audit: that remedy is skipped with a clear line, the others applied', async () => {
    await withTree(sampleTree(), async (root) => {
      const before = await failures(root)
      await writeFile(path.join(root, 'etc/default/pmcd'), '# edited meanwhile\nPMCD_LOCAL="yes"\n')
      const outcome = await planFix(root, before)
      expect(outcome.skipped).toEqual([
        expect.objectContaining({
          check: 'PCP-PMCD-004',
          reason:
            'line 2 reads "PMCD_LOCAL=\\"yes\\"", not "PMCD_LOCAL=\\"1\\"" as when audited: the file changed since the audit',
        }),
      ])
      expect(outcome.planned.map((p) => p.check)).toContain('PCP-PMPROXY-002')
      await applyFix(root, outcome)
      expect(await readFile(path.join(root, 'etc/default/pmcd'), 'utf8')).toBe(
        '# edited meanwhile\nPMCD_LOCAL="yes"\n',
      )
    })
  })

  it('leaves waived failures alone and lists manual remedies and fix-less failures as not automatic', async () => {
    await withTree(sampleTree(), async (root) => {
      const waived = {
        ...failing('TEST-WAIVED', {kind: 'attrs', path: '/etc/pcp/tls.conf', mode: 0o600}),
        waived: {reason: 'accepted', expires: '2099-01-01', source: '/etc/pcp-harden/waivers.yaml:1'},
      }
      const manual = failing('TEST-MANUAL', {
        kind: 'manual',
        command: 'gpasswd --delete x adm',
        why: 'not ours',
      })
      const bare = {...failing('TEST-BARE', {kind: 'attrs', path: '/etc/pcp/tls.conf'}), remedy: undefined}
      const outcome = await planFix(root, [waived, manual, bare])
      expect(outcome.plan).toEqual([])
      expect(outcome.planned).toEqual([])
      expect(outcome.manual).toEqual([
        {check: 'TEST-MANUAL', message: 'a test finding', command: 'gpasswd --delete x adm', why: 'not ours'},
        {check: 'TEST-BARE', path: '/etc/pcp/tls.conf', message: 'a test finding', why: 'a test remediation'},
      ])
    })
  })

  it('a change pmcd -v rejects is not written, and says why; the rest is', async () => {
    await withTree(seedTreeWith(), async (root) => {
      const conf = await readFile(path.join(root, 'etc/pcp/pmcd/pmcd.conf'), 'utf8')
      const lines = conf.split('\n')
      const access = lines.findIndex((l) => l.trim() === '[access]') + 1
      expect(access).toBeGreaterThan(0)
      const results = [
        failing('TEST-BREAK', {
          kind: 'edit',
          path: '/etc/pcp/pmcd/pmcd.conf',
          edits: [{op: 'append', text: 'allow nosuchhost.invalid.: all : fetch;'}],
        }),
        failing('TEST-MODE', {kind: 'attrs', path: '/etc/pcp/tls.conf', mode: 0o600}),
      ]
      const outcome = await planFix(root, results)
      expect(outcome.skipped).toEqual([
        expect.objectContaining({
          check: 'TEST-BREAK',
          reason: expect.stringMatching(/^not written: pmcd would reject it/),
        }),
      ])
      await applyFix(root, outcome)
      expect(await readFile(path.join(root, 'etc/pcp/pmcd/pmcd.conf'), 'utf8')).toBe(conf)
      expect((await lstat(path.join(root, 'etc/pcp/tls.conf'))).mode & 0o7777).toBe(0o600)
    })
  })

  it('sshd_config is changed only when sshd -t accepts it', async () => {
    const sample = await sampleTree()
    const sshd = {
      path: '/etc/ssh/sshd_config',
      type: 'file' as const,
      mode: 0o644,
      owner: 'root',
      group: 'root',
    }
    const spec = {
      ...sample,
      entries: [
        ...sample.entries.filter((e) => e.path !== sshd.path),
        {...sshd, content: 'PermitRootLogin yes\n'},
      ],
    }
    await withTree(spec, async (root) => {
      const bad = failing('TEST-SSHD', {
        kind: 'edit',
        path: '/etc/ssh/sshd_config',
        edits: [{op: 'replace', line: 1, expect: 'PermitRootLogin yes', text: 'PermitRootLogin sometimes'}],
      })
      const good = failing('TEST-SSHD', {
        kind: 'edit',
        path: '/etc/ssh/sshd_config',
        edits: [
          {op: 'replace', line: 1, expect: 'PermitRootLogin yes', text: 'PermitRootLogin prohibit-password'},
        ],
      })
      const refused = await planFix(root, [bad])
      expect(refused.skipped[0]?.reason).toBe(
        'not written: sshd -t rejects it: /etc/ssh/sshd_config line 1: unsupported option "sometimes".',
      )
      const accepted = await planFix(root, [good])
      expect(accepted.validated).toEqual([{path: '/etc/ssh/sshd_config', by: ['sshd -t']}])
    })
  })

  it('a unit drop-in is written only when systemd-analyze verify finds nothing new in it; units mean daemon-reload', async () => {
    await withTree(sampleTree(), async (root) => {
      const dropIn = (content: string) =>
        failing('TEST-UNIT', {
          kind: 'create',
          path: '/etc/systemd/system/pulse-sensor-proxy.service.d/pcp-harden.conf',
          content,
          mode: 0o644,
          owner: 'root',
          group: 'root',
          validate: 'systemd-unit',
          restart: ['pulse-sensor-proxy.service'],
        })
      const refused = await planFix(root, [dropIn('[Service]\nProtectClock=maybe\n')])
      expect(refused.skipped[0]?.reason).toMatch(
        /^not written: systemd-analyze verify: \/etc\/systemd\/system\/pulse-sensor-proxy\.service\.d\/pcp-harden\.conf:2: .*maybe/,
      )
      expect(refused.plan).toEqual([])
      const accepted = await planFix(root, [dropIn('[Service]\nProtectClock=true\n')])
      expect(accepted.validated).toEqual([
        {
          path: '/etc/systemd/system/pulse-sensor-proxy.service.d/pcp-harden.conf',
          by: ['our unit parser', 'systemd-analyze verify'],
        },
      ])
      expect(accepted.restart).toEqual(['daemon-reload', 'pulse-sensor-proxy.service'])
      await applyFix(root, accepted)
      const written = path.join(root, 'etc/systemd/system/pulse-sensor-proxy.service.d/pcp-harden.conf')
      expect(await readFile(written, 'utf8')).toBe('[Service]\nProtectClock=true\n')
      expect((await lstat(written)).mode & 0o7777).toBe(0o644)
    })
  })

  it("an administrator's authorized_keys line is never touched, nor a line appended", async () => {
    await withTree(sampleTree(), async (root) => {
      const text = await readFile(path.join(root, 'root/.ssh/authorized_keys'), 'utf8')
      const lines = text.split('\n')
      const admin = lines.findIndex((l) => /^ssh-/.test(l) && !l.includes('pulse')) + 1
      expect(admin).toBeGreaterThan(0)
      const outcome = await planFix(root, [
        failing('TEST-KEYS', {
          kind: 'edit',
          path: '/root/.ssh/authorized_keys',
          edits: [
            {op: 'replace', line: admin, expect: lines[admin - 1]!, text: `restrict ${lines[admin - 1]!}`},
          ],
        }),
        failing('TEST-KEYS-ADD', {
          kind: 'edit',
          path: '/root/.ssh/authorized_keys',
          edits: [{op: 'append', text: lines[admin - 1]!}],
        }),
      ])
      expect(outcome.plan.filter((e) => e.action !== 'unchanged')).toEqual([])
      expect(outcome.skipped.map((s) => s.reason)).toEqual([
        `line ${admin} is not the proxy's: an administrator's key line is never touched`,
        `line ${admin} is not the proxy's: an administrator's key line is never touched`,
      ])
    })
  })
})

describe('verify --fix through the CLI', () => {
  it('--dry-run prints the plan and diffs and leaves the tree byte-identical (modes, owners, content)', async () => {
    await withTree(sampleTree(), async (root) => {
      const before = await listing(root)
      const run = await cli(['verify', '--root', root, '--fix', '--dry-run'])
      expect(run.stderr).toBe('')
      expect(run.code).toBe(2)
      expect(run.stdout).toMatch(/^Fix: \d+ automatic remedies \(dry run: nothing is changed\):/)
      expect(run.stdout).toContain('    sed -i \'2s|^PMCD_LOCAL="1"$|PMCD_LOCAL=1|\' /etc/default/pmcd')
      expect(run.stdout).toContain('-PMCD_LOCAL="1"\n+PMCD_LOCAL=1')
      expect(run.stdout).toContain(
        'update /etc/pcp/pmproxy/pmproxy.conf (content, mode 0644 -> 0640, owner root:root -> root:pcp)',
      )
      expect(run.stdout).toMatch(/\nNot automatic \(\d+\):\n/)
      // The unit drop-in is new, so systemd reloads before the services restart.
      expect(run.stdout).toMatch(
        /\nRestart after applying: systemctl daemon-reload && systemctl restart (\S+ )*pmcd\.service( |\n)/,
      )
      expect(await listing(root)).toEqual(before)
      // A machine format gets the audit's report on standard output, the plan on standard error.
      const json = await cli(['verify', '--root', root, '--fix', '--dry-run', '--format', 'json'])
      expect(json.code).toBe(2)
      expect(json.stderr).toMatch(/^Fix: \d+ automatic remedies \(dry run: nothing is changed\):/)
      expect(JSON.parse(json.stdout).summary.status).toBe('CRITICAL')
      expect(await listing(root)).toEqual(before)
    })
  })

  it('applies, audits again and exits with the new status; --check limits it', async () => {
    await withTree(sampleTree(), async (root) => {
      const options = await readFile(path.join(root, 'etc/pcp/pmcd/pmcd.options'))
      const run = await cli([
        'verify',
        '--root',
        root,
        '--fix',
        '--check',
        'PCP-PMCD-004',
        '--format',
        'json',
      ])
      expect(run.code).toBe(0)
      expect(run.stderr).toContain('Fix applied; audited again:')
      const report = JSON.parse(run.stdout) as {results: ReportResult[]}
      expect(report.results.filter((r) => r.status === 'fail')).toEqual([])
      expect(await readFile(path.join(root, 'etc/default/pmcd'), 'utf8')).toMatch(/^PMCD_LOCAL=1$/m)
      expect(await readFile(path.join(root, 'etc/pcp/pmcd/pmcd.options'))).toEqual(options)
      expect((await auditTree(root, ['PCP-PMCD-004'])).summary.status).toBe('OK')
    })
  })

  it('refuses --fix on the read-only sample and --restart off --root /, in one line', async () => {
    const sample = await cli(['verify', '--sample', '--fix'])
    expect(sample).toMatchObject({code: 3, stdout: ''})
    expect(sample.stderr.trim().split('\n')).toEqual([
      'pcp-harden: error: --fix: the sample host is read-only (it is bundled in the program); give --root DIR to fix a tree',
    ])
    const restart = await cli(['verify', '--root', '/tmp', '--fix', '--restart'])
    expect(restart.code).toBe(3)
    expect(restart.stderr).toMatch(
      /--restart: restarts this machine's services, so only with --root \/ \(not \/tmp\)/,
    )
  })
})
