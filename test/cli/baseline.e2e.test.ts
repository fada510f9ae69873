import {chmod, mkdtemp, readFile, rm, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import path from 'node:path'

import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {parseTreeSpec} from '../../src/host/tree.js'
import {buildTree, removeTree} from '../helpers/tree.js'
import {cli, REPO} from './run-cli.js'

interface Json {
  summary: {status: string; exitCode: number}
  results: {
    check: string
    path?: string
    status: string
    identity: string
    baseline?: string
    line?: number
  }[]
  baseline?: {new: number; unchanged: number; resolved: {check: string; path?: string; identity: string}[]}
}

let root: string
let scratch: string
let base: string

/** Prepend comment lines and widen the blanks of every line: each finding moves down, none changes. */
async function reformat(file: string): Promise<void> {
  const local = path.join(root, file)
  const text = await readFile(local, 'utf8')
  const widened = text
    .split('\n')
    .map((line) =>
      line.startsWith('#') || line.startsWith('[') ? line : line.replace(/ ([:;=]) /g, '  $1  '),
    )
    .join('\n')
  await writeFile(local, `# reformatted\n#\n\n${widened}`)
}

async function verifyJson(...args: string[]): Promise<Json> {
  const run = await cli(['verify', '--root', root, '--format', 'json', ...args])
  expect(run.stderr).toBe('')
  return JSON.parse(run.stdout) as Json
}

beforeAll(async () => {
  const sampleText = await readFile(path.join(REPO, 'sample/host.yaml'), 'utf8')
  root = await buildTree(parseTreeSpec(sampleText, 'sample/host.yaml'))
  scratch = await mkdtemp(path.join(tmpdir(), 'pcp-harden-baseline-'))
  base = path.join(scratch, 'base.json')
  const run = await cli(['verify', '--root', root, '--format', 'json', '--output', base])
  expect(run.stderr).toBe('')
  expect(run.code).toBe(2)
})

afterAll(async () => {
  await removeTree(root)
  await rm(scratch, {recursive: true, force: true})
})

describe('verify --baseline', () => {
  it('gives every result an identity the schema documents', async () => {
    const json = JSON.parse(await readFile(base, 'utf8')) as Json
    for (const r of json.results) expect(r.identity).toMatch(/^[A-Z][A-Z0-9-]*:[0-9a-f]{16}(#\d+)?$/)
    expect(new Set(json.results.map((r) => r.identity)).size).toBe(json.results.length)
  })

  it('calls every failure unchanged after the files were reformatted, and keeps the exit code', async () => {
    const before = JSON.parse(await readFile(base, 'utf8')) as Json
    for (const file of [
      '/etc/pcp/pmcd/pmcd.conf',
      '/etc/pcp/pmcd/pmcd.access',
      '/etc/pcp/tls.conf',
      '/etc/sasl2/pmcd.conf',
      '/etc/pve/lxc/110.conf',
      '/etc/systemd/system/pulse-sensor-proxy.service.d/override.conf',
    ])
      await reformat(file)
    const json = await verifyJson('--baseline', base)
    const failing = json.results.filter((r) => r.status === 'fail' || r.status === 'error')
    const moved = failing.filter((r) => {
      const old = before.results.find((o) => o.identity === r.identity)
      return old?.line !== undefined && old.line !== r.line
    })
    expect(moved.length).toBeGreaterThan(3)
    expect(failing.filter((r) => r.baseline !== 'unchanged')).toEqual([])
    expect(json.baseline).toMatchObject({new: 0, unchanged: failing.length, resolved: []})
    expect(json.summary.exitCode).toBe(2)
  })

  it('marks a new failure new, a fixed one resolved, in every format', async () => {
    const key = '/var/lib/pulse-sensor-proxy/ssh.d/prev/id_ed25519'
    const tlsKey = '/etc/pcp/tls/client.key'
    await chmod(path.join(root, key), 0o600)
    await chmod(path.join(root, tlsKey), 0o644)
    try {
      const json = await verifyJson('--baseline', base)
      const fresh = json.results.filter((r) => r.baseline === 'new')
      expect(fresh.map((r) => [r.check, r.path])).toEqual([['PCP-FILE-001', tlsKey]])
      expect(json.baseline?.resolved.map((f) => [f.check, f.path])).toContainEqual(['PSP-FILE-001', key])

      const text = await cli(['verify', '--root', root, '--baseline', base])
      expect(text.stdout).toMatch(new RegExp(`PCP-FILE-001 ${tlsKey}: .*\\(new\\)`))
      expect(text.stdout).toContain(`Resolved since the baseline`)
      expect(text.stdout).toMatch(new RegExp(`\\[RESOLVED\\] PSP-FILE-001 ${key}`))

      const nagios = await cli(['verify', '--root', root, '--baseline', base, '--format', 'nagios'])
      expect(nagios.stdout.split('\n')[0]).toMatch(/since the baseline: 1 new, \d+ resolved \|.* new=1;;;0 /)
      expect(nagios.stdout).toContain(`[CRITICAL] (new) PCP-FILE-001 ${tlsKey}`)

      const sarif = JSON.parse(
        (await cli(['verify', '--root', root, '--baseline', base, '--format', 'sarif'])).stdout,
      ) as {runs: {results: {ruleId: string; baselineState: string}[]}[]}
      const states = sarif.runs[0]!.results.map((r) => `${r.ruleId} ${r.baselineState}`)
      expect(states).toContain('PCP-FILE-001 new')
      expect(states).toContain('PSP-FILE-001 absent')
      expect(states.filter((s) => s.endsWith(' unchanged')).length).toBeGreaterThan(5)

      const junit = (await cli(['verify', '--root', root, '--baseline', base, '--format', 'junit'])).stdout
      expect(junit).toContain('<property name="baseline-new" value="1"/>')
      expect(junit).toContain(`resolved since the baseline: PSP-FILE-001 ${key}`)
      expect(junit).toContain('baseline: new')
    } finally {
      await chmod(path.join(root, key), 0o644)
      await chmod(path.join(root, tlsKey), 0o640)
    }
  })

  it('--fail-on-new: exit 0 while only old failures remain, 2 once a critical one is new', async () => {
    const same = await cli(['verify', '--root', root, '--baseline', base, '--fail-on-new'])
    expect(same.stderr).toBe('')
    expect(same.code).toBe(0)
    expect(same.stdout).toContain('unchanged since the baseline (--fail-on-new): does not raise the status')
    expect((await cli(['verify', '--root', root, '--baseline', base])).code).toBe(2)

    const tlsKey = path.join(root, '/etc/pcp/tls/client.key')
    await chmod(tlsKey, 0o644)
    try {
      const run = await cli([
        'verify',
        '--root',
        root,
        '--baseline',
        base,
        '--fail-on-new',
        '--format',
        'nagios',
      ])
      expect(run.code).toBe(2)
      expect(run.stdout.split('\n').filter((l) => l.startsWith('['))).toEqual([
        expect.stringMatching(/^\[CRITICAL\] \(new\) PCP-FILE-001 \/etc\/pcp\/tls\/client\.key: /),
      ])
    } finally {
      await chmod(tlsKey, 0o640)
    }
  })

  it('refuses a baseline that is not a JSON report in one line, exit 3', async () => {
    const bad = path.join(scratch, 'bad.json')
    await writeFile(bad, '{"results": [{"check": 1}]}\n')
    const run = await cli(['verify', '--root', root, '--baseline', bad])
    expect(run.code).toBe(3)
    expect(run.stderr.trim()).toBe(
      `pcp-harden: error: --baseline ${bad}: results[0] is not a result (check, status and message)`,
    )
    const missing = await cli(['verify', '--root', root, '--baseline', path.join(scratch, 'none.json')])
    expect(missing.code).toBe(3)
    expect(missing.stderr).toContain('no such file')
    const alone = await cli(['verify', '--root', root, '--fail-on-new'])
    expect(alone.stderr).toContain('--baseline')
    expect(alone.code).not.toBe(0)
  })
})
