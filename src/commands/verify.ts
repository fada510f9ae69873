import {readFile} from 'node:fs/promises'
import path from 'node:path'

import {Flags} from '@oclif/core'

import {PROFILES, type Profile} from '../checks/types.js'
import {BaseCommand} from '../cli/base.js'
import {emitReport, failOnOf, reportFlags} from '../cli/report.js'
import {runAudit} from '../engine/audit.js'
import {InputError} from '../engine/errors.js'
import {detectProfiles} from '../engine/profiles.js'
import type {Report} from '../engine/model.js'
import {DEFAULT_WAIVERS_PATH, type Waiver} from '../engine/waivers.js'
import type {Host} from '../host/host.js'

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
    '<%= config.bin %> verify --baseline last.json --fail-on-new --format nagios',
    '<%= config.bin %> verify --format prometheus',
    '<%= config.bin %> verify --textfile-dir /var/lib/prometheus/node-exporter --format nagios',
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
    ...reportFlags,
    waivers: Flags.string({
      description: `Waivers file (YAML) [default: <root>${DEFAULT_WAIVERS_PATH} if present]`,
    }),
    baseline: Flags.string({
      description:
        'An earlier JSON report (--format json): mark each failure new or unchanged, list the resolved ones',
    }),
    'fail-on-new': Flags.boolean({
      description: 'With --baseline: only failures the baseline did not have change the exit status',
      dependsOn: ['baseline'],
    }),
    'textfile-dir': Flags.string({
      description:
        "Also write the metrics (--format prometheus) to DIR/pcp_harden.prom for node_exporter's textfile collector",
    }),
  }

  async run(): Promise<void> {
    const {flags} = this
    // The sample and waiver files need the YAML parser: loaded only when there is one to read.
    const sample = flags.sample ? await import('../engine/sample.js') : undefined
    const host = sample ? await sample.sampleHost() : await this.diskHost()
    const profiles: Profile[] =
      (flags.profile as Profile[] | undefined) ?? (await detectProfiles(host)).map((d) => d.profile)
    const now = new Date()
    const report = await runAudit(host, {
      rootLabel: sample ? sample.SAMPLE_LABEL : flags.root,
      profiles,
      only: flags.check,
      skip: flags.skip,
      failOn: failOnOf(flags),
      waivers: await this.loadWaivers(host),
      now,
      tool: {name: this.config.name, version: this.config.version},
    })
    const compared = flags.baseline ? await this.compare(report, flags.baseline) : report
    if (flags['textfile-dir']) {
      const [{formatPrometheus}, {writeTextfile}] = await Promise.all([
        import('../report/prometheus.js'),
        import('../render/textfile.js'),
      ])
      await writeTextfile(flags['textfile-dir'], formatPrometheus(compared, {now}))
    }
    await emitReport(compared, flags, {now})
  }

  private async compare(report: Report, file: string): Promise<Report> {
    let text: string
    try {
      text = await readFile(file, 'utf8')
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code
      throw new InputError(`--baseline ${file}: ${code === 'ENOENT' ? 'no such file' : code}`)
    }
    const {applyBaseline, parseBaseline} = await import('../engine/baseline.js')
    return applyBaseline(report, parseBaseline(text, file), file, this.flags['fail-on-new'] ?? false)
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
