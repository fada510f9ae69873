import type {CheckMeta, Profile, Severity} from '../checks/types.js'
import {type AuditOptions, runAudit} from '../engine/audit.js'
import type {FleetHost, Report, ReportResult} from '../engine/model.js'
import {detectProfiles} from '../engine/profiles.js'
import {summarize} from '../engine/status.js'
import type {Waiver} from '../engine/waivers.js'
import {Host} from '../host/host.js'
import {SshBackend} from '../host/ssh-backend.js'
import type {Node, SshSettings} from '../rotate/exec.js'
import {mapLimit} from '../rotate/progress.js'

/** The engine's own check of a fleet audit: each node could be read over SSH and had something to audit. */
export const NODE_AUDITED: CheckMeta = {
  id: 'PCPH-NODE-001',
  title: 'The node could be audited over SSH',
  severity: 'info',
  profiles: ['pcp-collector', 'pcp-monitor', 'pulse-proxy', 'pulse-agent', 'proxmox-host', 'pulse-container'],
  tags: ['fleet'],
  rationale:
    'A node that could not be read (no connection, refused key, timeout) or where no component was found ' +
    'has no results: its state is unknown, not OK.',
  remediation:
    'Make the node reachable with the admin key (ssh -o BatchMode=yes root@NODE true), raise --node-timeout, ' +
    'or name its components with --profile.',
  reference: 'ssh(1); pcp-harden README "Fleet"',
  example: {fail: 'ssh: connect to host node2 port 22: Connection refused', pass: 'the node answered'},
}

export interface FleetOptions {
  nodes: readonly Node[]
  ssh: SshSettings
  concurrency: number
  /** Bound of one node's whole audit (connection included). */
  timeoutMs: number
  /** Profiles named with --profile; undefined: detected on each node. */
  profiles?: Profile[]
  allowEmpty: boolean
  only?: string[]
  skip?: string[]
  failOn: Severity
  now: Date
  tool: {name: string; version: string}
  /** The waivers that apply on a node (--waivers, else the node's own file), as verify loads them. */
  waivers(host: Host): Promise<Waiver[]>
  /** The ssh argv for a node (tests); default: the admin's ssh running the reader script. */
  argv?: (node: Node) => readonly [string, ...string[]]
}

/** One node's audit: its report, or why it has none. */
export type NodeAudit = {node: Node; report: Report} | {node: Node; error: string}

/**
 * Audit one node through its own read-only session: the same checks as a local verify, on a Host
 * whose backend reads the node's files over SSH. A session that failed at any point voids the
 * results (they would be a mix of the node's answers and of failures to ask).
 */
export async function auditNode(node: Node, options: FleetOptions): Promise<NodeAudit> {
  const backend = new SshBackend(node, options.ssh, {
    timeoutMs: options.timeoutMs,
    argv: options.argv?.(node),
  })
  try {
    const host = new Host(backend)
    // Asked after each step: the session may fail at any point (a getter TypeScript would narrow).
    const broken = (): string | undefined => backend.unreachable?.message
    const root = await host.list('/')
    if (broken()) return {node, error: broken() as string}
    if (!root.ok) return {node, error: `cannot read / (${root.message.replace(/^\/: /, '')})`}
    const profiles = options.profiles ?? (await detectProfiles(host)).map((d) => d.profile)
    if (broken()) return {node, error: broken() as string}
    if (profiles.length === 0 && !options.allowEmpty)
      return {
        node,
        error:
          'nothing to audit: no PCP, Pulse or Proxmox component found; name one with --profile, or pass --allow-empty',
      }
    const audit: AuditOptions = {
      rootLabel: backend.description,
      profiles,
      only: options.only,
      skip: options.skip,
      failOn: options.failOn,
      waivers: await options.waivers(host),
      now: options.now,
      tool: options.tool,
    }
    const report = await runAudit(host, audit)
    if (broken()) return {node, error: broken() as string}
    return {node, report}
  } finally {
    await backend.close()
  }
}

/** The result that stands for a node with no report: an error, UNKNOWN. */
function unaudited(node: Node, error: string): ReportResult {
  return {
    check: NODE_AUDITED.id,
    title: NODE_AUDITED.title,
    severity: NODE_AUDITED.severity,
    status: 'error',
    host: node.label,
    message: error,
    remediation: NODE_AUDITED.remediation,
  }
}

/**
 * The fleet's report: every node's results, each with its `host`, and one summary per node in
 * `hosts`; the fleet's state is the worst node's (the usual precedence over all results).
 */
export function fleetReport(
  audits: readonly NodeAudit[],
  options: Pick<FleetOptions, 'failOn' | 'tool'>,
): Report {
  const results: ReportResult[] = []
  const hosts: FleetHost[] = []
  const checks = new Map<string, CheckMeta>()
  const profiles = new Set<Profile>()
  for (const audit of audits) {
    const label = audit.node.label
    const own =
      'report' in audit
        ? audit.report.results.map((r) => ({...r, host: label}))
        : [unaudited(audit.node, audit.error)]
    if ('report' in audit) {
      audit.report.checks.forEach((c) => checks.set(c.id, c))
      audit.report.profiles.forEach((p) => profiles.add(p))
    } else checks.set(NODE_AUDITED.id, NODE_AUDITED)
    results.push(...own)
    const {status, counts, severities} = summarize(own, options.failOn)
    hosts.push({
      host: label,
      status,
      profiles: 'report' in audit ? [...audit.report.profiles] : [],
      counts,
      severities,
      ...('error' in audit ? {error: audit.error} : {}),
    })
  }
  return {
    tool: options.tool,
    root: audits.map((a) => `ssh://${a.node.label}`).join(', '),
    profiles: [...profiles],
    failOn: options.failOn,
    checks: [...checks.values()],
    results,
    summary: summarize(results, options.failOn),
    hosts,
  }
}

/** Audit every node, `concurrency` at a time; an unreachable node is UNKNOWN, never a crash. */
export async function auditFleet(options: FleetOptions): Promise<Report> {
  const audits = await mapLimit(options.nodes, options.concurrency, async (node) => {
    try {
      return await auditNode(node, options)
    } catch (error) {
      return {node, error: error instanceof Error ? error.message : String(error)}
    }
  })
  return fleetReport(audits, options)
}
