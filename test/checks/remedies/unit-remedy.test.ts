import {execFile} from 'node:child_process'
import {mkdirSync, mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import path from 'node:path'
import {promisify} from 'node:util'

import {describe, expect, it} from 'vitest'

import {UNIT_CHECKS} from '../../../src/checks/unit/catalogue.js'
import {
  parseExposure,
  securityArgv,
  systemdAnalyzeBinary,
  verifyArgv,
} from '../../../src/exec/systemd-analyze.js'
import {Host} from '../../../src/host/host.js'
import {MemoryBackend, type TreeSpec} from '../../../src/host/tree.js'
import {seedTreeWith} from '../seed-tree.js'

const cp = promisify(execFile)
const UNIT = '/etc/systemd/system/pulse-sensor-proxy.service'
const DIR = '/etc/systemd/system/pulse-sensor-proxy.service.d'
const DROP_IN = `${DIR}/pcp-harden.conf`

/** The installer's unit without any hardening: every sandbox directive missing. */
const BARE = `[Unit]
Description=Pulse Temperature Proxy

[Service]
Type=simple
User=pulse-sensor-proxy
Group=pulse-sensor-proxy
ExecStart=/usr/local/bin/pulse-sensor-proxy
RuntimeDirectory=pulse-sensor-proxy

[Install]
WantedBy=multi-user.target
`

async function failures(spec: TreeSpec) {
  const host = new Host(new MemoryBackend(spec, 'test'))
  const checks = await Promise.all(UNIT_CHECKS.map((e) => e.load()))
  const results = await Promise.all(
    checks.map(async (c) => (await c.run(host)).map((r) => ({check: c.id, ...r}))),
  )
  return results.flat().filter((r) => r.status === 'fail')
}

const analyze = systemdAnalyzeBinary()

describe('the remedy of the proxy unit findings', () => {
  it('is one drop-in, pcp-harden.conf, the same for every finding it fixes, never an edit of the unit', async () => {
    const found = await failures(seedTreeWith({path: UNIT, content: BARE}))
    const planned = found.filter((r) => r.remedy?.kind === 'create')
    expect(planned.map((r) => r.check).sort()).toEqual(
      expect.arrayContaining(['PSP-UNIT-002', 'PSP-UNIT-003', 'PSP-UNIT-004']),
    )
    const [first] = planned
    for (const r of planned) expect(r.remedy).toEqual(first?.remedy)
    expect(first?.remedy).toMatchObject({
      kind: 'create',
      path: DROP_IN,
      mode: 0o644,
      owner: 'root',
      group: 'root',
      validate: 'systemd-unit',
      restart: ['daemon-reload', 'pulse-sensor-proxy.service'],
    })
    const content = (first?.remedy as {content: string}).content
    // What the real service needs stays: netlink for its addresses, its state and corosync writable,
    // real peer uids; lists are reset before they are set, so nothing earlier widens them.
    expect(content).toContain(
      'RestrictAddressFamilies=\nRestrictAddressFamilies=AF_UNIX AF_INET AF_INET6 AF_NETLINK\n',
    )
    expect(content).toContain('ProtectSystem=strict\nReadWritePaths=/var/lib/pulse-sensor-proxy\n')
    expect(content).toContain('ReadWritePaths=-/run/corosync\n')
    expect(content).toContain('SystemCallFilter=\nSystemCallFilter=@system-service\n')
    expect(content).not.toContain('PrivateUsers=true')
    for (const r of found) expect(r.fix ?? '').not.toMatch(/sed -i .*pulse-sensor-proxy\.service /)
  })

  it.runIf(analyze)(
    'is accepted by systemd-analyze verify and brings the score under the threshold',
    async () => {
      const found = await failures(seedTreeWith({path: UNIT, content: BARE}))
      const plan = found.find((r) => r.remedy?.kind === 'create')?.remedy as {content: string}
      const root = mkdtempSync(path.join(tmpdir(), 'pcp-harden-dropin-'))
      try {
        const unitDir = path.join(root, 'etc/systemd/system')
        mkdirSync(path.join(unitDir, 'pulse-sensor-proxy.service.d'), {recursive: true})
        // ExecStart must name an existing program for verify: the same unit with /bin/true.
        writeFileSync(
          path.join(unitDir, 'pulse-sensor-proxy.service'),
          BARE.replace('/usr/local/bin/pulse-sensor-proxy', '/bin/true'),
        )
        writeFileSync(path.join(unitDir, 'pulse-sensor-proxy.service.d/pcp-harden.conf'), plan.content)
        const [vcmd, vargs] = verifyArgv(analyze as string, [
          path.join(unitDir, 'pulse-sensor-proxy.service'),
        ])
        const verified = await cp(vcmd, vargs, {timeout: 30_000}).then(
          (r) => ({code: 0, out: `${r.stdout}${r.stderr}`}),
          (error: {code: number; stdout: string; stderr: string}) => ({
            code: error.code,
            out: `${error.stdout}${error.stderr}`,
          }),
        )
        expect(verified).toMatchObject({code: 0})
        expect(verified.out).not.toMatch(/pcp-harden\.conf/)
        const [scmd, sargs] = securityArgv(analyze as string, root, 'pulse-sensor-proxy.service')
        const scored = await cp(scmd, sargs, {timeout: 30_000}).then(
          (r) => r.stdout,
          (error: {stdout: string}) => error.stdout,
        )
        const exposure = parseExposure(scored, 'pulse-sensor-proxy.service')
        expect(exposure?.score).toBeLessThanOrEqual(4.2)
      } finally {
        rmSync(root, {recursive: true, force: true})
      }
    },
  )

  it('merges into an existing pcp-harden.conf instead of replacing it', async () => {
    const found = await failures(
      seedTreeWith(
        {path: UNIT, content: BARE},
        {path: DROP_IN, content: "[Service]\n# the admin's own line\nLimitNOFILE=1024\n"},
      ),
    )
    const plan = found.find((r) => r.check === 'PSP-UNIT-002')?.remedy
    expect(plan).toMatchObject({kind: 'edit', path: DROP_IN, validate: 'systemd-unit'})
    expect(plan).toMatchObject({
      edits: [{op: 'append', text: expect.stringMatching(/^\[Service\]\nNoNewPrivileges=true\n/)}],
    })
  })

  it('deletes a weakening line of a drop-in applied after pcp-harden.conf by hand, saying why', async () => {
    const found = await failures(
      seedTreeWith({
        path: `${DIR}/zz-debug.conf`,
        content: '[Service]\n# strace needs every call\nSystemCallFilter=\n',
      }),
    )
    const r = found.find((f) => f.check === 'PSP-UNIT-003')
    expect(r?.remedy).toMatchObject({
      kind: 'manual',
      why: expect.stringMatching(/applied after pcp-harden.conf/),
    })
    expect(r?.fix).toBe(
      `sed -i '3{\\|^SystemCallFilter=$|d;}' ${DIR}/zz-debug.conf && systemctl daemon-reload && systemctl restart pulse-sensor-proxy.service`,
    )
  })

  it('leaves the user switch and the capability set to the admin while the service runs as root', async () => {
    const found = await failures(
      seedTreeWith({path: UNIT, content: BARE.replace('User=pulse-sensor-proxy\n', '')}),
    )
    expect(found.find((r) => r.check === 'PSP-UNIT-001')?.remedy).toMatchObject({
      kind: 'manual',
      why: expect.stringMatching(/must exist .* or the proxy can no longer read its key/),
    })
    const dropIn = found.find((r) => r.remedy?.kind === 'create')?.remedy as {content: string}
    expect(dropIn.content).not.toContain('CapabilityBoundingSet')
    expect(found.find((r) => r.check === 'PSP-UNIT-008')?.remedy).toBeUndefined()
  })

  it('moves an inert /etc/default/pulse-sensor-proxy aside', async () => {
    const found = await failures(
      seedTreeWith(
        {path: UNIT, content: BARE.replace('[Service]\n', '[Service]\nNoNewPrivileges=true\n')},
        {
          path: '/etc/default/pulse-sensor-proxy',
          content: 'PULSE_SENSOR_PROXY_ALLOWED_SUBNETS="10.1.2.0/24"\n',
        },
      ),
    )
    expect(found.find((r) => r.check === 'PSP-UNIT-007')).toMatchObject({
      remedy: {kind: 'move', path: '/etc/default/pulse-sensor-proxy', to: '/var/backups/pcp-harden'},
      fix: 'install -d -m 0700 /var/backups/pcp-harden && mv -n /etc/default/pulse-sensor-proxy /var/backups/pcp-harden/pulse-sensor-proxy',
    })
  })
})
