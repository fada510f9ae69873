import path from 'node:path'

import picomatch from 'picomatch'

import type {Host} from '../host/host.js'
import type {Chain, Engine, RuleSet} from './firewall.js'
import type {Family} from './ip.js'
import {type FileProblem, iptablesRuleSet, parseIptablesSave} from './iptables-save.js'
import {includesOf, NFTABLES_CONF, nftRuleSet, parseNftables} from './nftables.js'
import {
  CLUSTER_FW,
  hostFwPath,
  type PveContext,
  type PveFile,
  parsePveFirewall,
  pveEnabled,
  pveHostChains,
  pveRuleSet,
} from './pve-firewall.js'

/** The firewalls enabled on a host, read under --root, as one rule set per address family. */
export interface Firewall {
  /** The engines whose rules load at boot, with why this reader thinks so. */
  engines: Array<{engine: Engine; why: string}>
  sets: Record<Family, RuleSet | undefined>
  /** Lines an engine refuses or skips, or that this reader cannot follow, with the engine that reads them. */
  problems: EngineProblem[]
}

export type EngineProblem = FileProblem & {engine: Engine}

/** Tag the problems a reader added since `from` with its engine. */
function tagged(problems: FileProblem[], from: number, engine: Engine): EngineProblem[] {
  return problems.slice(from).map((p) => ({...p, engine}))
}

const WANTS = ['sysinit', 'basic', 'network-pre', 'multi-user'].map(
  (t) => `/etc/systemd/system/${t}.target.wants`,
)

async function enabledUnit(host: Host, unit: string): Promise<string | undefined> {
  for (const dir of WANTS) if (await host.exists(`${dir}/${unit}`)) return `${dir}/${unit}`
  return undefined
}

const MAX_INCLUDE_DEPTH = 16

/** Every file an nft include names (globs expanded in the root), read recursively. */
async function readNftIncludes(
  host: Host,
  text: string,
  file: string,
  into: Map<string, Array<{file: string; text: string}>>,
  problems: FileProblem[],
  depth = 0,
): Promise<void> {
  for (const include of includesOf(text, file)) {
    if (into.has(include.path)) continue
    if (depth >= MAX_INCLUDE_DEPTH) {
      problems.push({file, line: include.line, message: `include ${include.path}: includes nest too deep`})
      continue
    }
    // nft searches relative names in its include directory (/etc by default: nft(8) -I).
    const wanted = include.path.startsWith('/') ? include.path : path.posix.join('/etc', include.path)
    const files = /[*?[]/.test(wanted) ? await globInRoot(host, wanted) : [wanted]
    const parts: Array<{file: string; text: string}> = []
    for (const f of files) {
      const read = await host.readText(f)
      if (!read.ok) {
        // nft refuses a file whose include (not a glob) names a file that does not exist.
        problems.push({
          file,
          line: include.line,
          message: `include "${include.path}": ${read.message}`,
          ...(read.missing ? {refused: 'file' as const} : {}),
        })
        continue
      }
      parts.push({file: f, text: read.value})
    }
    into.set(include.path, parts)
    for (const part of parts) await readNftIncludes(host, part.text, part.file, into, problems, depth + 1)
  }
}

/** A glob in the last component only (`/etc/nftables.d/*.nft`), sorted as nft sorts them. */
async function globInRoot(host: Host, pattern: string): Promise<string[]> {
  const dir = path.posix.dirname(pattern)
  const names = await host.list(dir)
  if (!names.ok) return []
  const match = picomatch(path.posix.basename(pattern))
  return names.value.filter((n) => match(n)).map((n) => path.posix.join(dir, n))
}

/**
 * /etc/nftables.conf and its includes as `nft -f` loads them: all or nothing. One line nft refuses
 * and it loads none of the file (the host boots with no nft rules at all): no rule set, and the
 * line that stops it.
 */
async function readNftables(
  host: Host,
  problems: FileProblem[],
): Promise<{set?: RuleSet; refused?: FileProblem} | undefined> {
  const conf = await host.readText(NFTABLES_CONF)
  if (!conf.ok) {
    if (!conf.missing) problems.push({file: NFTABLES_CONF, line: 1, message: conf.message})
    return undefined
  }
  const found: FileProblem[] = []
  const includes = new Map<string, Array<{file: string; text: string}>>()
  await readNftIncludes(host, conf.value, NFTABLES_CONF, includes, found)
  const parsed = parseNftables(conf.value, NFTABLES_CONF, includes)
  found.push(...parsed.problems)
  problems.push(...found)
  const refused = found.find((p) => p.refused === 'file')
  return refused ? {refused} : {set: nftRuleSet(parsed)}
}

/**
 * The part of an iptables-save file iptables-restore applies: it commits each table block at its
 * COMMIT and stops at the first line it refuses, so the blocks committed before that line are in
 * force and nothing from there on is. The whole text when nothing is refused.
 */
export function appliedPart(text: string, problems: readonly FileProblem[]): string {
  const refused = problems.filter((p) => p.refused === 'block').map((p) => p.line)
  if (refused.length === 0) return text
  const stop = Math.min(...refused)
  const lines = text.split('\n')
  let keep = 0
  for (let i = 0; i < stop - 1 && i < lines.length; i++)
    if ((lines[i] as string).replace(/\r$/, '').trim() === 'COMMIT') keep = i + 1
  return lines.slice(0, keep).join('\n')
}

const RULES_FILES: Record<Family, string> = {4: '/etc/iptables/rules.v4', 6: '/etc/iptables/rules.v6'}

async function readIptables(
  host: Host,
  family: Family,
  problems: FileProblem[],
): Promise<RuleSet | undefined> {
  const file = RULES_FILES[family]
  const text = await host.readText(file)
  if (!text.ok) {
    if (!text.missing) problems.push({file, line: 1, message: text.message})
    return undefined
  }
  const parsed = parseIptablesSave(text.value, file, family)
  problems.push(...parsed.problems)
  const applied = appliedPart(text.value, parsed.problems)
  return iptablesRuleSet([applied === text.value ? parsed : parseIptablesSave(applied, file, family)])
}

/** A shell-style `KEY=value` file (ufw.conf, /etc/default/ufw): the last value of each key. */
function shellVars(text: string): Map<string, string> {
  const out = new Map<string, string>()
  for (const line of text.split('\n')) {
    const m = /^\s*([A-Z_][A-Z0-9_]*)=("?)([^"#]*)\2\s*(?:#.*)?$/.exec(line)
    if (m) out.set(m[1] as string, (m[3] as string).trim())
  }
  return out
}

/**
 * ufw's input path as /lib/ufw/ufw-init builds it: INPUT jumps through ufw's chains, before.rules
 * and after.rules fill theirs, user.rules holds the `ufw allow|deny` rules, hooked at the end of
 * ufw-before-input; DEFAULT_INPUT_POLICY (REJECT is a DROP policy plus a REJECT rule) ends it.
 */
async function readUfw(
  host: Host,
  family: Family,
  policy: string,
  problems: FileProblem[],
): Promise<RuleSet> {
  const t = family === 4 ? 'ufw' : 'ufw6'
  const six = family === 6 ? '6' : ''
  const skeleton = [
    '*filter',
    `:INPUT ${policy === 'ACCEPT' ? 'ACCEPT' : 'DROP'} [0:0]`,
    ...[
      'before-logging-input',
      'before-input',
      'after-input',
      'after-logging-input',
      'reject-input',
      'track-input',
      'logging-deny',
      'logging-allow',
      'skip-to-policy-input',
      'user-input',
      'user-limit',
      'user-limit-accept',
      'user-logging-input',
    ].map((c) => `:${t}-${c} - [0:0]`),
    ...[
      'before-logging-input',
      'before-input',
      'after-input',
      'after-logging-input',
      'reject-input',
      'track-input',
    ].map((c) => `-A INPUT -j ${t}-${c}`),
    ...(policy === 'REJECT' ? [`-A ${t}-reject-input -j REJECT`] : []),
    ...(policy === 'ACCEPT' ? [`-A ${t}-track-input -p tcp -m conntrack --ctstate NEW -j ACCEPT`] : []),
    `-A ${t}-skip-to-policy-input -j ${policy === 'ACCEPT' ? 'ACCEPT' : 'DROP'}`,
    'COMMIT',
  ].join('\n')
  const tables = new Map<string, Map<string, Chain>>()
  parseIptablesSave(skeleton, '/lib/ufw/ufw-init', family, tables)
  for (const name of [`before${six}.rules`, `after${six}.rules`, `user${six}.rules`]) {
    const file = `/etc/ufw/${name}`
    const text = await host.readText(file)
    if (!text.ok) {
      problems.push({file, line: 1, message: text.message})
      continue
    }
    // ufw-init restores each file on its own (iptables-restore -n) and goes on after a failure.
    const found = parseIptablesSave(text.value, file, family, structuredClone(tables)).problems
    problems.push(...found)
    parseIptablesSave(appliedPart(text.value, found), file, family, tables)
  }
  parseIptablesSave(
    `*filter\n-A ${t}-before-input -j ${t}-user-input\nCOMMIT\n`,
    '/lib/ufw/ufw-init',
    family,
    tables,
  )
  const files = ['/etc/ufw/ufw.conf', `/etc/ufw/before${six}.rules`, `/etc/ufw/user${six}.rules`]
  return {...iptablesRuleSet([{file: files[0] as string, family, tables, problems: []}], 'ufw'), files}
}

/**
 * IPV6 other than yes in /etc/default/ufw: ufw-init does not load user6.rules but closes IPv6 to
 * all but loopback ("IPv6 support disabled but available in the kernel, so default DROP").
 */
function ufwWithoutIpv6(): RuleSet {
  const tables = new Map<string, Map<string, Chain>>()
  parseIptablesSave(
    '*filter\n:INPUT DROP [0:0]\n-A INPUT -i lo -j ACCEPT\nCOMMIT\n',
    '/lib/ufw/ufw-init-functions',
    6,
    tables,
  )
  return {
    ...iptablesRuleSet([{file: '/etc/default/ufw', family: 6, tables, problems: []}], 'ufw'),
    files: ['/etc/default/ufw'],
  }
}

/** Merge the engines' rule sets: a connection must pass every base chain of every one. */
function combine(sets: RuleSet[]): RuleSet | undefined {
  if (sets.length === 0) return undefined
  if (sets.length === 1) return sets[0]
  return {
    engine: (sets[0] as RuleSet).engine,
    base: sets.flatMap((s) => s.base),
    chains: new Map(sets.flatMap((s) => [...s.chains])),
    files: sets.flatMap((s) => s.files),
  }
}

/** The node's name (/etc/hostname's first label), else the only node under /etc/pve/nodes. */
async function pveNode(host: Host): Promise<string | undefined> {
  const hostname = await host.readText('/etc/hostname')
  const name = hostname.ok ? hostname.value.trim().split('.')[0] : undefined
  if (name) return name
  const nodes = await host.list('/etc/pve/nodes')
  return nodes.ok && nodes.value.length === 1 ? nodes.value[0] : undefined
}

/** /etc/services as pve-firewall reads it for port names: name (and aliases) to TCP port. */
async function readServices(host: Host): Promise<Map<string, number> | undefined> {
  const text = await host.readText('/etc/services')
  if (!text.ok) return undefined
  const out = new Map<string, number>()
  for (const line of text.value.split('\n')) {
    const m = /^(\S+)\s+(\d+)\/tcp\b([^#]*)/.exec(line)
    if (!m) continue
    for (const name of [m[1] as string, ...(m[3] as string).trim().split(/\s+/).filter(Boolean)])
      if (!out.has(name)) out.set(name, Number(m[2]))
  }
  return out
}

interface PveFirewall {
  cluster: PveFile
  host?: PveFile
  context: PveContext
  /** The host's firewall runs as proxmox-firewall (nftables, a table of its own). */
  nft: boolean
}

/**
 * The Proxmox VE firewall (pve-firewall.service, or proxmox-firewall.service with host.fw
 * `nftables: 1`): compiled only when cluster.fw says `enable: 1`; the host's own chain exists
 * unless the node's host.fw says `enable: 0`.
 */
async function readPve(
  host: Host,
  problems: FileProblem[],
  engines: Firewall['engines'],
): Promise<PveFirewall | undefined> {
  const unit =
    (await enabledUnit(host, 'pve-firewall.service')) ?? (await enabledUnit(host, 'proxmox-firewall.service'))
  if (!unit) return undefined
  const clusterText = await host.readText(CLUSTER_FW)
  if (!clusterText.ok) {
    if (!clusterText.missing) problems.push({file: CLUSTER_FW, line: 1, message: clusterText.message})
    return undefined
  }
  const cluster = parsePveFirewall(clusterText.value, CLUSTER_FW, 'cluster')
  problems.push(...cluster.problems)
  const enabled = pveEnabled(cluster)
  if (!enabled.enabled) return undefined
  const node = await pveNode(host)
  let hostFile: PveFile | undefined
  if (node) {
    const file = hostFwPath(node)
    const text = await host.readText(file)
    if (text.ok) {
      hostFile = parsePveFirewall(text.value, file, 'host')
      problems.push(...hostFile.problems)
    } else if (!text.missing) problems.push({file, line: 1, message: text.message})
  }
  const hostEnable = hostFile?.options.get('enable')
  if (hostEnable?.value === '0') {
    engines.push({
      engine: 'pve-firewall',
      why: `${enabled.why}, but ${hostFile?.file}:${hostEnable.line} enable: 0 leaves the host's input unfiltered`,
    })
    return undefined
  }
  const nft = hostFile?.options.get('nftables')?.value === '1'
  engines.push({
    engine: 'pve-firewall',
    why: `${unit} loads ${CLUSTER_FW} (${enabled.why})${hostFile ? ` and ${hostFile.file}` : ''}`,
  })
  return {cluster, ...(hostFile ? {host: hostFile} : {}), context: {services: await readServices(host)}, nft}
}

/**
 * pve-firewall appends `-A INPUT -j PVEFW-INPUT` to an INPUT chain that iptables (rules.v4, ufw)
 * already fills: their rules decide first; what falls through meets the host firewall, and what it
 * accepts (RETURN) meets INPUT's policy. With a DROP policy nothing the host firewall accepts gets
 * in, so the other rule set alone decides.
 */
function hookPve(pve: PveFirewall, sets: RuleSet[], family: Family, problems: FileProblem[]): RuleSet[] {
  if (!pve.nft) {
    const index = sets.findIndex((s) => s.engine === 'iptables' || s.engine === 'ufw')
    const iptables = sets[index]
    if (iptables) {
      const input = iptables.chains.get('INPUT')
      if (input?.policy === 'drop') return sets
      const {chains, entry, problems: found} = pveHostChains(pve.cluster, pve.host, family, pve.context)
      for (const f of found)
        if (!problems.some((p) => p.file === f.file && p.line === f.line && p.message === f.message))
          problems.push(f)
      const hooked: Chain = {
        ...(input ?? {}),
        name: 'INPUT',
        rules: [
          ...(input?.rules ?? []),
          {
            file: CLUSTER_FW,
            line: 1,
            text: '-A INPUT -j PVEFW-INPUT (pve-firewall)',
            action: {kind: 'jump', target: entry},
          },
        ],
      }
      const base =
        input && iptables.base.includes(input)
          ? iptables.base.map((c) => (c === input ? hooked : c))
          : [...iptables.base, hooked]
      const merged: RuleSet = {
        ...iptables,
        base,
        chains: new Map([...iptables.chains, ...chains, ['INPUT', hooked]]),
        files: [...iptables.files, ...pveFiles(pve)],
      }
      return sets.map((s, i) => (i === index ? merged : s))
    }
  }
  // A table of its own (iptables alone, or proxmox-firewall's nftables table): it must accept too.
  const {set, problems: found} = pveRuleSet(pve.cluster, pve.host, family, pve.context)
  for (const f of found)
    if (!problems.some((p) => p.file === f.file && p.line === f.line && p.message === f.message))
      problems.push(f)
  return [...sets, set]
}

const pveFiles = (pve: PveFirewall) => [pve.cluster.file, ...(pve.host ? [pve.host.file] : [])]

/** The firewalls that load at boot under the root: nftables.service, netfilter-persistent, ufw, pve-firewall. */
export async function readFirewall(host: Host): Promise<Firewall> {
  const problems: FileProblem[] = []
  const found: EngineProblem[] = []
  const engines: Firewall['engines'] = []
  const perFamily: Record<Family, RuleSet[]> = {4: [], 6: []}

  const nftUnit = await enabledUnit(host, 'nftables.service')
  if (nftUnit) {
    const nft = await readNftables(host, problems)
    found.push(...tagged(problems, found.length, 'nftables'))
    if (nft?.set) {
      engines.push({
        engine: 'nftables',
        why: `${nftUnit} (nftables.service is enabled) loads ${NFTABLES_CONF}`,
      })
      perFamily[4].push(nft.set)
      perFamily[6].push(nft.set)
    } else if (nft?.refused)
      engines.push({
        engine: 'nftables',
        why: `${nftUnit} (nftables.service is enabled) loads ${NFTABLES_CONF}, but nft refuses it at ${nft.refused.file}:${nft.refused.line} (${nft.refused.message}) and loads none of it`,
      })
  }
  const persistent = await enabledUnit(host, 'netfilter-persistent.service')
  if (persistent) {
    for (const family of [4, 6] as const) {
      const set = await readIptables(host, family, problems)
      if (set) perFamily[family].push(set)
    }
    found.push(...tagged(problems, found.length, 'iptables'))
    engines.push({
      engine: 'iptables',
      why: `${persistent} (netfilter-persistent) restores /etc/iptables/rules.v4 and rules.v6`,
    })
  }
  const ufwConf = await host.readText('/etc/ufw/ufw.conf')
  // ufw-init compares ENABLED with "yes" and "YES" only.
  const enabled = ufwConf.ok ? shellVars(ufwConf.value).get('ENABLED') : undefined
  if (enabled === 'yes' || enabled === 'YES') {
    const defaults = await host.readText('/etc/default/ufw')
    const policy = (
      (defaults.ok ? shellVars(defaults.value).get('DEFAULT_INPUT_POLICY') : undefined) ?? 'DROP'
    ).toUpperCase()
    const v6 = defaults.ok ? shellVars(defaults.value).get('IPV6') : undefined
    engines.push({engine: 'ufw', why: `/etc/ufw/ufw.conf: ENABLED=yes (DEFAULT_INPUT_POLICY ${policy})`})
    perFamily[4].push(await readUfw(host, 4, policy, problems))
    perFamily[6].push(
      v6 === 'yes' || v6 === 'YES' ? await readUfw(host, 6, policy, problems) : ufwWithoutIpv6(),
    )
    found.push(...tagged(problems, found.length, 'ufw'))
  }
  const pve = await readPve(host, problems, engines)
  if (pve)
    for (const family of [4, 6] as const)
      perFamily[family] = hookPve(pve, perFamily[family], family, problems)
  found.push(...tagged(problems, found.length, 'pve-firewall'))
  return {engines, sets: {4: combine(perFamily[4]), 6: combine(perFamily[6])}, problems: found}
}
