import {Args, Flags} from '@oclif/core'

import {BaseCommand} from '../../cli/base.js'
import {emitReport, failOnOf, fileOnHost, reportFlags} from '../../cli/report.js'

export default class KeysLint extends BaseCommand<typeof KeysLint> {
  static override summary = 'Lint one authorized_keys file as sshd reads it'
  static override description =
    'Runs the line checks of verify (PSP-KEYS-001 to 007) on one file: lines sshd ignores or refuses, duplicates, ' +
    "earlier weaker lines for the same key, and for the proxy's lines (comment pulse-sensor-proxy, the installer's " +
    '# pulse-managed-key, or a key given with --proxy-key) from=, a forced command, the no-* restrictions and ' +
    "stale keys. FILE and --proxy-key are paths under --root; by default the proxy's keys are the ones under " +
    '/var/lib/pulse-sensor-proxy there, if any. Modes and owners are judged by verify (PSP-KEYS-008/009). ' +
    'Exit code: 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN (bad input).'
  static override examples = [
    '<%= config.bin %> keys lint --root /mnt/image /root/.ssh/authorized_keys',
    '<%= config.bin %> keys lint --root /mnt/image /root/.ssh/authorized_keys --format nagios',
    '<%= config.bin %> keys lint --root /mnt/image /root/.ssh/authorized_keys --proxy-key /var/lib/pulse-sensor-proxy/ssh/id_ed25519.pub --format json',
  ]

  static override args = {
    file: Args.string({description: 'The authorized_keys file to lint', required: true}),
  }
  static override flags = {
    'proxy-key': Flags.string({
      description: "A public key file (.pub) of the proxy's, when the comment does not say so (repeatable)",
      multiple: true,
    }),
    user: Flags.string({description: 'The account the file authorises (for messages)', default: 'root'}),
    ...reportFlags,
  }

  async run(): Promise<void> {
    const {args} = await this.parse(KeysLint)
    const {flags} = this
    const host = await this.diskHost()
    const {lintKeysFile} = await import('../../checks/keys/lint.js')
    const report = await lintKeysFile(host, fileOnHost(host, args.file), {
      proxyKeyFiles: flags['proxy-key']?.map((p) => fileOnHost(host, p)),
      user: flags.user,
      rootLabel: flags.root,
      failOn: failOnOf(flags),
      tool: {name: this.config.name, version: this.config.version},
    })
    await emitReport(report, flags)
  }
}
