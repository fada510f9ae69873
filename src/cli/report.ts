import {writeFile} from 'node:fs/promises'
import path from 'node:path'

import {Flags} from '@oclif/core'

import {SEVERITIES, type Severity} from '../checks/types.js'
import {InputError} from '../engine/errors.js'
import {EXIT_CODES, type Report} from '../engine/model.js'
import {hostPath, type Host} from '../host/host.js'
import {redactSecrets} from '../report/redact.js'
import {formatReport, REPORT_FORMATS, type ReportFormat} from '../report/index.js'
import {useColor} from './color.js'
import {errorWords} from './errno.js'

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
    exclusive: ['quiet'],
  }),
  quiet: Flags.boolean({
    char: 'q',
    description: 'Text: print only one line per failure and the summary line',
    default: false,
  }),
  color: Flags.boolean({
    description:
      'Text: colour the output, or --no-color not (default: on a terminal, unless NO_COLOR is set)',
    allowNo: true,
  }),
}

export interface ReportFlagValues {
  format: string
  output?: string
  'fail-on': string
  verbose: boolean
  quiet: boolean
  color?: boolean
}

export const failOnOf = (flags: ReportFlagValues) => flags['fail-on'] as Severity

/** The report with every secret in a result's message or evidence replaced by what it is. */
export function redactReport(report: Report): Report {
  return {
    ...report,
    results: report.results.map((r) => ({
      ...r,
      message: redactSecrets(r.message),
      ...(r.evidence === undefined ? {} : {evidence: redactSecrets(r.evidence)}),
    })),
  }
}

/**
 * Write the report as --format asks (colour for text as --color says, else only on a terminal;
 * text wrapped to the terminal's width), to --output or standard output, and set the exit code from its Nagios state.
 */
export async function emitReport(
  report: Report,
  flags: ReportFlagValues,
  options: {now?: Date} = {},
): Promise<void> {
  const format = flags.format as ReportFormat
  const color = format === 'text' && (flags.color ?? (!flags.output && useColor(process.stdout)))
  const width = textWidth(flags.output === undefined ? process.stdout : undefined)
  const text = await formatReport(redactReport(report), format, {
    color,
    verbose: flags.verbose,
    quiet: flags.quiet,
    width,
    now: options.now,
  })
  if (flags.output) {
    try {
      await writeFile(flags.output, text)
    } catch (error) {
      throw new InputError(`--output ${flags.output}: ${errorWords(error)}`)
    }
  } else {
    process.stdout.write(text)
  }
  process.exitCode = EXIT_CODES[report.summary.status]
}

/**
 * The columns text wraps to: COLUMNS when it is set to a number (as for ls and man), else the
 * terminal's width, else 80 (a file or a pipe).
 */
export function textWidth(
  stream: {isTTY?: boolean; columns?: number} | undefined,
  env: NodeJS.ProcessEnv = process.env,
): number {
  const columns = Number(env.COLUMNS)
  if (env.COLUMNS && Number.isInteger(columns) && columns > 0) return columns
  return (stream?.isTTY && stream.columns) || 80
}

/**
 * The host path a lint command's FILE names: on the machine itself a path as the user means it
 * (relative to the working directory); under another --root, a path on that machine (a relative
 * one starts at its root).
 */
export function fileOnHost(host: Host, file: string): string {
  return host.live ? path.resolve(file) : hostPath(file)
}
