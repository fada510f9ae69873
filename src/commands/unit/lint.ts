import {writeFile} from 'node:fs/promises'
import path from 'node:path'

import {Args, Flags} from '@oclif/core'

import type {UnitCheck} from '../../checks/unit/check.js'
import {SEVERITIES, type Severity} from '../../checks/types.js'
import {BaseCommand} from '../../cli/base.js'
import {useColor} from '../../cli/color.js'
import {InputError} from '../../engine/errors.js'
import {EXIT_CODES} from '../../engine/model.js'
import {hostPath} from '../../host/host.js'
import {REPORT_FORMATS, type ReportFormat} from '../../report/index.js'

export default class UnitLint extends BaseCommand<typeof UnitLint> {
  static override summary = "Lint a pulse-sensor-proxy unit file with verify's PSP-UNIT checks"
  static override description =
    'Runs the PSP-UNIT checks of verify on one unit file and the drop-ins beside it (FILE.d/*.conf, in ' +
    'name order), as systemd would merge them: the user it runs as, the sandbox of seed 004 and the further ' +
    'protections, RuntimeDirectoryMode, PrivateUsers, and the systemd-analyze exposure score when ' +
    "systemd-analyze is installed (not PSP-UNIT-007, which judges the host's /etc/default file). FILE is a path on this machine, or under --root when given. Same formats and " +
    'exit codes as verify: 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN (or bad input).'
  static override examples = [
    '<%= config.bin %> unit lint --root /mnt/image /etc/systemd/system/pulse-sensor-proxy.service',
    '<%= config.bin %> unit lint --root /mnt/image /etc/systemd/system/pulse-sensor-proxy.service --format json',
  ]

  static override args = {
    file: Args.string({description: 'The unit file (NAME.service) to lint', required: true}),
  }
  static override flags = {
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

  async run(): Promise<void> {
    const {args} = await this.parse(UnitLint)
    const {flags} = this
    const host = await this.diskHost()
    // On the machine itself FILE is relative to the working directory; under --root, to the root.
    const file = host.live ? path.resolve(args.file) : hostPath(args.file)
    const name = path.posix.basename(file)
    if (!name.endsWith('.service'))
      throw new InputError(`${args.file}: expected a service unit file (NAME.service)`)
    const st = await host.stat(file, {follow: true})
    if (!st.ok) throw new InputError(st.missing ? `${args.file}: no such file` : st.message)
    if (st.value.type !== 'file') throw new InputError(`${args.file}: not a regular file`)

    const [{UNIT_CHECKS}, {runAudit}, {formatReport}] = await Promise.all([
      import('../../checks/unit/catalogue.js'),
      import('../../engine/audit.js'),
      import('../../report/index.js'),
    ])
    const target = {name, searchPath: [path.posix.dirname(file)], defaultsFile: false}
    const loaded = (await Promise.all(UNIT_CHECKS.map((e) => e.load()))) as UnitCheck[]
    const report = await runAudit(host, {
      rootLabel: flags.root,
      profiles: ['pulse-proxy'],
      checks: loaded.filter((c) => c.perFile).map((c) => c.forTarget(target)),
      failOn: flags['fail-on'] as Severity,
      waivers: [],
      now: new Date(),
      tool: {name: this.config.name, version: this.config.version},
    })
    const format = flags.format as ReportFormat
    const color = format === 'text' && !flags.output && useColor(process.stdout)
    const text = await formatReport(report, format, {color, verbose: flags.verbose})
    if (flags.output) {
      await writeFile(flags.output, text).catch((error: NodeJS.ErrnoException) => {
        throw new InputError(`--output ${flags.output}: ${error.code ?? String(error)}`)
      })
    } else {
      process.stdout.write(text)
    }
    process.exitCode = EXIT_CODES[report.summary.status]
  }
}
