import {readFile} from 'node:fs/promises'
import path from 'node:path'

import {Args, Flags} from '@oclif/core'

import {BaseCommand} from '../cli/base.js'
import {InputError} from '../engine/errors.js'
import {EXIT_CODES} from '../engine/model.js'

/** Ports pmproxy listens on by default; any other port is taken for a pmcd unless --service says. */
const PMPROXY_PORTS = [44322, 44323]

/** `host`, `host:port`, `[v6]:port` or a bare IPv6 address. */
export function parseTarget(text: string): {host: string; port?: number} {
  const bracket = /^\[([^\]]+)\](?::(\d+))?$/.exec(text)
  if (bracket) return {host: bracket[1] as string, ...(bracket[2] ? {port: Number(bracket[2])} : {})}
  const colons = text.split(':').length - 1
  if (colons === 1) {
    const [host = '', port = ''] = text.split(':')
    if (!/^\d+$/.test(port) || Number(port) < 1 || Number(port) > 65_535 || host === '')
      throw new InputError(`${text}: expected HOST[:PORT] with a port from 1 to 65535`)
    return {host, port: Number(port)}
  }
  if (text === '') throw new InputError('expected HOST[:PORT]')
  return {host: text}
}

export default class Probe extends BaseCommand<typeof Probe> {
  static override summary = 'Probe a running pmcd or pmproxy over the network, read-only'
  static override description =
    "Speaks the start of PCP's protocol to a pmcd as a client (greeting and features, a plaintext session that asks " +
    'for one metric descriptor, then the TLS upgrade) and reports: plaintext served, TLS offered, the certificate ' +
    '(chain to --ca, days left against -w/-c, name against HOST, key, protocol, cipher), client certificate required. ' +
    'For pmproxy: GET /pmapi/context over HTTP and HTTPS without credentials, and a RESP PING to see whether it relays ' +
    'to its key server (the condition of CVE-2024-3019). Never stores, never changes anything on the server. ' +
    'Exit code: 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN (cannot connect, not PCP).'
  static override examples = [
    '<%= config.bin %> probe pcp1.example.com',
    '<%= config.bin %> probe pcp1.example.com:44321 --ca ca.crt --format nagios -w 30 -c 7',
    '<%= config.bin %> probe pcp1.example.com:44322',
  ]

  static override args = {
    target: Args.string({
      description: 'HOST[:PORT] (default port 44321; 44322 and 44323 are pmproxy)',
      required: true,
    }),
  }

  static override flags = {
    service: Flags.string({
      description: 'What listens there [default: pmproxy on 44322 and 44323, else pmcd]',
      options: ['pmcd', 'pmproxy'],
    }),
    ca: Flags.string({
      description: "CA certificate (PEM) the server's certificate must chain to (a path on this machine)",
    }),
    warning: Flags.integer({char: 'w', description: 'WARNING when fewer days are left', default: 30, min: 0}),
    critical: Flags.integer({
      char: 'c',
      description: 'CRITICAL when fewer days are left',
      default: 7,
      min: 0,
    }),
    timeout: Flags.integer({description: 'Seconds to wait for each answer', default: 5, min: 1, max: 120}),
    format: Flags.string({
      description: 'Output format',
      options: ['text', 'json', 'nagios'],
      default: 'text',
    }),
  }

  async run(): Promise<void> {
    const {args} = await this.parse(Probe)
    const {flags} = this
    if (flags.warning < flags.critical) throw new InputError('-w must be at least -c (days left)')
    const target = parseTarget(args.target)
    const service = flags.service ?? (target.port && PMPROXY_PORTS.includes(target.port) ? 'pmproxy' : 'pmcd')
    const port = target.port ?? (service === 'pmproxy' ? 44322 : 44321)
    let ca: Buffer | undefined
    if (flags.ca) {
      try {
        ca = await readFile(path.resolve(flags.ca))
      } catch (error) {
        throw new InputError(`--ca ${flags.ca}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`)
      }
    }
    const options = {now: new Date(), timeoutMs: flags.timeout * 1000, ...(ca ? {ca} : {})}
    const {judgeProbe, formatProbeReport} = await import('../probe/report.js')
    const probe =
      service === 'pmproxy'
        ? await (await import('../probe/pmproxy.js')).probePmproxy(target.host, port, options)
        : await (await import('../probe/pmcd.js')).probePmcd(target.host, port, options)
    const report = judgeProbe(probe, {warningDays: flags.warning, criticalDays: flags.critical})
    process.stdout.write(formatProbeReport(report, flags.format as 'text' | 'json' | 'nagios'))
    process.exitCode = EXIT_CODES[report.status]
  }
}
