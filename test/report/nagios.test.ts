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
    expect(text).toBe('2 critical, 2 warning, 1 check could not run')
  })

  it('carries every count as performance data with a minimum of 0', () => {
    const counts: ReportCounts = report.summary.counts
    expect(perfdata).toEqual({...counts})
    expect(output.split('\n')[0]).toContain(
      '| critical=2;;;0 warning=2;;;0 unknown=1;;;0 passed=5;;;0 skipped=2;;;0 waived=1;;;0 ignored=1;;;0',
    )
  })

  it('lists the results that raised the state, worst first, and only those', () => {
    expect(output.endsWith('\n')).toBe(true)
    expect(details.at(-1)).toBe('')
    const lines = details.slice(0, -1)
    expect(lines.map((l) => /^\S+ [A-Z0-9-]+/.exec(l)?.[0])).toEqual([
      '[CRITICAL] PSP-FILE-001',
      '[CRITICAL] PSP-CONF-002',
      '[WARNING] PCP-TLS-001',
      '[WARNING] PCP-LOG-004',
      '[UNKNOWN] PVE-USER-001',
    ])
    expect(lines[0]).toBe(
      '[CRITICAL] PSP-FILE-001 /var/lib/pulse-sensor-proxy/ssh/id_ed25519: ' +
        'the private key is readable by group and others',
    )
    expect(lines[2]).toBe(
      '[WARNING] PCP-TLS-001: pmcd accepts unencrypted remote connections: no secure sockets are set up',
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
      '[CRITICAL] PSP-CONF-002 /etc/pulse-sensor-proxy/config.yaml:7: allowed_source_subnets has ' +
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
    expect(parsed.details[0]).toMatch(/^\[UNKNOWN\] PVE-USER-001 \/etc\/pve\/user.cfg: cannot read/)
  })

  it('reports WARNING for medium and low failures', () => {
    const warning = reportOf(resultsWhere((r) => r.severity === 'medium' || r.severity === 'low'))
    const parsed = parse(formatNagios(warning))
    expect(parsed.status).toBe('WARNING')
    expect(parsed.text).toBe('0 critical, 2 warning')
  })

  it('does not list failures below --fail-on', () => {
    const strict = reportOf(
      resultsWhere(() => true),
      'high',
    )
    const parsed = parse(formatNagios(strict))
    expect(parsed.text).toBe('2 critical, 0 warning, 1 check could not run')
    expect(parsed.details.filter((l) => l.startsWith('[WARNING]'))).toEqual([])
    expect(parsed.perfdata.ignored).toBe(3)
  })
})
