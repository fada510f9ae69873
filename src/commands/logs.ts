import {readFile} from 'node:fs/promises'

import {Flags} from '@oclif/core'

import {BaseCommand} from '../cli/base.js'
import {InputError} from '../engine/errors.js'
import {EXIT_CODES} from '../engine/model.js'
import type {CounterKey} from '../logs/events.js'

const PMCD_LOG = '/var/log/pcp/pmcd/pmcd.log'

export default class Logs extends BaseCommand<typeof Logs> {
  static override summary =
    "Count pmcd's access rejections and authentication failures, and the proxy's security events"
  static override description =
    'Reads pmcd.log (default <root>/var/log/pcp/pmcd/pmcd.log) for access violations and SASL authentication ' +
    "failures, and the Pulse sensor proxy's log (--proxy-log: a journalctl -o export or -o json file, or the " +
    "proxy's JSON log) for rate-limit hits, SSH failures and peers whose uid is not allowed, over --since. " +
    'Output and exit code are a Nagios plugin check: CRITICAL when a counter is above -c, WARNING above -w; perfdata per counter. ' +
    'pmcd logs an access violation once per host until it restarts or rereads its configuration.'
  static override examples = [
    '<%= config.bin %> logs --since 1h -w 0 -c 10',
    '<%= config.bin %> logs --pmcd-log ./pmcd.log --proxy-log ./proxy.journal --since 24h -w 5 -c 50',
  ]

  static override flags = {
    since: Flags.string({
      description: 'Count events since then: a duration (90m, 12h, 7d) or a date [default: all]',
    }),
    warning: Flags.integer({
      char: 'w',
      description: 'WARNING when a counter is above this',
      default: 0,
      min: 0,
    }),
    critical: Flags.integer({
      char: 'c',
      description: 'CRITICAL when a counter is above this',
      default: 10,
      min: 0,
    }),
    'pmcd-log': Flags.string({
      description: `pmcd's log file (a local file) [default: <root>${PMCD_LOG} if present]`,
    }),
    'proxy-log': Flags.string({
      description:
        "The proxy's log: journalctl -u pulse-sensor-proxy -o export (or -o json) output, or its JSON log",
    }),
  }

  async run(): Promise<void> {
    const {flags} = this
    const {countSince, formatLogsNagios, parseSince} = await import('../logs/events.js')
    const {parsePmcdLog} = await import('../logs/pmcd-log.js')
    const {countProxyEvents, parseProxyLog} = await import('../logs/proxy-log.js')
    if (flags.critical < flags.warning)
      throw new InputError(`-c ${flags.critical}: must not be below -w ${flags.warning}`)
    const now = new Date()
    const since = flags.since === undefined ? undefined : parseSince(flags.since, now)
    const counts: Partial<Record<CounterKey, number>> = {}
    const sources: string[] = []

    const pmcd = flags['pmcd-log']
      ? await readLocal('--pmcd-log', flags['pmcd-log'])
      : await this.readOnRoot(PMCD_LOG)
    if (pmcd !== undefined) {
      const events = parsePmcdLog(pmcd, now)
      counts.accessRejections = countSince(events.accessRejections, since)
      counts.authFailures = countSince(events.authFailures, since)
      sources.push(flags['pmcd-log'] ?? PMCD_LOG)
    }
    if (flags['proxy-log']) {
      const text = (await readLocal('--proxy-log', flags['proxy-log'])) as string
      const events = countProxyEvents(parseProxyLog(text, flags['proxy-log']), now)
      counts.rateLimitHits = countSince(events.rateLimitHits, since)
      counts.sshFailures = countSince(events.sshFailures, since)
      counts.unknownPeers = countSince(events.unknownPeers, since)
      sources.push(flags['proxy-log'])
    }
    if (sources.length === 0)
      throw new InputError(
        `no log to read: ${PMCD_LOG} is not under --root ${flags.root}, and no --proxy-log`,
      )
    const {status, text} = formatLogsNagios({counts, since, sources}, flags.warning, flags.critical)
    process.stdout.write(text)
    process.exitCode = EXIT_CODES[status]
  }

  private async readOnRoot(path: string): Promise<string | undefined> {
    const host = await this.diskHost()
    const text = await host.readText(path)
    if (text.ok) return text.value
    if (text.missing) return undefined
    throw new InputError(text.message)
  }
}

async function readLocal(flag: string, file: string): Promise<string> {
  try {
    return await readFile(file, 'utf8')
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    throw new InputError(`${flag} ${file}: ${code === 'ENOENT' ? 'no such file' : code}`)
  }
}
