import {analyzePmcd} from '../checks/pmcd/analysis.js'
import {analyzePmproxy} from '../checks/pmproxy/analysis.js'
import {withRemedy} from '../checks/remedy.js'
import type {Finding} from '../checks/family.js'
import type {Host} from '../host/host.js'
import {atoi} from '../parsers/pmcd-env.js'
import {type OptionWord, parsePmcdArgv} from '../parsers/pmcd-options.js'
import {parsePmproxyOptions, PMPROXY_OPTIONS} from '../parsers/pmproxy-options.js'
import {processesNamed, type RunningProcess} from './processes.js'
import type {ProcSource} from './proc.js'
import {readListeners, socketOwners, type TcpListener} from './sockets.js'
import {ipFamily} from '../net/ip.js'

/**
 * A restart puts a daemon's files in force: manual, since it drops every client connection and a
 * daemon whose files it cannot start with (PCP-PMCD-001) does not come back.
 */
const restart = (unit: 'pmcd' | 'pmproxy') =>
  withRemedy({
    kind: 'manual',
    command: `systemctl restart ${unit}`,
    why: `the restart drops every ${unit} client, and ${unit} must start with its files: fix their other findings first`,
  })

/** The options that decide who may connect and how: compared between the files and the running daemon. */
const PMCD_WATCHED = ['Q', 'S', 'i', 'p', 's', 'U', 'A', 'c']
const PMPROXY_WATCHED = ['i', 'p', 's', 'U', 'A', 'c']
const PMCD_PORT = 44321
const PMPROXY_PORTS = [44322, 44323]

/** A daemon the service manager started: its parent is init (the rc script's or systemd's child). */
const isService = (p: RunningProcess) => p.ppid === 1

export interface RunningDaemon {
  name: 'pmcd' | 'pmproxy'
  process: RunningProcess
  listeners: TcpListener[]
}

export interface RunningHost {
  daemons: RunningDaemon[]
  findings: Finding[]
}

/** `-i 127.0.0.1` style text of the watched options, in order, one entry per option. */
function watched(options: readonly {letter: string; value?: string}[], letters: readonly string[]): string[] {
  return options
    .filter((o) => letters.includes(o.letter))
    .map((o) => (o.value === undefined ? `-${o.letter}` : `-${o.letter} ${o.value}`))
}

/** Options in one list and not the other (as multisets). */
function difference(a: readonly string[], b: readonly string[]): string[] {
  const rest = [...b]
  return a.filter((x) => {
    const i = rest.indexOf(x)
    if (i < 0) return true
    rest.splice(i, 1)
    return false
  })
}

const words = (argv: readonly string[]): OptionWord[] => argv.slice(1).map((text, i) => ({text, line: i + 1}))

function describe(p: RunningProcess): string {
  return `pid ${p.pid}: ${p.argv.join(' ')}`
}

/** What differs between the files and a running daemon, as one message; undefined when nothing does. */
function changeNotApplied(
  name: string,
  file: string,
  inFiles: readonly string[],
  running: readonly string[],
  env: {variable: string; file?: string; fileOn: boolean; runningOn: boolean},
): string | undefined {
  const added = difference(inFiles, running)
  const removed = difference(running, inFiles)
  const parts: string[] = []
  if (added.length > 0) parts.push(`${file} has ${added.join(', ')}, the running ${name} has not`)
  if (removed.length > 0)
    parts.push(`the running ${name} has ${removed.join(', ')}, which ${file} no longer gives`)
  if (env.fileOn !== env.runningOn)
    parts.push(
      env.fileOn
        ? `${env.file} sets ${env.variable}=1, the running ${name} was started without it (it listens beyond loopback)`
        : `the running ${name} was started with ${env.variable} on, which ${env.file ?? 'no file'} no longer sets`,
    )
  return parts.length > 0 ? parts.join('; ') : undefined
}

const LOOPBACK = (address: string) =>
  address === '::1' || address.startsWith('127.') || address.startsWith('::ffff:127.')
const ANY = (address: string) => address === '0.0.0.0' || address === '::'

/** Whether a listener is one the configured addresses predict (none configured: any address). */
function predicted(listener: TcpListener, addresses: readonly string[], ports: readonly number[]): boolean {
  if (!ports.includes(listener.port)) return false
  if (addresses.length === 0 || addresses.includes('INADDR_ANY')) return true
  if (LOOPBACK(listener.address)) return addresses.some((a) => a === 'INADDR_LOOPBACK' || LOOPBACK(a))
  const plain = listener.address.replace(/^::ffff:/, '')
  return addresses.some((a) => a === plain || (ipFamily(a) !== 0 && a === listener.address))
}

/**
 * The running pmcd and pmproxy (those the service manager started) against their files: options
 * and environment not yet applied (PCP-LIVE-001), and listeners the configuration does not
 * predict (PCP-LIVE-002).
 */
export async function analyzeRunningHost(host: Host, proc: ProcSource): Promise<RunningHost> {
  const findings: Finding[] = []
  const daemons: RunningDaemon[] = []
  const listeners = readListeners(proc)
  const owners = socketOwners(proc, new Set(listeners.map((l) => l.inode)))
  const listenersOf = (pid: number) =>
    listeners.filter((l) => owners.get(l.inode)?.some((o) => o.pid === pid))

  const pmcd = await analyzePmcd(host)
  for (const process of processesNamed(proc, 'pmcd').filter(isService)) {
    const daemon: RunningDaemon = {name: 'pmcd', process, listeners: listenersOf(process.pid)}
    daemons.push(daemon)
    if (!pmcd || 'error' in pmcd) continue
    const running = parsePmcdArgv(words(process.argv)).options
    const localVar = pmcd.env.variables.get('PMCD_LOCAL')
    const runningLocal = process.env?.get('PMCD_LOCAL')
    const message = changeNotApplied(
      'pmcd',
      pmcd.options.path,
      watched(pmcd.options.options, PMCD_WATCHED),
      watched(running, PMCD_WATCHED),
      {
        variable: 'PMCD_LOCAL',
        file: pmcd.env.path,
        fileOn: localVar !== undefined && atoi(localVar.value) !== 0,
        runningOn:
          process.env === undefined
            ? localVar !== undefined && atoi(localVar.value) !== 0
            : runningLocal !== undefined && atoi(runningLocal) !== 0,
      },
    )
    if (message)
      findings.push({
        check: 'PCP-LIVE-001',
        path: pmcd.options.path,
        message: `${message}: the change is not in force until pmcd restarts (systemctl restart pmcd)`,
        evidence: describe(process),
        ...restart('pmcd'),
      })
    const port = running.findLast((o) => o.letter === 'p')?.value
    const configured = pmcd.listeners.map((l) => l.address)
    for (const listener of daemon.listeners) {
      if (predicted(listener, configured, [port ? Number(port) : PMCD_PORT])) continue
      findings.push({
        check: 'PCP-LIVE-002',
        path: pmcd.options.path,
        message:
          `pmcd (pid ${process.pid}) listens on ${listener.address} port ${listener.port}, which its configuration ` +
          `does not predict (${configured.length === 0 ? 'every interface' : configured.join(', ')}, port ${PMCD_PORT}` +
          `${port ? ` or -p ${port}` : ''})${ANY(listener.address) ? ': every interface' : ''}`,
        evidence: listener.source,
      })
    }
  }

  const pmproxy = await analyzePmproxy(host)
  for (const process of processesNamed(proc, 'pmproxy').filter(isService)) {
    const daemon: RunningDaemon = {name: 'pmproxy', process, listeners: listenersOf(process.pid)}
    daemons.push(daemon)
    if (pmproxy.state !== 'judged') continue
    const fileText = await host.readText(PMPROXY_OPTIONS)
    const inFiles = parsePmproxyOptions(fileText.ok ? fileText.value : '').options.map((o) => ({
      letter: o.option,
      ...(o.value === undefined ? {} : {value: o.value}),
    }))
    const running = parsePmproxyOptions(process.argv.slice(1).join(' ')).options.map((o) => ({
      letter: o.option,
      ...(o.value === undefined ? {} : {value: o.value}),
    }))
    const fileLocal =
      pmproxy.listening.scope === 'loopback' && /PMPROXY_LOCAL/.test(pmproxy.listening.description)
    const runningLocal = process.env?.get('PMPROXY_LOCAL')
    const message = changeNotApplied(
      'pmproxy',
      PMPROXY_OPTIONS,
      watched(inFiles, PMPROXY_WATCHED),
      watched(running, PMPROXY_WATCHED),
      {
        variable: 'PMPROXY_LOCAL',
        ...(pmproxy.listening.path ? {file: pmproxy.listening.path} : {}),
        fileOn: fileLocal,
        runningOn:
          process.env === undefined ? fileLocal : runningLocal !== undefined && atoi(runningLocal) !== 0,
      },
    )
    if (message)
      findings.push({
        check: 'PCP-LIVE-001',
        path: PMPROXY_OPTIONS,
        message: `${message}: the change is not in force until pmproxy restarts (systemctl restart pmproxy)`,
        evidence: describe(process),
        ...restart('pmproxy'),
      })
    const ports = running.filter((o) => o.letter === 'p').map((o) => Number(o.value))
    for (const listener of daemon.listeners) {
      const loopbackOnly = pmproxy.listening.scope === 'loopback'
      const unexpected =
        !(ports.length > 0 ? ports : PMPROXY_PORTS).includes(listener.port) ||
        (loopbackOnly && !LOOPBACK(listener.address))
      if (!unexpected) continue
      findings.push({
        check: 'PCP-LIVE-002',
        path: pmproxy.listening.path ?? PMPROXY_OPTIONS,
        message:
          `pmproxy (pid ${process.pid}) listens on ${listener.address} port ${listener.port}, but its configuration ` +
          `says ${pmproxy.listening.description}`,
        evidence: listener.source,
      })
    }
  }
  return {daemons, findings}
}
