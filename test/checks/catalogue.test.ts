import {readdir, readFile} from 'node:fs/promises'
import path from 'node:path'

import {describe, expect, it} from 'vitest'

import {CATALOGUE, loadAll} from '../../src/checks/index.js'
import {PROFILES, SEVERITIES} from '../../src/checks/types.js'
import {Host} from '../../src/host/host.js'
import {MemoryBackend, parseTreeSpec, treeSpecFromData} from '../../src/host/tree.js'
import {REPO} from '../cli/run-cli.js'
import {auditHost} from '../helpers/audit.js'
import {SEED_FILE_BREAKS} from './breaks-extra.js'
import {PMCD_BREAKS} from './pmcd-breaks.js'
import {PULSE_BREAKS} from './pulse/index.js'
import {STATES, VARIANTS} from './pulse-today/states.js'
import {ACCESS_BREAKS, BREAKS, CONFIG_BREAKS, SEED_TREE} from './seed-tree.js'
import {LIVE_FAILING} from '../live/proc-fixture.js'
import {VULN_BREAKS} from '../vuln/breaks.js'
import {WEB_BREAKS} from '../web/breaks.js'
import {NET_BREAKS} from '../net/breaks.js'
import {HTTPS_BREAKS} from './proxy-https-trees.js'

describe('the catalogue of checks', async () => {
  const checks = await loadAll()

  it('has unique ids, each in a module named after it', async () => {
    const ids = CATALOGUE.map((e) => e.id)
    expect(new Set(ids).size).toBe(ids.length)
    const files = new Set<string>()
    for (const area of await readdir(path.join(REPO, 'src/checks'), {withFileTypes: true}))
      if (area.isDirectory())
        for (const f of await readdir(path.join(REPO, 'src/checks', area.name)))
          files.add(f.replace(/\.ts$/, ''))
    for (const id of ids) expect(files, id).toContain(id.toLowerCase())
  })

  it('documents every check fully, with the profiles the catalogue lists', () => {
    checks.forEach((check, index) => {
      const entry = CATALOGUE[index]!
      expect(check.id).toBe(entry.id)
      expect(check.profiles).toEqual(entry.profiles)
      expect(SEVERITIES).toContain(check.severity)
      for (const p of check.profiles) expect(PROFILES).toContain(p)
      for (const field of ['title', 'rationale', 'remediation', 'reference'] as const)
        expect(check[field].length, `${check.id} ${field}`).toBeGreaterThan(10)
      expect(check.tags.length).toBeGreaterThan(0)
      expect(check.example.fail).not.toBe(check.example.pass)
    })
  })

  it('every check has a failing fixture and passes on the seed tree', async () => {
    const failing = new Set([
      ...[...BREAKS, ...SEED_FILE_BREAKS].map(([, , id]) => id),
      ...ACCESS_BREAKS.flatMap(([, , ids]) => ids),
      ...PMCD_BREAKS.flatMap(([, , ids]) => ids),
      ...CONFIG_BREAKS.flatMap(([, , ids]) => ids),
      ...PULSE_BREAKS.flatMap((b) => b.fails.map((f) => f.check)),
      ...[...STATES, ...VARIANTS].flatMap((s) => s.fails.map((f) => f.check)),
      ...VULN_BREAKS.flatMap(([, , ids]) => ids),
      ...LIVE_FAILING,
      ...WEB_BREAKS.flatMap(([, , ids]) => ids),
      ...NET_BREAKS.flatMap(([, , ids]) => ids),
      ...HTTPS_BREAKS.flatMap(([, , ids]) => ids),
    ])
    const host = new Host(new MemoryBackend(parseTreeSpec(SEED_TREE, 'seed'), 'seed'))
    const report = await auditHost(host, {
      rootLabel: 'seed',
      profiles: [...PROFILES],
    })
    // The seed tree runs the proxy, which Pulse no longer supports: the checks of Pulse as it runs
    // today pass on the trees of its other states (test/checks/pulse-today/states.ts).
    const today = await Promise.all(
      STATES.map((state) =>
        auditHost(
          new Host(new MemoryBackend(treeSpecFromData({entries: state.entries}, state.name), state.name)),
          {
            rootLabel: state.name,
            profiles: [...PROFILES],
          },
        ),
      ),
    )
    // The running-host checks read this machine's /proc, never a tree: test/live/ judges them.
    const live = new Set(checks.filter((c) => c.tags.includes('running-host')).map((c) => c.id))
    for (const {id} of CATALOGUE) {
      expect(failing, `${id} has no failing fixture`).toContain(id)
      if (live.has(id)) continue
      const passes = (r: {check: string; status: string}) => r.check === id && r.status === 'pass'
      expect(
        id.startsWith('PULSE-') ? today.some((t) => t.results.some(passes)) : report.results.some(passes),
        `${id} does not pass on the seed tree (or, for a PULSE check, on a tree of a Pulse host today)`,
      ).toBe(true)
    }
  })
})

describe('the README', () => {
  it('shows the rotate-keys timer exactly as unit write renders it', async () => {
    const readme = await readFile(path.join(REPO, 'README.md'), 'utf8')
    const {renderTemplate} = await import('../../src/render/templates.js')
    expect(readme).toContain(
      `\`\`\`ini\n${renderTemplate('pulse-sensor-proxy-rotate-keys.timer.eta', {})}\`\`\``,
    )
  })

  it('lists every check of the catalogue with its severity', async () => {
    const readme = await readFile(path.join(REPO, 'README.md'), 'utf8')
    for (const check of [...(await loadAll())]) {
      expect(readme, check.id).toMatch(new RegExp(`\\| ${check.id}\\s+\\| ${check.severity}\\s+\\|`))
    }
  })
})
