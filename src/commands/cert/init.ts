import {Flags} from '@oclif/core'

import {BaseCommand, dryRunFlag} from '../../cli/base.js'
import {certFlags} from './flags.js'
import {escapeLines} from '../../report/escape.js'

export default class CertInit extends BaseCommand<typeof CertInit> {
  static override summary = "Create a CA and the collector's server and client certificates"
  static override description =
    'Replaces the openssl commands of PCP\'s "Establishing Secure Connections" chapter: a local CA (ca.crt, ' +
    "ca.key) and the collector's server.crt/server.key and client.crt/client.key in --dir, as X.509 v3 " +
    'certificates (SHA-256, random serials, key identifiers, serverAuth/clientAuth, subjectAltName). Keys are ' +
    "created 0600 (the collector's owned by --owner, the CA's by root), certificates 0644, --dir 0750 " +
    "root:<owner's group>. Existing files are never replaced without --force. Keep the CA key off the " +
    'collector with --ca-dir.'
  static override examples = [
    '<%= config.bin %> cert init --san pcp1.example.com --san 10.1.2.3 --dry-run',
    '<%= config.bin %> cert init --root /mnt/image --san pcp1.example.com --ca-dir /root/pcp-ca --key-size 3072 --force --dry-run',
  ]

  static override flags = {
    dir: Flags.string({
      description: "Directory of the collector's files (a host path)",
      default: '/etc/pcp/tls',
    }),
    'ca-dir': Flags.string({description: 'Directory for the CA key and certificate instead of --dir'}),
    ...certFlags,
    cn: Flags.string({description: 'Common name of the server certificate [default: the first --san]'}),
    'ca-cn': Flags.string({description: 'Common name of the CA', default: 'PCP Certificate Authority'}),
    org: Flags.string({description: 'Organization (O) of every certificate', default: 'PCP Authority'}),
    'ca-days': Flags.integer({description: 'Days the CA is valid', default: 3650, min: 1, max: 36_500}),
    owner: Flags.string({
      description: "User who owns the collector's keys (pmcd reads them as this user)",
      default: 'pcp',
    }),
    'dry-run': dryRunFlag,
  }

  async run(): Promise<void> {
    const {flags} = this
    const host = await this.diskHost()
    const {planInit} = await import('../../pki/init.js')
    const {carryOut} = await import('../../pki/run.js')
    const run = await planInit(host, {
      dir: flags.dir,
      caDir: flags['ca-dir'],
      san: flags.san ?? [],
      cn: flags.cn,
      caCn: flags['ca-cn'],
      org: flags.org,
      days: flags.days,
      caDays: flags['ca-days'],
      keySize: Number(flags['key-size']),
      owner: flags.owner,
      now: new Date(),
    })
    const lines = await carryOut(host, run, {force: flags.force, dryRun: flags['dry-run']})
    process.stdout.write(`${escapeLines(lines.join('\n'))}\n`)
  }
}
