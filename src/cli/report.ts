import {writeFile} from 'node:fs/promises'
import path from 'node:path'

import {Flags} from '@oclif/core'

import {SEVERITIES, type Severity} from '../checks/types.js'
import {InputError} from '../engine/errors.js'
import {EXIT_CODES, type Report} from '../engine/model.js'
import {hostPath, type Host} from '../host/host.js'
import {formatReport, REPORT_FORMATS, type ReportFormat} from '../report/index.js'
import {useColor} from './color.js'

/** The flags of every command that reports check results: verify and the lint commands. */
export const reportFlags = {
  format: Flags.string({description: 'Output format', options: [...REPORT_FORMATS], default: 'text'}),
  output: Flags.string({
    char: 'o',
    description: 'Write the report to this file instead of standard output',
  }),
  'fail-on': Flags.string({
    description: 'Lowest severity whose failures change the exit status',
    options: [...SEVERITIES],
    default: 'low',
  }),
  verbose: Flags.boolean({
    char: 'v',
    description: 'Text: list passing and skipped results too',
    default: false,
  }),
}

export interface ReportFlagValues {
  format: string
  output?: string
  'fail-on': string
  verbose: boolean
}

export const failOnOf = (flags: ReportFlagValues) => flags['fail-on'] as Severity

/**
 * Write the report as --format asks (colour only for text on a terminal), to --output or standard
 * output, and set the exit code from its Nagios state.
 */
export async function emitReport(
  report: Report,
  flags: ReportFlagValues,
  options: {now?: Date} = {},
): Promise<void> {
  const format = flags.format as ReportFormat
  const color = format === 'text' && !flags.output && useColor(process.stdout)
  const text = await formatReport(report, format, {color, verbose: flags.verbose, now: options.now})
  if (flags.output) {
    try {
      await writeFile(flags.output, text)
    } catch (error) {
      throw new InputError(
        `--output ${flags.output}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`,
      )
    }
  } else {
    process.stdout.write(text)
  }
  process.exitCode = EXIT_CODES[report.summary.status]
}

/**
 * The host path a lint command's FILE names: on the machine itself a path as the user means it
 * (relative to the working directory); under another --root, a path on that machine (a relative
 * one starts at its root).
 */
export function fileOnHost(host: Host, file: string): string {
  return host.live ? path.resolve(file) : hostPath(file)
}
