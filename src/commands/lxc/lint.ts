import path from 'node:path'

import {Args, Flags} from '@oclif/core'

import {SEVERITIES, type Severity} from '../../checks/types.js'
import {BaseCommand} from '../../cli/base.js'
import {useColor} from '../../cli/color.js'
import {InputError} from '../../engine/errors.js'
import {EXIT_CODES} from '../../engine/model.js'
import {REPORT_FORMATS, type ReportFormat} from '../../report/index.js'

export default class LxcLint extends BaseCommand<typeof LxcLint> {
  static override summary = 'Lint one Proxmox container config with the PSP-LXC checks'
  static override description =
    'Runs the checks verify runs on every /etc/pve/lxc/*.conf (privileged, AppArmor, capabilities, devices, ' +
    'auto-mounts, id maps, the proxy socket mount, snapshots) on one file, a path on the machine under --root. ' +
    'Snapshot sections are reported apart (PSP-LXC-011); lines in the description (#...) are not config. ' +
    'Formats and exit codes are those of verify: 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN or bad input.'
  static override examples = [
    '<%= config.bin %> lxc lint --root /mnt/image /etc/pve/lxc/105.conf',
    '<%= config.bin %> lxc lint --root /mnt/image /etc/pve/nodes/pve2/lxc/205.conf --format json',
  ]

  static override args = {
    file: Args.string({description: 'The container config (e.g. /etc/pve/lxc/105.conf)', required: true}),
  }
  static override flags = {
    format: Flags.string({description: 'Output format', options: [...REPORT_FORMATS], default: 'text'}),
    'fail-on': Flags.string({
      description: 'Lowest severity whose failures change the exit status',
      options: [...SEVERITIES],
      default: 'low',
    }),
    verbose: Flags.boolean({char: 'v', description: 'Text: list passing results too', default: false}),
  }

  async run(): Promise<void> {
    const {args} = await this.parse(LxcLint)
    const {flags} = this
    const host = await this.diskHost()
    if (flags.root !== '/' && !args.file.startsWith('/'))
      throw new InputError(
        `${args.file}: give the config's absolute path on the machine under --root ${flags.root}`,
      )
    const file = flags.root === '/' ? path.resolve(args.file) : args.file
    const text = await host.readText(file)
    if (!text.ok) throw new InputError(text.message)
    const {lintLxcConfig} = await import('../../checks/lxc/lint.js')
    const report = await lintLxcConfig(file, text.value, {
      failOn: flags['fail-on'] as Severity,
      tool: {name: this.config.name, version: this.config.version},
    })
    const {formatReport} = await import('../../report/index.js')
    const format = flags.format as ReportFormat
    const color = format === 'text' && useColor(process.stdout)
    process.stdout.write(await formatReport(report, format, {color, verbose: flags.verbose}))
    process.exitCode = EXIT_CODES[report.summary.status]
  }
}
