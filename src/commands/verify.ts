import {readFile, writeFile} from 'node:fs/promises'
import path from 'node:path'

import {Flags} from '@oclif/core'

import {PROFILES, type Profile, SEVERITIES, type Severity} from '../checks/types.js'
import {BaseCommand} from '../cli/base.js'
import {useColor} from '../cli/color.js'
import {runAudit} from '../engine/audit.js'
import {InputError} from '../engine/errors.js'
import {EXIT_CODES} from '../engine/model.js'
import {detectProfiles} from '../engine/profiles.js'
import {DEFAULT_WAIVERS_PATH, type Waiver} from '../engine/waivers.js'
import type {Host} from '../host/host.js'
import {formatReport, REPORT_FORMATS, type ReportFormat} from '../report/index.js'

export default class Verify extends BaseCommand<typeof Verify> {
  static override summary = 'Audit a PCP collector or Pulse sensor-proxy host'
  static override description =
    'Runs every check that applies to the components found under --root (or to --profile), and reports ' +
    'the results as text, JSON, Nagios plugin output, SARIF or JUnit. Exit code: 0 OK, 1 WARNING, ' +
    '2 CRITICAL, 3 UNKNOWN (a check could not run, or bad input).'
  static override examples = [
    '<%= config.bin %> verify --sample',
    '<%= config.bin %> verify --root /mnt/image --format json --output report.json',
    '<%= config.bin %> verify --format nagios --fail-on medium',
    '<%= config.bin %> verify --profile pulse-proxy --skip PSP-FILE-005',
  ]

  static override flags = {
    sample: Flags.boolean({description: 'Audit the bundled sample host instead of --root', default: false}),
    profile: Flags.string({
      description: 'Audit for these components instead of detecting them (repeatable)',
      options: [...PROFILES],
      multiple: true,
    }),
    check: Flags.string({description: 'Run only this check id (repeatable)', multiple: true}),
    skip: Flags.string({description: 'Do not run this check id (repeatable)', multiple: true}),
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
    waivers: Flags.string({
      description: `Waivers file (YAML) [default: <root>${DEFAULT_WAIVERS_PATH} if present]`,
    }),
    verbose: Flags.boolean({
      char: 'v',
      description: 'Text: list passing and skipped results too',
      default: false,
    }),
  }

  async run(): Promise<void> {
    const {flags} = this
    // The sample and waiver files need the YAML parser: loaded only when there is one to read.
    const sample = flags.sample ? await import('../engine/sample.js') : undefined
    const host = sample ? await sample.sampleHost() : await this.diskHost()
    const profiles: Profile[] =
      (flags.profile as Profile[] | undefined) ?? (await detectProfiles(host)).map((d) => d.profile)
    const report = await runAudit(host, {
      rootLabel: sample ? sample.SAMPLE_LABEL : flags.root,
      profiles,
      only: flags.check,
      skip: flags.skip,
      failOn: flags['fail-on'] as Severity,
      waivers: await this.loadWaivers(host),
      now: new Date(),
      tool: {name: this.config.name, version: this.config.version},
    })
    const format = flags.format as ReportFormat
    const color = format === 'text' && !flags.output && useColor(process.stdout)
    const text = await formatReport(report, format, {color, verbose: flags.verbose})
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

  /** --waivers names a local file that must exist; the default lives under the root and is optional. */
  private async loadWaivers(host: Host): Promise<Waiver[]> {
    if (this.flags.waivers) {
      let text: string
      try {
        text = await readFile(this.flags.waivers, 'utf8')
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code
        throw new InputError(`--waivers ${this.flags.waivers}: ${code === 'ENOENT' ? 'no such file' : code}`)
      }
      const {parseWaivers} = await import('../engine/waivers-file.js')
      return parseWaivers(text, path.resolve(this.flags.waivers))
    }
    const text = await host.readText(DEFAULT_WAIVERS_PATH)
    if (text.ok) {
      const {parseWaivers} = await import('../engine/waivers-file.js')
      return parseWaivers(text.value, DEFAULT_WAIVERS_PATH)
    }
    if (text.missing) return []
    throw new InputError(text.message)
  }
}
