import path from 'node:path'

import {Args} from '@oclif/core'

import type {UnitCheck} from '../../checks/unit/check.js'
import {BaseCommand} from '../../cli/base.js'
import {emitReport, failOnOf, fileOnHost, reportFlags} from '../../cli/report.js'
import {InputError} from '../../engine/errors.js'

export default class UnitLint extends BaseCommand<typeof UnitLint> {
  static override summary = "Lint a pulse-sensor-proxy unit file with verify's PSP-UNIT checks"
  static override description =
    'Runs the PSP-UNIT checks of verify on one unit file and the drop-ins beside it (FILE.d/*.conf, in ' +
    'name order), as systemd would merge them: the user it runs as, the sandbox of the Pulse proxy hardening guide and the further ' +
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
    ...reportFlags,
  }

  async run(): Promise<void> {
    const {args} = await this.parse(UnitLint)
    const {flags} = this
    const host = await this.diskHost()
    const file = fileOnHost(host, args.file)
    const name = path.posix.basename(file)
    if (!name.endsWith('.service'))
      throw new InputError(`${args.file}: expected a service unit file (NAME.service)`)
    const st = await host.stat(file, {follow: true})
    if (!st.ok) throw new InputError(st.missing ? `${args.file}: no such file` : st.message)
    if (st.value.type !== 'file') throw new InputError(`${args.file}: not a regular file`)

    const [{UNIT_CHECKS}, {runAudit}] = await Promise.all([
      import('../../checks/unit/catalogue.js'),
      import('../../engine/audit.js'),
    ])
    const target = {name, searchPath: [path.posix.dirname(file)], defaultsFile: false}
    const loaded = (await Promise.all(UNIT_CHECKS.map((e) => e.load()))) as UnitCheck[]
    const report = await runAudit(host, {
      rootLabel: flags.root,
      profiles: ['pulse-proxy'],
      checks: loaded.filter((c) => c.perFile).map((c) => c.forTarget(target)),
      failOn: failOnOf(flags),
      waivers: [],
      now: new Date(),
      tool: {name: this.config.name, version: this.config.version},
    })
    await emitReport(report, flags)
  }
}
