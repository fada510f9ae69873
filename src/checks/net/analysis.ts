import type {Host} from '../../host/host.js'
import type {Engine} from '../../net/firewall.js'
import {analyzeExposure, describeFirewall, type ServiceExposure} from '../../net/exposure.js'
import type {EngineProblem} from '../../net/read-firewall.js'
import {type Finding, type Outcome, perHost} from '../family.js'
import {withRemedy} from '../remedy.js'
import {shellQuote} from '../fix.js'
import type {Severity} from '../types.js'

export const CHECK_ID = 'PCP-NET-001'

/** The engine's own check of a file, which names its error without applying anything. */
export function engineCheckCommand(engine: Engine, file: string): string {
  switch (engine) {
    case 'nftables':
      // nft checks the main file with everything it includes.
      return 'nft -c -f /etc/nftables.conf'
    case 'iptables':
    case 'ufw': {
      const six = /6\.rules$|\.v6$/.test(file) ? 'ip6tables-restore' : 'iptables-restore'
      return `${six} --test${engine === 'ufw' ? ' --noflush' : ''} < ${shellQuote(file)}`
    }
    case 'pve-firewall':
      return 'pve-firewall compile'
  }
}

/** What the engine does with the refused line, in words. */
function engineEffect(p: EngineProblem): string {
  switch (p.refused) {
    case 'file':
      return 'nft refuses the whole rule set for it and loads none of /etc/nftables.conf, so the host boots with no nftables rules'
    case 'block':
      return p.engine === 'ufw'
        ? 'iptables-restore refuses this table block and stops: ufw-init loads nothing of this file from this block on (its other files and default policy still load)'
        : `iptables-restore refuses this table block and stops: only the blocks committed before this line load from ${p.file}`
    case 'line':
      return 'pve-firewall logs a warning and skips this line; the rest of the file is in force'
    default:
      return ''
  }
}

/** The PCP and Pulse ports other hosts can reach, worst first. */
function reachable(services: ServiceExposure[]): ServiceExposure[] {
  const rank = (s: ServiceExposure) =>
    s.reachable.scope === 'anywhere' ? 2 : s.reachable.scope === 'loopback only' ? 0 : 1
  return services.filter((s) => s.listens && rank(s) > 0).sort((a, b) => rank(b) - rank(a))
}

function who(services: ServiceExposure[]): {severity: Severity; text: string} {
  const open = reachable(services)
  const worst = open[0]
  if (!worst)
    return {
      severity: 'low',
      text:
        services.length === 0
          ? 'no PCP or Pulse service listens here'
          : 'the PCP and Pulse services here are reachable from loopback only anyway',
    }
  const list = open.map((s) => `${s.service} ${s.port}`).join(', ')
  return {
    severity: worst.reachable.scope === 'anywhere' ? 'high' : 'medium',
    text: `as loaded, ${describeFirewall(worst)} (${worst.service}); other hosts reach ${list}`,
  }
}

/** The ports a Proxmox VE rule line names with -dport (undefined: no -dport, every port). */
function pvePorts(text: string): Array<[number, number]> | undefined | 'named' {
  const m = /(?:^|\s)-dport\s+(\S+)/.exec(text)
  if (!m) return undefined
  const out: Array<[number, number]> = []
  for (const part of (m[1] as string).split(',')) {
    const r = /^(\d+)(?::(\d+))?$/.exec(part)
    if (!r) return 'named'
    out.push([Number(r[1]), Number(r[2] ?? r[1])])
  }
  return out
}

/**
 * A skipped Proxmox VE line: a rule that was to keep hosts from a PCP or Pulse port (DROP or
 * REJECT on it, or on every port) matters when that port is reachable as the firewall now stands.
 */
function judgeSkipped(
  text: string | undefined,
  services: ServiceExposure[],
): {severity: Severity; text: string} {
  const rule = text !== undefined && /^\|?\s*(IN|OUT|GROUP)\s/i.test(text)
  if (!rule) return {severity: 'info', text: 'the line is not a rule'}
  const action = /^\|?\s*IN\s+(?:\S+\()?(ACCEPT|DROP|REJECT)\b/i.exec(text as string)?.[1]?.toUpperCase()
  const ports = pvePorts(text as string)
  const hit = services.filter(
    (s) => ports === undefined || (ports !== 'named' && ports.some(([a, b]) => s.port >= a && s.port <= b)),
  )
  if (hit.length === 0 || action === undefined)
    return {severity: 'info', text: 'the rule does not concern an inbound PCP or Pulse port'}
  const names = [...new Set(hit.map((s) => `${s.service} ${s.port}`))].join(', ')
  if (action === 'ACCEPT')
    return {
      severity: 'low',
      text: `it was to let hosts in to ${names}: they are not let in by it (no one gains access)`,
    }
  const open = reachable(hit)
  if (open.length === 0)
    return {severity: 'low', text: `it was to keep hosts from ${names}, which no remote host reaches anyway`}
  return {
    severity: 'medium',
    text: `it was to keep hosts from ${names}, and without it ${describeFirewall(open[0] as ServiceExposure)}`,
  }
}

export interface FirewallFiles {
  engines: Array<{engine: Engine; why: string}>
  /** The files the loaded rule sets come from. */
  files: string[]
}

/** PCP-NET-001: every firewall file that loads at boot is one its engine takes whole. */
export const analyzeFirewallFiles = perHost(async (host: Host): Promise<Outcome<FirewallFiles>> => {
  const {firewall, services} = await analyzeExposure(host)
  const lines = new Map<string, string[] | undefined>()
  const lineOf = async (file: string, line: number): Promise<string | undefined> => {
    if (!lines.has(file)) {
      const read = await host.readText(file)
      lines.set(file, read.ok ? read.value.split('\n') : undefined)
    }
    return lines.get(file)?.[line - 1]?.trim()
  }
  const findings: Finding[] = []
  const refusedAt = new Set(firewall.problems.filter((p) => p.refused).map((p) => `${p.file}:${p.line}`))
  for (const p of firewall.problems) {
    // A line the engine refuses says all there is to say about it; this reader's own doubt adds nothing.
    if (p.refused === undefined && refusedAt.has(`${p.file}:${p.line}`)) continue
    const text = await lineOf(p.file, p.line)
    const command = engineCheckCommand(p.engine, p.file)
    const evidence = text === undefined || text === '' ? {} : {evidence: text}
    if (p.refused === undefined) {
      findings.push({
        check: CHECK_ID,
        path: p.file,
        line: p.line,
        ...evidence,
        message: `${p.message}: this reader does not follow the line, so whether ${p.engine} takes it is not decided offline (run ${command})`,
        undecided: true,
      })
      continue
    }
    const judged = p.refused === 'line' ? judgeSkipped(text, services) : who(services)
    findings.push({
      check: CHECK_ID,
      path: p.file,
      line: p.line,
      ...evidence,
      message: `${p.message}: ${engineEffect(p)}; ${judged.text}`,
      severity: judged.severity,
      ...withRemedy({
        kind: 'manual',
        command,
        why: `only the administrator knows what the line was meant to say: ${command} shows the engine's own error; correct the line, then reload the firewall`,
      }),
    })
  }
  const files = [...new Set([...(firewall.sets[4]?.files ?? []), ...(firewall.sets[6]?.files ?? [])])]
  return {state: 'judged', findings, engines: firewall.engines, files}
})
