import {readFileSync} from 'node:fs'

import Ajv2020 from 'ajv/dist/2020.js'
import addFormats from 'ajv-formats'
import {describe, expect, it} from 'vitest'

import {EXIT_CODES} from '../../src/engine/model.js'
import {withRestart} from '../../src/engine/status.js'
import {formatJson} from '../../src/report/json.js'
import {formatJunit} from '../../src/report/junit.js'
import {formatNagios} from '../../src/report/nagios.js'
import {formatText} from '../../src/report/text.js'
import {report, reportOf, resultsWhere} from './fixture.js'

const schema = JSON.parse(readFileSync(new URL('../../schema/report.schema.json', import.meta.url), 'utf8'))
const ajv = new Ajv2020.default({allErrors: true, strict: true})
addFormats.default(ajv)
const validate = ajv.compile(schema)

const FAILED =
  'systemctl restart pmcd.service failed (exit 1): Job for pmcd.service failed because the control process exited with error code.'
const NOT_BOOTED =
  'systemctl restart pmcd.service failed (exit 1): System has not been booted with systemd as init system (PID 1). ' +
  "Can't operate.; nothing restarted; the fix is not in force until pmcd.service restarts: do it by hand"

/** The audit after a fix that left nothing failing. */
const passed = reportOf(resultsWhere((r) => r.status === 'pass'))

describe('the report of verify --fix --restart', () => {
  it('a failed restart raises a passing audit to CRITICAL, and every format says why', () => {
    expect(passed.summary.status).toBe('OK')
    const after = withRestart(passed, {status: 'CRITICAL', lines: ['systemctl daemon-reload: done', FAILED]})
    expect(after.summary.status).toBe('CRITICAL')
    expect(after.summary.counts).toEqual(passed.summary.counts)

    const json = JSON.parse(formatJson(after))
    expect(validate(json), JSON.stringify(validate.errors)).toBe(true)
    expect(json.summary).toMatchObject({status: 'CRITICAL', exitCode: EXIT_CODES.CRITICAL})
    expect(json.restart).toEqual({status: 'CRITICAL', lines: ['systemctl daemon-reload: done', FAILED]})
    expect(Object.keys(json).at(-1)).toBe('restart')

    const text = formatText(after, {color: false}).trimEnd().split('\n')
    expect(text.at(-1)).toBe(`Status: CRITICAL (exit 2, fail-on: low; restart: ${FAILED})`)
    expect(formatText(after, {color: false, quiet: true}).trimEnd().split('\n').at(-1)).toBe(text.at(-1))

    const nagios = formatNagios(after).split('\n')
    expect(nagios[0]).toMatch(
      new RegExp(
        `^PCP-HARDEN CRITICAL - ${FAILED.replace(/[.()]/g, '\\$&')}; \\d+ checks passed \\| critical=0;`,
      ),
    )
    expect(nagios.filter((l) => l !== '')).toHaveLength(1)

    const junit = formatJunit(after)
    expect(junit).toContain('<property name="restart" value="CRITICAL"/>')
    expect(junit).toContain('<property name="status" value="CRITICAL"/>')
    expect(junit).toContain(`<system-out>systemctl daemon-reload: done\n${FAILED}</system-out>`)
  })

  it('nothing restarted (no systemd as init): WARNING, unless the audit is worse already', () => {
    const warned = withRestart(passed, {status: 'WARNING', lines: [NOT_BOOTED]})
    expect(warned.summary.status).toBe('WARNING')
    expect(formatText(warned, {color: false}).trimEnd().split('\n').at(-1)).toBe(
      `Status: WARNING (exit 1, fail-on: low; restart: ${NOT_BOOTED})`,
    )
    // The findings decide the headline when there are any; the restart's line comes first.
    expect(report.summary.status).toBe('CRITICAL')
    const worse = withRestart(report, {status: 'WARNING', lines: [NOT_BOOTED]})
    expect(worse.summary.status).toBe('CRITICAL')
    const head = formatNagios(worse).split('\n')[0]!
    expect(head.startsWith(`PCP-HARDEN CRITICAL - ${NOT_BOOTED}; `)).toBe(true)
    expect(head).toContain(formatNagios(report).split('\n')[0]!.split(' - ')[1]!.split(' | ')[0]!)
  })

  it('a restart that succeeded changes no state and adds no words to the status line', () => {
    const done = withRestart(passed, {status: 'OK', lines: ['systemctl restart pmcd.service: done']})
    expect(done.summary).toEqual(passed.summary)
    expect(formatText(done, {color: false}).trimEnd().split('\n').at(-1)).toBe(
      formatText(passed, {color: false}).trimEnd().split('\n').at(-1),
    )
    expect(formatNagios(done).split('\n')[0]).toBe(formatNagios(passed).split('\n')[0])
    const json = JSON.parse(formatJson(done))
    expect(validate(json), JSON.stringify(validate.errors)).toBe(true)
    expect(json.restart).toEqual({status: 'OK', lines: ['systemctl restart pmcd.service: done']})
  })
})
