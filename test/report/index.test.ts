import {describe, expect, it} from 'vitest'

import {formatReport, raisedState, REPORT_FORMATS} from '../../src/report/index.js'
import {formatJson} from '../../src/report/json.js'
import {formatJunit} from '../../src/report/junit.js'
import {formatNagios} from '../../src/report/nagios.js'
import {formatSarif} from '../../src/report/sarif.js'
import {formatText} from '../../src/report/text.js'
import {report, reportOf, resultsWhere} from './fixture.js'

describe('formatReport', () => {
  it('offers every format', () => {
    expect(REPORT_FORMATS).toEqual(['text', 'json', 'nagios', 'sarif', 'junit', 'prometheus'])
  })

  it('renders each format with its formatter', async () => {
    expect(await formatReport(report, 'text', {color: true, verbose: true})).toBe(
      formatText(report, {color: true, verbose: true}),
    )
    expect(await formatReport(report, 'text')).toBe(formatText(report, {color: false}))
    expect(await formatReport(report, 'json')).toBe(formatJson(report))
    expect(await formatReport(report, 'nagios')).toBe(formatNagios(report))
    expect(await formatReport(report, 'sarif', {toolUri: 'https://example.org/'})).toBe(
      formatSarif(report, {toolUri: 'https://example.org/'}),
    )
    expect(await formatReport(report, 'junit')).toBe(formatJunit(report))
  })

  it('never colours machine formats', async () => {
    for (const format of REPORT_FORMATS.filter((f) => f !== 'text')) {
      expect(await formatReport(report, format, {color: true})).not.toContain('\u001b')
    }
  })
})

describe('raisedState', () => {
  it('agrees with the counts of the summary', () => {
    for (const failOn of ['critical', 'high', 'medium', 'low', 'info'] as const) {
      const {counts} = reportOf(
        resultsWhere(() => true),
        failOn,
      ).summary
      const states = report.results.map((r) => raisedState(r, failOn))
      expect(states.filter((s) => s === 'CRITICAL')).toHaveLength(counts.critical)
      expect(states.filter((s) => s === 'WARNING')).toHaveLength(counts.warning)
      expect(states.filter((s) => s === 'UNKNOWN')).toHaveLength(counts.unknown)
    }
  })

  it('raises nothing for waived results, passes and skips', () => {
    for (const r of report.results.filter((r) => r.waived || r.status === 'pass' || r.status === 'skip')) {
      expect(raisedState(r, 'info')).toBe('OK')
    }
  })
})
