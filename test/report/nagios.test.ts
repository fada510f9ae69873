import {describe, expect, it} from 'vitest'

import type {ReportCounts} from '../../src/engine/model.js'
import {formatNagios} from '../../src/report/nagios.js'
import {report, reportOf, resultsWhere} from './fixture.js'

/** `SERVICE STATUS - text | perfdata`, the monitoring-plugins guideline shape. */
const FIRST_LINE = /^PCP-HARDEN (OK|WARNING|CRITICAL|UNKNOWN) - ([^|\n]+) \| ((?:\S+=\S+)(?: \S+=\S+)*)$/

/** 'label'=value[UOM];[warn];[crit];[min];[max] */
const PERFDATA = /^([^='\s]+|'[^'=]+')=(-?\d+(?:\.\d+)?)([a-zA-Z%]*)((?:;[^;\s]*){0,4})$/

function parse(output: string) {
  const [first, ...rest] = output.split('\n')
  const match = FIRST_LINE.exec(first!)
  if (!match) throw new Error(`not plugin output: ${first}`)
  const perfdata = Object.fromEntries(
    match[3]!.split(' ').map((item) => {
      const field = PERFDATA.exec(item)
      if (!field) throw new Error(`bad perfdata ${item}`)
      expect(field[4]).toBe(';;;0')
      return [field[1]!, Number(field[2])]
    }),
  )
  return {status: match[1], text: match[2], perfdata, details: rest}
}

describe('formatNagios', () => {
  const output = formatNagios(report)
  const {status, text, perfdata, details} = parse(output)

  it('starts with the plugin status line of the report status', () => {
    expect(status).toBe(report.summary.status)
    // The text counts findings by their severity; the status word before it is the state.
    expect(text).toBe('1 critical, 1 high, 1 medium, 1 low, 1 info, 1 check could not run')
  })

  it('carries every count as performance data with a minimum of 0', () => {
    const counts: ReportCounts = report.summary.counts
    expect(perfdata).toEqual({
      ...counts,
      critical_findings: 1,
      high_findings: 1,
      medium_findings: 1,
      low_findings: 1,
      info_findings: 1,
    })
    // The state counts keep their labels and order (additive change); findings by severity follow.
    expect(output.split('\n')[0]).toContain(
      '| critical=2;;;0 warning=2;;;0 unknown=1;;;0 passed=5;;;0 skipped=2;;;0 waived=1;;;0 ignored=1;;;0 ' +
        'critical_findings=1;;;0 high_findings=1;;;0 medium_findings=1;;;0 low_findings=1;;;0 info_findings=1;;;0',
    )
  })

  it('lists the results that raised the state, worst first, and only those, each with its own severity', () => {
    expect(output.endsWith('\n')).toBe(true)
    expect(details.at(-1)).toBe('')
    const lines = details.slice(0, -1)
    expect(lines.map((l) => /^\S+ [A-Z0-9-]+/.exec(l)?.[0])).toEqual([
      '[CRITICAL] PSP-FILE-001',
      '[HIGH] PSP-CONF-002',
      '[MEDIUM] PCP-TLS-001',
      '[LOW] PCP-LOG-004',
      '[ERROR] PVE-USER-001',
    ])
    expect(lines[0]).toBe(
      '[CRITICAL] PSP-FILE-001 /var/lib/pulse-sensor-proxy/ssh/id_ed25519: ' +
        'the private key is readable by group and others',
    )
    expect(lines[2]).toBe(
      '[MEDIUM] PCP-TLS-001: pmcd accepts unencrypted remote connections: no secure sockets are set up',
    )
  })

  it('keeps pipes and control characters out of every line', () => {
    const lines = output.split('\n')
    expect(lines.slice(1).join('\n')).not.toContain('|')
    expect(lines[0]!.split('|')).toHaveLength(2)
    // eslint-disable-next-line no-control-regex
    expect(output).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f]/)
    const nasty = lines.find((l) => l.includes('PSP-CONF-002'))!
    expect(nasty).toBe(
      '[HIGH] PSP-CONF-002 /etc/pulse-sensor-proxy/config.yaml:7: allowed_source_subnets has ' +
        `"0.0.0.0/0" & 'any' <unrestricted> ¦ every peer may ask for temperatures\\x1b[2J`,
    )
  })

  it('says how many checks passed when all is well', () => {
    const ok = formatNagios(reportOf(resultsWhere((r) => r.status === 'pass')))
    const parsed = parse(ok)
    expect(parsed.status).toBe('OK')
    expect(parsed.text).toBe('5 checks passed')
    expect(ok.split('\n')).toEqual([`PCP-HARDEN OK - 5 checks passed | ${ok.split(' | ')[1]!.trimEnd()}`, ''])
  })

  it('mentions waived and ignored failures when OK', () => {
    const quiet = reportOf(resultsWhere((r) => r.status === 'pass' || !!r.waived || r.severity === 'info'))
    expect(parse(formatNagios(quiet)).text).toBe('5 checks passed, 1 waived, 1 ignored')
  })

  it('names the count of checks that could not run when UNKNOWN', () => {
    const unknown = reportOf(resultsWhere((r) => r.status === 'error' || r.status === 'pass'))
    const parsed = parse(formatNagios(unknown))
    expect(parsed.status).toBe('UNKNOWN')
    expect(parsed.text).toBe('1 check could not run')
    expect(parsed.details[0]).toMatch(/^\[ERROR\] PVE-USER-001 \/etc\/pve\/user.cfg: cannot read/)
  })

  it('reports WARNING for medium and low failures', () => {
    const warning = reportOf(resultsWhere((r) => r.severity === 'medium' || r.severity === 'low'))
    const parsed = parse(formatNagios(warning))
    expect(parsed.status).toBe('WARNING')
    expect(parsed.text).toBe('0 critical, 0 high, 1 medium, 1 low')
  })

  it('does not list failures below --fail-on', () => {
    const strict = reportOf(
      resultsWhere(() => true),
      'high',
    )
    const parsed = parse(formatNagios(strict))
    // Every finding is counted by severity; only those at or above --fail-on are listed.
    expect(parsed.text).toBe('1 critical, 1 high, 1 medium, 1 low, 1 info, 1 check could not run')
    expect(parsed.details.filter((l) => /^\[(MEDIUM|LOW|INFO)\]/.test(l))).toEqual([])
    expect(parsed.perfdata.ignored).toBe(3)
  })
})
