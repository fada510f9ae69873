import {execFileSync, spawnSync} from 'node:child_process'
import {mkdtemp, readdir, readFile, rm, symlink, mkdir} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import path from 'node:path'

import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {formatPrometheus} from '../../src/report/prometheus.js'
import {cli} from '../cli/run-cli.js'
import {report} from './fixture.js'

const PROMTOOL = '/usr/bin/promtool'
const NOW = new Date('2026-12-07T12:00:00Z')

/** `promtool check metrics` reads the exposition on stdin; exit 0 and no lint output is a pass. */
function promtoolCheckMetrics(text: string): {code: number | null; output: string} {
  const run = spawnSync(PROMTOOL, ['check', 'metrics'], {input: text, encoding: 'utf8', timeout: 20_000})
  return {code: run.status, output: run.stdout + run.stderr}
}

let scratch: string
beforeAll(async () => {
  scratch = await mkdtemp(path.join(tmpdir(), 'pcp-harden-prom-'))
})
afterAll(async () => {
  await rm(scratch, {recursive: true, force: true})
})

describe('formatPrometheus', () => {
  const text = formatPrometheus(report, {now: NOW})

  it('is accepted by promtool check metrics without a lint remark', () => {
    expect(promtoolCheckMetrics(text)).toEqual({code: 0, output: ''})
  })

  it('has one status series per check that ran, 1 for an unwaived failure, with no timestamps', () => {
    const status = text.split('\n').filter((l) => l.startsWith('pcp_harden_check_status{'))
    expect(status).toContain('pcp_harden_check_status{check="PSP-FILE-001",severity="critical"} 1')
    // PCP-ACCESS-002's failure is waived in the fixture.
    expect(status).toContain('pcp_harden_check_status{check="PCP-ACCESS-002",severity="high"} 0')
    for (const line of text.split('\n').filter((l) => l !== '' && !l.startsWith('#')))
      expect(line).toMatch(/^[a-z_]+(\{[^}]*\})? \d+$/)
  })

  it('labels carry only check ids, severities and the version: no text from the host', () => {
    const labels = [...text.matchAll(/([a-z]+)="([^"]*)"/g)].map(([, name, value]) => [name, value])
    for (const [name, value] of labels) {
      expect(['check', 'severity', 'version']).toContain(name)
      if (name === 'check') expect(value).toMatch(/^[A-Z][A-Z0-9-]+$/)
      if (name === 'severity') expect(['critical', 'high', 'medium', 'low', 'info']).toContain(value)
    }
    expect(text).toContain(`pcp_harden_last_run_timestamp_seconds ${NOW.getTime() / 1000}\n`)
    expect(text).toContain('pcp_harden_build_info{version="0.1.0"} 1\n')
    expect(text).toContain('pcp_harden_status 2\n')
  })

  it('counts unwaived failures by severity, every severity present', () => {
    const findings = text.split('\n').filter((l) => l.startsWith('pcp_harden_findings{'))
    expect(findings.map((l) => l.split('"')[1])).toEqual(['critical', 'high', 'medium', 'low', 'info'])
    const total = findings.reduce((n, l) => n + Number(l.split(' ')[1]), 0)
    expect(total).toBe(report.results.filter((r) => r.status === 'fail' && !r.waived).length)
  })
})

describe('verify --format prometheus and --textfile-dir', () => {
  it('the sample host passes promtool check metrics', async () => {
    const run = await cli(['verify', '--sample', '--format', 'prometheus'])
    expect(run.code).toBe(2)
    expect(promtoolCheckMetrics(run.stdout)).toEqual({code: 0, output: ''})
    expect(run.stdout).toContain('pcp_harden_check_status{check="PSP-FILE-001",severity="critical"} 1')
  })

  it('writes pcp_harden.prom by rename, leaves no temporary file, and still prints --format', async () => {
    const dir = path.join(scratch, 'textfile')
    await mkdir(dir)
    const run = await cli(['verify', '--sample', '--textfile-dir', dir, '--format', 'nagios'])
    expect(run.stderr).toBe('')
    expect(run.code).toBe(2)
    expect(run.stdout).toMatch(/^PCP-HARDEN CRITICAL - /)
    expect(await readdir(dir)).toEqual(['pcp_harden.prom'])
    const written = await readFile(path.join(dir, 'pcp_harden.prom'), 'utf8')
    expect(promtoolCheckMetrics(written)).toEqual({code: 0, output: ''})
    const stdout = (await cli(['verify', '--sample', '--format', 'prometheus'])).stdout
    const withoutTime = (t: string) => t.replace(/_seconds \d+/, '_seconds T')
    expect(withoutTime(written)).toBe(withoutTime(stdout))
    // The file is replaced whole on the next run.
    expect((await cli(['verify', '--sample', '--textfile-dir', dir, '--format', 'json'])).code).toBe(2)
    expect(await readdir(dir)).toEqual(['pcp_harden.prom'])
  })

  it('refuses a missing directory or a symlink in one line, exit 3', async () => {
    const missing = path.join(scratch, 'nope')
    const run = await cli(['verify', '--sample', '--textfile-dir', missing])
    expect(run.code).toBe(3)
    expect(run.stderr).toBe(`pcp-harden: error: --textfile-dir ${missing}: no such directory\n`)
    const link = path.join(scratch, 'link')
    await symlink(scratch, link)
    const linked = await cli(['verify', '--sample', '--textfile-dir', link])
    expect(linked.code).toBe(3)
    expect(linked.stderr).toBe(`pcp-harden: error: --textfile-dir ${link}: a symlink (refused)\n`)
  })
})

describe('unit write --audit-timer --alert-rules', () => {
  it('writes units systemd-analyze verify accepts and rules promtool check rules accepts', async () => {
    const root = path.join(scratch, 'root')
    await mkdir(root)
    const run = await cli([
      'unit',
      'write',
      '--root',
      root,
      '--audit-timer',
      '--pcp-harden',
      '/bin/true',
      '--textfile-dir',
      '/var/lib/node-exporter/textfile',
      '--alert-rules',
      '/etc/prometheus/rules/pcp-harden.yml',
    ])
    expect(run.stderr).toBe('')
    expect(run.code).toBe(0)
    expect(run.stdout).toContain('systemctl enable --now pcp-harden-audit.timer')
    const units = ['pcp-harden-audit.service', 'pcp-harden-audit.timer'].map((u) =>
      path.join(root, 'etc/systemd/system', u),
    )
    expect(await readdir(path.join(root, 'etc/systemd/system'))).toEqual([
      'pcp-harden-audit.service',
      'pcp-harden-audit.timer',
    ])
    const service = await readFile(units[0]!, 'utf8')
    expect(service).toContain(
      'ExecStart=/bin/true verify --textfile-dir /var/lib/node-exporter/textfile --format nagios',
    )
    expect(service).toContain('ReadWritePaths=/var/lib/node-exporter/textfile')
    expect(await readFile(units[1]!, 'utf8')).toContain('OnCalendar=hourly')
    expect(await readdir(path.join(root, 'var/lib/node-exporter/textfile'))).toEqual([])
    const verify = spawnSync('systemd-analyze', ['verify', '--no-pager', ...units], {
      encoding: 'utf8',
      timeout: 30_000,
    })
    expect(verify.stdout + verify.stderr).toBe('')
    expect(verify.status).toBe(0)

    const rules = path.join(root, 'etc/prometheus/rules/pcp-harden.yml')
    expect(execFileSync(PROMTOOL, ['check', 'rules', rules], {encoding: 'utf8'})).toContain(
      'SUCCESS: 10 rules found',
    )
  })

  it("the rules fire on pcp-harden's metrics and the proxy's, as promtool test rules shows", async () => {
    const root = path.join(scratch, 'rules-root')
    await mkdir(root)
    const rulesPath = '/etc/prometheus/pcp-harden.yml'
    const run = await cli(['unit', 'write', '--root', root, '--alert-rules', rulesPath, '--proxy-job', 'psp'])
    expect(run.code).toBe(0)
    const test = path.join(root, 'etc/prometheus/test.yml')
    const {writeFile} = await import('node:fs/promises')
    await writeFile(
      test,
      [
        'rule_files: [pcp-harden.yml]',
        'evaluation_interval: 1m',
        'tests:',
        '  - interval: 1m',
        '    input_series:',
        '      - series: \'pcp_harden_findings{severity="critical",instance="pve1"}\'',
        "        values: '1x10'",
        '      - series: \'up{job="psp",instance="pve1"}\'',
        "        values: '0x10'",
        // A fleet audit run on admin1: each node's series carry its host.
        '      - series: \'pcp_harden_findings{severity="high",instance="admin1",host="pve2"}\'',
        "        values: '2x10'",
        '      - series: \'pcp_harden_up{instance="admin1",host="pve3"}\'',
        "        values: '0x180'",
        '    alert_rule_test:',
        '      - eval_time: 1m',
        '        alertname: PcpHardenCriticalFinding',
        '        exp_alerts:',
        '          - exp_labels: {severity: critical, instance: pve1}',
        '            exp_annotations:',
        '              summary: "pcp-harden: 1 critical finding(s) on pve1"',
        '              description: "Run pcp-harden verify on the host for the findings and their fixes."',
        '          - exp_labels: {severity: critical, instance: admin1, host: pve2}',
        '            exp_annotations:',
        '              summary: "pcp-harden: 2 high finding(s) on pve2 (audited from admin1)"',
        '              description: "Run pcp-harden verify on the host for the findings and their fixes."',
        '      - eval_time: 150m',
        '        alertname: PcpHardenNodeNotAudited',
        '        exp_alerts:',
        '          - exp_labels: {severity: warning, instance: admin1, host: pve3}',
        '            exp_annotations:',
        '              summary: "pcp-harden could not audit pve3 over SSH (from admin1)"',
        '              description: "Run pcp-harden verify --nodes pve3 for why: unreachable, key refused, timed out or nothing to audit."',
        '      - eval_time: 5m',
        '        alertname: PulseProxyDown',
        '        exp_alerts:',
        '          - exp_labels: {severity: critical, instance: pve1, job: psp}',
        '            exp_annotations:',
        '              summary: "Pulse proxy down on pve1"',
        '',
      ].join('\n'),
    )
    const result = spawnSync(PROMTOOL, ['test', 'rules', test], {encoding: 'utf8', timeout: 30_000})
    expect(result.stdout + result.stderr).toContain('SUCCESS')
    expect(result.status).toBe(0)
  })
})
