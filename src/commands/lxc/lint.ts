import {Args} from '@oclif/core'

import {BaseCommand} from '../../cli/base.js'
import {emitReport, failOnOf, fileOnHost, reportFlags} from '../../cli/report.js'
import {InputError} from '../../engine/errors.js'

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
    ...reportFlags,
  }

  async run(): Promise<void> {
    const {args} = await this.parse(LxcLint)
    const {flags} = this
    const host = await this.diskHost()
    const file = fileOnHost(host, args.file)
    const text = await host.readText(file)
    if (!text.ok) throw new InputError(text.message)
    const {lintLxcConfig} = await import('../../checks/lxc/lint.js')
    const report = await lintLxcConfig(file, text.value, {
      failOn: failOnOf(flags),
      tool: {name: this.config.name, version: this.config.version},
    })
    await emitReport(report, flags)
  }
}
