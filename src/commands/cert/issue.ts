import {Flags} from '@oclif/core'

import {BaseCommand, dryRunFlag} from '../../cli/base.js'
import {certFlags} from './flags.js'
import {escapeLines} from '../../report/escape.js'

export default class CertIssue extends BaseCommand<typeof CertIssue> {
  static override summary =
    "Issue a monitor's client certificate, or another collector's, from an existing CA"
  static override description =
    "Signs a new key's certificate with the CA in --ca-dir (ca.crt, ca.key), as PCP's secure-connections chapter does with openssl: " +
    "a monitoring user's client.crt/client.key in ~USER/.pcp/tls (or --out), owned by the user, with a copy of " +
    "ca.crt so the user's PCP clients can verify collectors; or, with --server, a collector's server.crt/server.key " +
    'for its --san names. Existing files are never replaced without --force.'
  static override examples = [
    '<%= config.bin %> cert issue --root /mnt/image --ca-dir /root/pcp-ca --user alice --days 180 --force --dry-run',
    '<%= config.bin %> cert issue --root /mnt/image --ca-dir /root/pcp-ca --server --san pcp2.example.com --san 10.1.2.4 --out /root/pcp2-tls --dry-run',
  ]

  static override flags = {
    'ca-dir': Flags.string({
      description: 'Directory of the CA (ca.crt, ca.key; a host path)',
      default: '/etc/pcp/tls',
    }),
    user: Flags.string({
      description: 'Monitoring user: owns the files; by default they go to ~USER/.pcp/tls',
    }),
    out: Flags.string({description: 'Directory for the files (a host path)'}),
    server: Flags.boolean({
      description: 'A server certificate for another collector (needs --san, --out)',
      default: false,
    }),
    ...certFlags,
    cn: Flags.string({description: 'Common name [default: the user, or the first --san with --server]'}),
    org: Flags.string({description: "Organization (O) [default: the CA's]"}),
    'dry-run': dryRunFlag,
  }

  async run(): Promise<void> {
    const {flags} = this
    const host = await this.diskHost()
    const {planIssue} = await import('../../pki/issue.js')
    const {carryOut} = await import('../../pki/run.js')
    const now = new Date()
    const run = await planIssue(host, {
      caDir: flags['ca-dir'],
      user: flags.user,
      out: flags.out,
      server: flags.server,
      san: flags.san ?? [],
      cn: flags.cn,
      org: flags.org,
      days: flags.days,
      keySize: Number(flags['key-size']),
      now,
    })
    const lines = await carryOut(host, run, {force: flags.force, dryRun: flags['dry-run']})
    process.stdout.write(`${escapeLines(lines.join('\n'))}\n`)
  }
}
