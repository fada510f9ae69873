import {Flags} from '@oclif/core'

import {BaseCommand, dryRunFlag} from '../../cli/base.js'
import {InputError} from '../../engine/errors.js'
import type {DiskBackend} from '../../host/backend.js'
import {escapeLines} from '../../report/escape.js'

export default class TlsWrite extends BaseCommand<typeof TlsWrite> {
  static override summary = "Write the collector's or a monitoring user's tls.conf"
  static override description =
    "Renders /etc/pcp/tls.conf naming the CA, the collector's certificate and key and its client certificate " +
    'and key in --dir (as cert init leaves them), with only keys PCP reads. Every file it names must exist, ' +
    'be writable by its owner only, and a key must be readable by pcp (pmcd reads it after dropping root) and ' +
    'by nobody else, unless --allow-missing. In PCP 6 tls.conf alone lets remote clients in over plaintext: ' +
    '--require-client-certs adds -Q to pmcd.options, so remote clients must present a certificate from the CA. ' +
    "--pmproxy has pmproxy use the same files. --monitor --user NAME writes that user's ~/.pcp/tls.conf (CA, " +
    "client certificate and key, tls-verify-clients = true so the client checks the collector's certificate) " +
    'and /etc/profile.d/pcp-tls.sh (PCP_SECURE_SOCKETS=enforce, PCP_TLSCONF_PATH). Writes are atomic and keep ' +
    'FILE.pcp-harden.bak.'
  static override examples = [
    '<%= config.bin %> tls write --require-client-certs --pmproxy --dry-run',
    '<%= config.bin %> tls write --root /mnt/image --dir /etc/pcp/tls --ciphersuites TLS_AES_256_GCM_SHA384 --dry-run',
    '<%= config.bin %> tls write --monitor --user alice --dry-run',
  ]

  static override flags = {
    dir: Flags.string({
      description:
        'Directory of the certificates and keys (a host path) [default: /etc/pcp/tls, ~USER/.pcp/tls]',
    }),
    conf: Flags.string({
      description: 'The tls.conf to write (a host path) [default: /etc/pcp/tls.conf, ~USER/.pcp/tls.conf]',
    }),
    ciphers: Flags.string({description: 'tls-ciphers: OpenSSL cipher list for TLS 1.2 and older'}),
    ciphersuites: Flags.string({description: 'tls-ciphersuites: OpenSSL cipher suites for TLS 1.3'}),
    'require-client-certs': Flags.boolean({
      description: 'Add -Q to pmcd.options: remote clients must present a certificate from the CA',
      default: false,
    }),
    pmproxy: Flags.boolean({
      description:
        'Have pmproxy use tls.conf too: secure.enabled = true, legacy TLS keys removed from pmproxy.conf',
      default: false,
    }),
    monitor: Flags.boolean({
      description: "Write a monitoring user's client configuration instead of the collector's",
      default: false,
    }),
    user: Flags.string({description: 'The monitoring user (with --monitor)'}),
    'profile-script': Flags.string({
      description: 'Login-shell snippet setting PCP_SECURE_SOCKETS and PCP_TLSCONF_PATH (with --monitor)',
      default: '/etc/profile.d/pcp-tls.sh',
    }),
    'allow-missing': Flags.boolean({
      description:
        'Write even when a file tls.conf names is missing or unsafe (before the certificates are rolled out)',
      default: false,
    }),
    'dry-run': dryRunFlag,
  }

  async run(): Promise<void> {
    const {flags} = this
    if (flags.monitor !== (flags.user !== undefined))
      throw new InputError('--monitor and --user go together: --monitor --user NAME')
    if (flags.monitor && (flags['require-client-certs'] || flags.pmproxy))
      throw new InputError('--require-client-certs and --pmproxy configure the collector: not with --monitor')
    const host = await this.diskHost()
    const accounts = await host.accounts()
    const user = flags.user ? accounts.users.find((u) => u.name === flags.user) : undefined
    if (flags.user && !user)
      throw new InputError(`--user ${flags.user}: no such user in the root's /etc/passwd`)
    if (user && (!user.home || user.home === '/'))
      throw new InputError(`--user ${flags.user}: has no home directory for ~/.pcp`)
    const {planTlsWrite} = await import('../../pcp/tls-write.js')
    const plan = await planTlsWrite(host, {
      role: user ? 'monitor' : 'collector',
      dir: flags.dir ?? (user ? `${user.home}/.pcp/tls` : '/etc/pcp/tls'),
      conf: flags.conf ?? (user ? `${user.home}/.pcp/tls.conf` : '/etc/pcp/tls.conf'),
      ...(user ? {user} : {}),
      ...(flags.ciphers === undefined ? {} : {ciphers: flags.ciphers}),
      ...(flags.ciphersuites === undefined ? {} : {ciphersuites: flags.ciphersuites}),
      requireClientCerts: flags['require-client-certs'],
      pmproxy: flags.pmproxy,
      profileScript: flags['profile-script'],
      allowMissing: flags['allow-missing'],
    })

    const root = (host.backend as DiskBackend).root
    const {applyPlan, formatPlan, planChanges} = await import('../../render/writer.js')
    const changes = await planChanges(root, plan.files, plan.dirs)
    const out = [formatPlan(changes, accounts)]
    if (plan.notes.length > 0) out.push('', ...plan.notes)
    if (flags['dry-run']) {
      out.push('', 'dry run: nothing written')
    } else if (changes.every((c) => c.action === 'unchanged')) {
      out.push('', 'everything already says this: nothing written')
    } else {
      await applyPlan(root, changes)
      const written = changes.filter((c) => c.kind === 'file' && c.action !== 'unchanged').map((c) => c.path)
      out.push(
        '',
        `wrote ${written.join(', ')}`,
        flags.monitor
          ? 'log in again (or source the profile script) for the environment to apply'
          : `restart pmcd${flags.pmproxy ? ' and pmproxy' : ''} to apply it`,
      )
    }
    process.stdout.write(`${escapeLines(out.join('\n'))}\n`)
  }
}
