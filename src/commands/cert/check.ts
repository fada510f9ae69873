import {Args, Flags} from '@oclif/core'

import {BaseCommand} from '../../cli/base.js'
import {InputError} from '../../engine/errors.js'
import {EXIT_CODES} from '../../engine/model.js'
import type {CertFormat} from '../../pki/format.js'

export default class CertCheck extends BaseCommand<typeof CertCheck> {
  static override summary = 'Check certificates: expiry, chain, key, strength, usage and names'
  static override description =
    "Judges each certificate named by the root's /etc/pcp/tls.conf and by users' ~/.pcp/tls.conf (or the FILEs " +
    'given, host paths under --root): days left against -w/-c, not yet valid, chain to the configured CA, key ' +
    'match, RSA below 2048 bits, MD5/SHA-1 signatures, serverAuth/clientAuth for its role, subjectAltName (and ' +
    '--host), validity longer than --max-days. Output as text, JSON or Nagios plugin output with days_left ' +
    'perfdata. Exit code: 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN (unreadable or unparseable input).'
  static override examples = [
    '<%= config.bin %> cert check --root /mnt/image',
    '<%= config.bin %> cert check --root /mnt/image --format nagios -w 30 -c 7',
    '<%= config.bin %> cert check --root /mnt/image /etc/pcp/tls/server.crt --key /etc/pcp/tls/server.key --ca /etc/pcp/tls/ca.crt --host pcp1.example.com',
  ]

  static override strict = false
  static override args = {
    file: Args.string({description: 'Certificate files (PEM) to check instead of tls.conf'}),
  }

  static override flags = {
    warning: Flags.integer({char: 'w', description: 'WARNING when fewer days are left', default: 30, min: 0}),
    critical: Flags.integer({
      char: 'c',
      description: 'CRITICAL when fewer days are left',
      default: 7,
      min: 0,
    }),
    host: Flags.string({description: 'A name or address server certificates must carry in subjectAltName'}),
    'max-days': Flags.integer({
      description: 'WARNING when a certificate is valid for longer than this',
      min: 1,
    }),
    role: Flags.string({
      description:
        'Role of the FILEs [default: ca for a CA certificate, client when the name says so, else server]',
      options: ['server', 'client', 'ca'],
    }),
    key: Flags.string({
      description: 'Private key of the (single) FILE [default: FILE with .key for .crt/.pem, when present]',
    }),
    ca: Flags.string({
      description: "CA certificate the FILEs must chain to [default: tls.conf's tls-ca-cert-file]",
    }),
    format: Flags.string({
      description: 'Output format',
      options: ['text', 'json', 'nagios'],
      default: 'text',
    }),
  }

  async run(): Promise<void> {
    const {flags} = this
    if (flags.warning < flags.critical) throw new InputError('-w must be at least -c (days left)')
    const host = await this.diskHost()
    const {checkCertificates, fileTargets, tlsConfTargets} = await import('../../pki/check.js')
    const {formatCertReport} = await import('../../pki/format.js')
    const {argv} = await this.parse(CertCheck)
    const files = argv as string[]
    if (files.length === 0 && (flags.key || flags.ca || flags.role))
      throw new InputError('--key, --ca and --role apply to FILE arguments')
    const targets =
      files.length > 0
        ? await fileTargets(host, files, {role: flags.role, key: flags.key, ca: flags.ca})
        : await tlsConfTargets(host, {users: true})
    if (targets.length === 0)
      throw new InputError(
        "no certificates to check: the root's tls.conf files name none; give FILE arguments",
      )
    const report = await checkCertificates(host, targets, {
      now: new Date(),
      warningDays: flags.warning,
      criticalDays: flags.critical,
      host: flags.host,
      maxDays: flags['max-days'],
    })
    process.stdout.write(formatCertReport(report, flags.format as CertFormat))
    process.exitCode = EXIT_CODES[report.status]
  }
}
