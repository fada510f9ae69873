import path from 'node:path'

import {Flags} from '@oclif/core'

import {PROFILES, type Profile} from '../checks/types.js'
import {readArgumentFile} from '../cli/argument-file.js'
import {BaseCommand} from '../cli/base.js'
import {emitReport, failOnOf, reportFlags} from '../cli/report.js'
import {runAudit} from '../engine/audit.js'
import {withRestart} from '../engine/status.js'
import {InputError} from '../engine/errors.js'
import {detectProfiles} from '../engine/profiles.js'
import {EXIT_CODES, type Report, type RestartSummary} from '../engine/model.js'
import {DEFAULT_WAIVERS_PATH, type Waiver} from '../engine/waivers.js'
import {fleetFlags, isFleet} from '../fleet/flags.js'
import type {Host} from '../host/host.js'

export default class Verify extends BaseCommand<typeof Verify> {
  static override summary = 'Audit a PCP collector or Pulse sensor-proxy host'
  static override description =
    'Runs every check that applies to the components found under --root (or to --profile), and reports ' +
    'the results as text, JSON, Nagios plugin output, SARIF or JUnit. Exit code: 0 OK, 1 WARNING, ' +
    '2 CRITICAL, 3 UNKNOWN (a check could not run, bad input, or nothing to audit: no component found ' +
    'under --root and no --profile, unless --allow-empty).'
  static override examples = [
    '<%= config.bin %> verify --sample',
    '<%= config.bin %> verify --root /mnt/image --format json --output report.json',
    '<%= config.bin %> verify --format nagios --fail-on medium',
    '<%= config.bin %> verify --profile pulse-proxy --skip PSP-FILE-005',
    '<%= config.bin %> verify --root /mnt/image --allow-empty',
    '<%= config.bin %> verify --baseline last.json --fail-on-new --format nagios',
    '<%= config.bin %> verify --format prometheus',
    '<%= config.bin %> verify --textfile-dir /var/lib/prometheus/node-exporter --format nagios',
    '<%= config.bin %> verify --root /mnt/image --fix --dry-run',
    '<%= config.bin %> verify --root /mnt/image --fix --check PCP-PMCD-004',
    '<%= config.bin %> verify --fix --restart',
    '<%= config.bin %> verify --nodes pve1,pve2,pve3:2222 --format nagios',
    '<%= config.bin %> verify --cluster --concurrency 4 --node-timeout 60 --format json',
  ]

  static override flags = {
    sample: Flags.boolean({
      description: 'Audit the bundled sample host instead of --root',
      default: false,
      exclusive: ['root'],
    }),
    profile: Flags.string({
      description: 'Audit for these components instead of detecting them (repeatable)',
      options: [...PROFILES],
      multiple: true,
    }),
    'allow-empty': Flags.boolean({
      description:
        'Accept a root where no component is found (an empty tree on purpose): report OK instead of UNKNOWN',
      default: false,
    }),
    check: Flags.string({description: 'Run only this check id (repeatable)', multiple: true}),
    skip: Flags.string({description: 'Do not run this check id (repeatable)', multiple: true}),
    ...reportFlags,
    waivers: Flags.string({
      description: `Waivers file (YAML) [default: <root>${DEFAULT_WAIVERS_PATH} if present]`,
    }),
    baseline: Flags.string({
      description:
        "An earlier JSON report (--format json): mark each failure new or unchanged, list the resolved ones (with --nodes: a fleet audit's report, compared node by node)",
    }),
    'fail-on-new': Flags.boolean({
      description: 'With --baseline: only failures the baseline did not have change the exit status',
      dependsOn: ['baseline'],
    }),
    fix: Flags.boolean({
      description:
        'Apply the automatic remedy of each failure (after validating each changed file), list the others with their command, then audit again',
      default: false,
    }),
    'dry-run': Flags.boolean({
      description: 'With --fix: print the plan and a unified diff of every file, and change nothing',
      default: false,
      dependsOn: ['fix'],
    }),
    restart: Flags.boolean({
      description:
        'With --fix on --root /: restart the services the applied remedies name, through systemctl. The exit status is at least WARNING when nothing could be restarted (no systemctl, or systemd is not the init system) and CRITICAL when a restart failed',
      default: false,
      dependsOn: ['fix'],
      exclusive: ['dry-run'],
    }),
    'textfile-dir': Flags.string({
      description:
        "Also write the metrics (--format prometheus) to DIR/pcp_harden.prom for node_exporter's textfile collector (with --nodes: each node's with a host label)",
    }),
    ...fleetFlags,
  }

  /** What --restart did, when it ran: the report after the fix carries it. */
  private restarted: RestartSummary | undefined

  async run(): Promise<void> {
    const {flags} = this
    if (flags.fix && flags.sample)
      throw new InputError(
        '--fix: the sample host is read-only (it is bundled in the program); give --root DIR to fix a tree',
      )
    if (flags.restart && path.resolve(flags.root) !== '/')
      throw new InputError(
        `--restart: restarts this machine's services, so only with --root / (not ${flags.root})`,
      )
    if (isFleet(flags)) {
      if (flags.fix)
        throw new InputError(
          '--fix: a fleet audit is read-only (nothing is written on the nodes); fix each node with --root on it',
        )
      return this.runFleet()
    }
    // The sample and waiver files need the YAML parser: loaded only when there is one to read.
    const sample = flags.sample ? await import('../engine/sample.js') : undefined
    const host = sample ? await sample.sampleHost() : await this.diskHost()
    const audited = await this.audit(host, sample?.SAMPLE_LABEL)
    if (!flags.fix) {
      await this.emit(audited.report, audited.now)
      return
    }
    if (!(await this.fix(host, audited.report))) {
      // A dry run: a machine format still gets the audit's report on its stream (the plan went to stderr).
      if (flags.format !== 'text') await this.emit(audited.report, audited.now)
      return
    }
    // A new host view: the first one caches what the files were before the fix.
    const again = await this.audit(await this.diskHost(), undefined)
    await this.emit(again.report, again.now)
  }

  /** Audit a host: the profiles found (or named), every selected check, the network exposure. */
  private async audit(host: Host, sampleLabel: string | undefined): Promise<{report: Report; now: Date}> {
    const {flags} = this
    const profiles: Profile[] =
      (flags.profile as Profile[] | undefined) ?? (await detectProfiles(host)).map((d) => d.profile)
    // An empty or unmounted image has nothing to audit: that is not a clean bill of health.
    if (profiles.length === 0 && !flags['allow-empty'])
      throw new InputError(
        `--root ${flags.root}: nothing to audit: no PCP, Pulse or Proxmox component found (an empty or ` +
          'unmounted image?); name one with --profile, or pass --allow-empty to accept an empty root',
      )
    const now = new Date()
    const report = await runAudit(host, {
      rootLabel: sampleLabel ?? flags.root,
      profiles,
      only: flags.check,
      skip: flags.skip,
      failOn: failOnOf(flags),
      waivers: await this.loadWaivers(host),
      now,
      tool: {name: this.config.name, version: this.config.version},
    })
    const {analyzeExposure, exposureReport} = await import('../net/exposure.js')
    report.exposure = exposureReport(await analyzeExposure(host))
    return {report, now}
  }

  /**
   * Plan the remedies of the report's failures and print the plan; unless --dry-run, apply it and
   * restart what it names (--restart). False after a dry run, whose exit status is the audit's.
   */
  private async fix(host: Host, report: Report): Promise<boolean> {
    const {flags} = this
    const root = path.resolve(flags.root)
    const [{applyFix, planFix}, {formatFix}, {WriteError}] = await Promise.all([
      import('../fix/plan.js'),
      import('../fix/format.js'),
      import('../render/writer.js'),
    ])
    const outcome = await planFix(root, report.results)
    const dryRun = flags['dry-run']
    // The plan goes with the text report; beside a machine format on standard output it goes to standard error.
    const stream = flags.format === 'text' || flags.output ? process.stdout : process.stderr
    stream.write(formatFix(outcome, await host.accounts(), {dryRun}))
    if (dryRun) {
      process.exitCode = EXIT_CODES[report.summary.status]
      return false
    }
    const lines: string[] = []
    try {
      lines.push(...(await applyFix(root, outcome)))
    } catch (error) {
      if (error instanceof WriteError) throw new InputError(error.message)
      throw error
    }
    if (flags.restart && outcome.restart.length > 0) {
      const {restartServices} = await import('../fix/restart.js')
      const restarted = await restartServices(outcome.restart)
      lines.push(...restarted.lines)
      this.restarted = restarted
    }
    lines.push(outcome.plan.length > 0 ? 'Fix applied; audited again:' : 'Nothing changed; audited again:')
    stream.write(`${lines.join('\n')}\n\n`)
    return true
  }

  /** Print the report (and the textfile), and set the exit status it states. */
  private async emit(report: Report, now: Date): Promise<void> {
    const {flags} = this
    const audited = flags.baseline ? await this.compare(report, flags.baseline) : report
    const compared = this.restarted ? withRestart(audited, this.restarted) : audited
    if (flags['textfile-dir']) {
      const [{formatPrometheus}, {writeTextfile}] = await Promise.all([
        import('../report/prometheus.js'),
        import('../render/textfile.js'),
      ])
      await writeTextfile(flags['textfile-dir'], formatPrometheus(compared, {now}))
    }
    await emitReport(compared, flags, {now})
  }

  /** verify --nodes / --cluster: the same audit on each node, read over SSH (src/fleet/). */
  private async runFleet(): Promise<void> {
    const {flags} = this
    const [{auditFleet}, {fleetNodes}, {sshSettings}] = await Promise.all([
      import('../fleet/audit.js'),
      import('../fleet/nodes.js'),
      import('../cli/node-flags.js'),
    ])
    const now = new Date()
    const report = await auditFleet({
      nodes: await fleetNodes(flags, () => this.diskHost()),
      ssh: sshSettings(flags),
      concurrency: flags.concurrency,
      timeoutMs: flags['node-timeout'] * 1000,
      profiles: flags.profile as Profile[] | undefined,
      allowEmpty: flags['allow-empty'],
      only: flags.check,
      skip: flags.skip,
      failOn: failOnOf(flags),
      now,
      tool: {name: this.config.name, version: this.config.version},
      waivers: (host) => this.loadWaivers(host),
    })
    await this.emit(report, now)
  }

  private async compare(report: Report, file: string): Promise<Report> {
    const text = await readArgumentFile(file, `--baseline ${file}`)
    const {applyBaseline, parseBaseline} = await import('../engine/baseline.js')
    return applyBaseline(report, parseBaseline(text, file), file, this.flags['fail-on-new'] ?? false)
  }

  /** --waivers names a local file that must exist; the default lives under the root and is optional. */
  private async loadWaivers(host: Host): Promise<Waiver[]> {
    if (this.flags.waivers) {
      const text = await readArgumentFile(this.flags.waivers, `--waivers ${this.flags.waivers}`)
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
