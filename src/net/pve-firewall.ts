import type {AddressMatch, Chain, PortMatch, Rule, RuleSet} from './firewall.js'
import {type Family, lastOf, parseAddress, parsePrefix, type Prefix, rangeToPrefixes} from './ip.js'
import type {FileProblem} from './iptables-save.js'
import {macroName, PVE_MACROS} from './pve-macros.js'

/**
 * The Proxmox VE firewall's files, read as pve-firewall reads them (proxmox/pve-firewall,
 * src/PVE/Firewall.pm: generic_fw_config_parser, parse_fw_rule, verify_rule) and turned into the
 * iptables rules it generates for the host's input path (enable_host_firewall).
 */
export const CLUSTER_FW = '/etc/pve/firewall/cluster.fw'
export const hostFwPath = (node: string): string => `/etc/pve/nodes/${node}/host.fw`

export interface PveOption {
  value: string
  line: number
}

/** One line of [RULES] or of a [group]: `IN SSH(ACCEPT) -source +admins -i vmbr0 # comment`. */
export interface PveRule {
  line: number
  text: string
  enabled: boolean
  /** in, out, forward or group (lower case). */
  type: string
  /** ACCEPT, DROP, REJECT, or the security group's name for `GROUP name`. */
  action: string
  macro?: string
  iface?: string
  proto?: string
  dport?: string
  sport?: string
  source?: string
  dest?: string
}

export interface PveIpsetEntry {
  line: number
  /** `! 10.0.0.0/8`: the entry excludes (ipset's nomatch). */
  nomatch: boolean
  /** As written: an address, a network, or an alias (`dc/name`, `guest/name`). */
  cidr: string
}

export interface PveAlias {
  line: number
  prefix: Prefix
}

/** A cluster.fw or host.fw as pve-firewall parses it. */
export interface PveFile {
  file: string
  options: Map<string, PveOption>
  rules: PveRule[]
  aliases: Map<string, PveAlias>
  ipsets: Map<string, {line: number; entries: PveIpsetEntry[]}>
  groups: Map<string, {line: number; rules: PveRule[]}>
  problems: FileProblem[]
}

const NAME = /^[A-Za-z][A-Za-z0-9_-]+$/
const LOG_LEVELS = 'emerg|alert|crit|err|warning|notice|info|debug|nolog'

/** parse_clusterfw_option and parse_hostfw_option: the option and its value, or why it is refused. */
function parseOption(line: string, kind: 'cluster' | 'host'): {key: string; value: string} | string {
  const patterns =
    kind === 'cluster'
      ? [
          /^(enable):\s*(\d+)\s*$/i,
          /^(ebtables):\s*([01])\s*$/i,
          /^(policy_(?:in|out|forward)):\s*(ACCEPT|DROP|REJECT)\s*$/i,
          /^(log_ratelimit):\s*(\S+)\s*$/,
        ]
      : [
          /^(enable|nosmurfs|tcpflags|ndp|log_nf_conntrack|nf_conntrack_allow_invalid|protection_synflood|nftables):\s*([01])\s*$/i,
          new RegExp(
            `^(log_level_(?:in|out|forward)|tcp_flags_log_level|smurf_log_level):\\s*((?:${LOG_LEVELS})\\s*)?$`,
            'i',
          ),
          /^(nf_conntrack_helpers):\s*((?:\S+,?)+)\s*$/i,
          /^(nf_conntrack_max|nf_conntrack_tcp_timeout_established|nf_conntrack_tcp_timeout_syn_recv|protection_synflood_rate|protection_synflood_burst|protection_limit):\s*(\d+)\s*$/i,
        ]
  for (const pattern of patterns) {
    const m = pattern.exec(line)
    if (m) return {key: (m[1] as string).toLowerCase(), value: (m[2] ?? '').trim().toUpperCase()}
  }
  return `can't parse option '${line}'`
}

/** parse_fw_rule: the words of a rule line; errors that make pve-firewall drop the line. */
function parseRule(line: number, raw: string): PveRule | string {
  let rest = raw.replace(/#\s*(.*?)\s*$/, '')
  const enabled = !rest.startsWith('|')
  if (!enabled) rest = rest.slice(1)
  const head = /^(\S+)\s+(\S+)\s*/.exec(rest)
  if (!head) return `unable to parse rule: ${rest}`
  rest = rest.slice(head[0].length)
  const rule: PveRule = {
    line,
    text: raw,
    enabled,
    type: (head[1] as string).toLowerCase(),
    action: head[2] as string,
  }
  if (['in', 'out', 'forward'].includes(rule.type)) {
    const macro = /^(\S+)\((ACCEPT|DROP|REJECT)\)$/.exec(rule.action)
    if (macro) {
      rule.macro = macro[1] as string
      rule.action = macro[2] as string
    }
  }
  const options: Array<[RegExp, keyof PveRule]> = [
    [/^(?:-p|--?proto) (\S+)\s*/, 'proto'],
    [/^--?dport (\S+)\s*/, 'dport'],
    [/^--?sport (\S+)\s*/, 'sport'],
    [/^--?source (\S+)\s*/, 'source'],
    [/^--?dest (\S+)\s*/, 'dest'],
  ]
  parsing: while (rest.length > 0) {
    const iface = /^-i (\S+)\s*/.exec(rest)
    if (iface) {
      rule.iface = iface[1] as string
      rest = rest.slice(iface[0].length)
      continue
    }
    if (rule.type === 'group') break
    for (const [pattern, key] of options) {
      const m = pattern.exec(rest)
      if (m) {
        ;(rule as unknown as Record<string, string>)[key] = m[1] as string
        rest = rest.slice(m[0].length)
        continue parsing
      }
    }
    const skipped = new RegExp(`^--?(?:log (?:${LOG_LEVELS})|icmp-type \\S+)\\s*`).exec(rest)
    if (skipped) {
      rest = rest.slice(skipped[0].length)
      continue
    }
    break
  }
  if (rest.length > 0) return `unable to parse rule parameters: ${rest}`
  return rule
}

/**
 * generic_fw_config_parser: each line trimmed, `#` lines and blank lines skipped, `[OPTIONS]`,
 * `[RULES]`, `[ALIASES]`, `[IPSET name]` and `[group name]` sections (the last three in cluster.fw
 * only). A line pve-firewall refuses is skipped, as it skips it, and named here with its line.
 */
export function parsePveFirewall(text: string, file: string, kind: 'cluster' | 'host'): PveFile {
  const out: PveFile = {
    file,
    options: new Map(),
    rules: [],
    aliases: new Map(),
    ipsets: new Map(),
    groups: new Map(),
    problems: [],
  }
  const problem = (line: number, message: string) => out.problems.push({file, line, message, refused: 'line'})
  let section: 'options' | 'rules' | 'aliases' | 'ipset' | 'group' | undefined
  let name = ''
  text.split('\n').forEach((rawLine, index) => {
    const number = index + 1
    const line = rawLine.replace(/^[ \t]+|[ \t]+$/g, '')
    if (line === '' || line.startsWith('#')) return
    const plain = /^\[(options|rules|aliases)\]$/i.exec(line)?.[1]?.toLowerCase()
    if (plain === 'options' || plain === 'rules' || (plain === 'aliases' && kind === 'cluster')) {
      section = plain
      return
    }
    const named = /^\[(group|ipset)\s+(\S+)\]\s*(?:#\s*(.*?)\s*)?$/i.exec(line)
    if (named && kind === 'cluster') {
      const word = (named[1] as string).toLowerCase() as 'group' | 'ipset'
      const candidate = (named[2] as string).toLowerCase()
      if (candidate.length > (word === 'group' ? 18 : 64) || !NAME.test(candidate)) {
        problem(number, `invalid ${word === 'group' ? 'security group' : 'ipset'} name '${candidate}'`)
        section = undefined
        return
      }
      section = word
      name = candidate
      if (word === 'ipset') out.ipsets.set(name, {line: number, entries: []})
      else out.groups.set(name, {line: number, rules: []})
      return
    }
    if (section === undefined) {
      problem(number, 'not in a section: pve-firewall skips the line')
      return
    }
    if (section === 'options') {
      const parsed = parseOption(line, kind)
      if (typeof parsed === 'string') problem(number, parsed)
      else out.options.set(parsed.key, {value: parsed.value, line: number})
      return
    }
    if (section === 'aliases') {
      const m = /^(\S+)\s(\S+)$/.exec(line.replace(/\s*#\s*(.*?)\s*$/, ''))
      const prefix = m ? parseCidr(m[2] as string) : undefined
      if (!m || !prefix) {
        problem(number, 'value does not look like a valid IP address or CIDR network')
        return
      }
      out.aliases.set((m[1] as string).toLowerCase(), {line: number, prefix})
      return
    }
    if (section === 'ipset') {
      const m = /^(!)?\s*(\S+)\s*$/.exec(line.replace(/#\s*(.*?)\s*$/, ''))
      if (!m) {
        problem(number, `not an ipset entry: ${line}`)
        return
      }
      out.ipsets.get(name)?.entries.push({line: number, nomatch: m[1] === '!', cidr: m[2] as string})
      return
    }
    const rule = parseRule(number, line)
    if (typeof rule === 'string') problem(number, rule)
    else if (section === 'rules') out.rules.push(rule)
    else out.groups.get(name)?.rules.push(rule)
  })
  return out
}

/** parse_ip_or_cidr: an address or network (host bits are cleared where the kernel clears them). */
function parseCidr(text: string): Prefix | undefined {
  if (!/^[0-9A-Fa-f:.]+(?:\/\d+)?$/.test(text)) return undefined
  return parsePrefix(text)
}

/** What the host's input path needs from the node and the machine, beyond the two files. */
export interface PveContext {
  /** /etc/services names to ports; undefined when the root has no /etc/services. */
  services?: Map<string, number>
}

type Resolved<T> = {ok: T} | {error: string} | {undecided: string}

/** A pve-firewall view of the two files: aliases and IP sets resolved as its rules resolve them. */
class Resolver {
  constructor(
    readonly cluster: PveFile,
    readonly context: PveContext,
  ) {}

  alias(name: string, scope: string): PveAlias | undefined {
    // A host rule's own file has no aliases: only the cluster's (dc/ scope or none) can be meant.
    return scope === 'guest/' ? undefined : this.cluster.aliases.get(name.toLowerCase())
  }

  /** The networks an IP set matches (ipset hash:net: the most specific entry decides, `!` excludes). */
  ipset(name: string, family: Family): Resolved<Prefix[]> {
    const set = this.cluster.ipsets.get(name.toLowerCase())
    const entries: Array<{prefix: Prefix; nomatch: boolean}> = []
    if (name.toLowerCase() === 'management') {
      // compile() adds the local network to the management set; without a local_network alias,
      // pve-firewall derives it from the node's address and routes at run time.
      const local = this.cluster.aliases.get('local_network')
      if (!local)
        return {
          undecided:
            'the management IP set includes the local network pve-firewall derives from the node at run time',
        }
      entries.push({prefix: local.prefix, nomatch: false})
    } else if (!set) return {error: `no such ipset '${name}'`}
    for (const entry of set?.entries ?? []) {
      const alias = /^(dc\/|guest\/)?([A-Za-z][A-Za-z0-9_-]+)$/.exec(entry.cidr)
      const prefix = alias ? this.alias(alias[2] as string, alias[1] ?? '')?.prefix : parseCidr(entry.cidr)
      if (!prefix || prefix.bits === 0) continue
      entries.push({prefix, nomatch: entry.nomatch})
    }
    return {ok: ipsetPrefixes(family, entries)}
  }

  /** A -source or -dest value: addresses, a range, an alias or an IP set. */
  address(text: string, family: Family): Resolved<Prefix[]> {
    const set = /^\+(?:(guest\/|dc\/|sdn\/))?([A-Za-z][A-Za-z0-9_-]+)$/.exec(text)
    if (text.startsWith('+')) {
      if (!set) return {error: `invalid ipset name '${text}'`}
      if (set[1] === 'sdn/') return {undecided: `the SDN IP set ${text} is filled from the SDN configuration`}
      if (set[1] === 'guest/') return {error: `no such ipset '${set[2] as string}'`}
      return this.ipset(set[2] as string, family)
    }
    const alias = /^(dc\/|guest\/)?([A-Za-z][A-Za-z0-9_-]+)$/.exec(text)
    if (alias) {
      const found = this.alias(alias[2] as string, alias[1] ?? '')
      if (!found) return {error: `no such alias '${text}'`}
      return {ok: found.prefix.family === family ? [found.prefix] : []}
    }
    const elements = text.split(',')
    if (elements.some((e) => e === '')) return {error: 'extraneous commas in list'}
    const out: Prefix[] = []
    for (const element of elements) {
      const range = /^([^-]+)-([^-]+)$/.exec(element)
      if (range) {
        if (elements.length > 1) return {error: "you can't use a range in a list"}
        const from = parseAddress(range[1] as string)
        const to = parseAddress(range[2] as string)
        if (!from || !to || from.family !== to.family || from.value > to.value)
          return {error: `invalid IP address range '${element}'`}
        if (from.family === family) out.push(...rangeToPrefixes(family, from.value, to.value))
        continue
      }
      const prefix = parseCidr(element)
      // Net::IP refuses a network whose host bits are set (10.0.0.5/24).
      if (!prefix || parseAddress(element.split('/')[0] as string)?.value !== prefix.base)
        return {error: `invalid IP address '${element}'`}
      if (prefix.family === family) out.push(prefix)
    }
    return {ok: out}
  }

  /** The family a rule's addresses pin it to (verify_rule's ipversion), or an error. */
  familyOf(rule: PveRule): Family | undefined | string {
    let family: Family | undefined
    for (const text of [rule.source, rule.dest]) {
      if (!text || text.startsWith('+')) continue
      const alias = /^(dc\/|guest\/)?([A-Za-z][A-Za-z0-9_-]+)$/.exec(text)
      const found = alias
        ? this.alias(alias[2] as string, alias[1] ?? '')?.prefix.family
        : parseAddress((text.split(/[,/-]/)[0] ?? '') as string)?.family
      if (found === undefined) continue
      if (family !== undefined && family !== found) return 'detected mixed ipv4/ipv6 addresses in rule'
      family = found
    }
    if (rule.proto === 'icmp') family ??= 4
    if (rule.proto === 'icmpv6' || rule.proto === 'ipv6-icmp') family ??= 6
    return family
  }

  /** parse_port_name_number_or_range: `22`, `5900:5999`, `22,80`, or /etc/services names. */
  ports(text: string): Resolved<PortMatch> {
    const elements = text.split(',')
    if (elements.some((e) => e === '')) return {error: 'extraneous commas in list'}
    const ranges: Array<[number, number]> = []
    let count = 0
    for (const item of elements) {
      const range = /^(\d+):(\d+)$/.exec(item)
      const single = /^(\d+)$/.exec(item)
      if (range) {
        const [from, to] = [Number(range[1]), Number(range[2])]
        if (from > 65535 || to > 65535) return {error: `invalid port '${item}'`}
        if (from > to) return {error: `backwards range '${item}' not allowed`}
        ranges.push([from, to])
        count += 2
      } else if (single) {
        const port = Number(single[1])
        if (port > 65535) return {error: `invalid port '${item}'`}
        ranges.push([port, port])
        count += 1
      } else if (this.context.services === undefined) {
        return {undecided: `the port name '${item}' is looked up in /etc/services, which this root lacks`}
      } else {
        const port = this.context.services.get(item)
        if (port === undefined) return {error: `invalid port '${item}'`}
        ranges.push([port, port])
      }
    }
    if (count > 15) return {error: 'too many entries in port list (> 15 numbers)'}
    return {ok: {negate: false, ranges}}
  }
}

/** ipset hash:net with nomatch entries: an address matches when its most specific entry is not `!`. */
function ipsetPrefixes(family: Family, entries: Array<{prefix: Prefix; nomatch: boolean}>): Prefix[] {
  const own = entries.filter((e) => e.prefix.family === family)
  const cuts = new Set<bigint>()
  for (const e of own) {
    cuts.add(e.prefix.base)
    cuts.add(lastOf(e.prefix) + 1n)
  }
  const starts = [...cuts].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))
  const out: Prefix[] = []
  for (let i = 0; i + 1 < starts.length; i++) {
    const start = starts[i] as bigint
    const best = own
      .filter((e) => start >= e.prefix.base && start <= lastOf(e.prefix))
      .sort((a, b) => b.prefix.bits - a.prefix.bits)[0]
    if (best && !best.nomatch) out.push(...rangeToPrefixes(family, start, (starts[i + 1] as bigint) - 1n))
  }
  return out
}

/** A resolved address list as a match; what cannot be resolved offline stays undecided. */
function setMatch(resolved: Resolved<Prefix[]>): AddressMatch {
  if ('ok' in resolved) return {negate: false, prefixes: resolved.ok}
  return {negate: false, undecided: 'undecided' in resolved ? resolved.undecided : resolved.error}
}

const PORT_PROTOCOLS = new Set(['udp', '17', 'udplite', '136', 'tcp', '6', 'dccp', '33', 'sctp', '132'])
const ICMP = new Set(['icmp', 'icmpv6', 'ipv6-icmp'])

const MANAGEMENT_PORTS: Array<[number, number]> = [
  [8006, 8006],
  [5900, 5999],
  [3128, 3128],
  [22, 22],
  [60000, 60050],
]

/** Whether pve-firewall compiles any rules at all: cluster.fw `enable: 1` (the default is off). */
export function pveEnabled(cluster: PveFile): {enabled: boolean; why: string} {
  const enable = cluster.options.get('enable')
  if (!enable) return {enabled: false, why: `${cluster.file} does not set enable (the default is 0: off)`}
  const value = Number(enable.value)
  // A value above 1 is the time the firewall was switched on with a rollback timer: off after 60 s.
  if (value === 1) return {enabled: true, why: `${cluster.file}:${enable.line} enable: 1`}
  return {
    enabled: false,
    why:
      value === 0
        ? `${cluster.file}:${enable.line} enable: 0`
        : `${cluster.file}:${enable.line} enable: ${enable.value} (a rollback timestamp, off once 60 s have passed)`,
  }
}

/**
 * The host's input chain, as enable_host_firewall generates it for one address family:
 * loopback, conntrack, the blacklist IP set, the host's rules then the cluster's
 * (ACCEPT becomes RETURN: the packet leaves pve-firewall's chains accepted), the management IP set
 * to the Proxmox ports, and policy_in (cluster.fw; DROP by default). Lines pve-firewall drops for
 * an error are skipped and named as problems.
 */
export function pveHostChains(
  cluster: PveFile,
  host: PveFile | undefined,
  family: Family,
  context: PveContext = {},
): {chains: Map<string, Chain>; entry: string; problems: FileProblem[]} {
  const resolver = new Resolver(cluster, context)
  const problems: FileProblem[] = []
  const chains = new Map<string, Chain>()
  const entry = 'PVEFW-HOST-IN'
  const at = (file: string, line: number, text: string) => ({file, line, text})
  const generated = (text: string, line = 1) => at(cluster.file, line, text)
  const rules: Rule[] = [
    {
      ...generated('-i lo -j ACCEPT (pve-firewall)'),
      iif: {negate: false, names: ['lo']},
      action: {kind: 'accept'},
    },
    {
      ...generated('-m conntrack --ctstate INVALID -j DROP (pve-firewall)'),
      ctstate: {negate: false, states: ['invalid']},
      action: {kind: 'drop'},
    },
    {
      ...generated('-m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT (pve-firewall)'),
      ctstate: {negate: false, states: ['related', 'established']},
      action: {kind: 'accept'},
    },
  ]
  const blacklist = cluster.ipsets.get('blacklist')
  if (blacklist) {
    const set = resolver.ipset('blacklist', family)
    rules.push({
      ...at(cluster.file, blacklist.line, '[IPSET blacklist]'),
      saddr: setMatch(set),
      action: {kind: 'drop'},
    })
  }
  // The smurf filter (IPv4: drop a broadcast or multicast source) is left out: the kernel already
  // refuses a multicast source as a martian before any chain runs, and no TCP client has either.

  const groupChain = (name: string): string => {
    const chainName = `GROUP-${name}-IN`
    if (chains.has(chainName)) return chainName
    const group = cluster.groups.get(name)
    const chain: Chain = {name: chainName, rules: []}
    chains.set(chainName, chain)
    if (!group) return chainName
    chain.place = {file: cluster.file, line: group.line}
    for (const rule of group.rules) {
      if (rule.type !== 'in' || !rule.enabled) continue
      chain.rules.push(...compileRule(cluster.file, rule, 'group'))
    }
    return chainName
  }

  const compileRule = (file: string, rule: PveRule, env: 'host' | 'cluster' | 'group'): Rule[] => {
    const fail = (message: string): Rule[] => {
      problems.push({
        file,
        line: rule.line,
        message: `${message}: pve-firewall skips the rule`,
        refused: 'line',
      })
      return []
    }
    if (rule.type === 'group') {
      if (env === 'group') return fail('security groups not allowed')
      if (!NAME.test(rule.action)) return fail('invalid characters in security group name')
      // ruleset_add_group_rule looks the name up as written; [group] names are kept in lower case.
      const name = rule.action
      if (!cluster.groups.has(name))
        problems.push({
          file,
          line: rule.line,
          message: `no such security group '${name}': the group matches nothing`,
          refused: 'line',
        })
      return [
        {
          ...at(file, rule.line, rule.text),
          ...(rule.iface ? {iif: {negate: false, names: [rule.iface]}} : {}),
          action: {kind: 'jump', target: groupChain(name)},
        },
      ]
    }
    if (!['in', 'out', 'forward'].includes(rule.type)) return fail(`unknown rule type '${rule.type}'`)
    if (!['ACCEPT', 'DROP', 'REJECT'].includes(rule.action)) return fail(`unknown action '${rule.action}'`)
    if (rule.iface && env === 'group') return fail('parameter -i not allowed for this rule type')
    const ruleFamily = resolver.familyOf(rule)
    if (typeof ruleFamily === 'string') return fail(ruleFamily)
    if ((rule.dport || rule.sport) && !rule.proto)
      return fail(`missing property - '${rule.dport ? 'dport' : 'sport'}' requires 'proto'`)
    if ((rule.dport || rule.sport) && rule.proto && !PORT_PROTOCOLS.has(rule.proto) && !ICMP.has(rule.proto))
      return fail(`protocol '${rule.proto}' does not support ports`)
    let undecided: string | undefined
    let saddr: AddressMatch | undefined
    if (rule.source) {
      const resolved = resolver.address(rule.source, family)
      if ('error' in resolved) return fail(resolved.error)
      saddr =
        'ok' in resolved
          ? {negate: false, prefixes: resolved.ok}
          : {negate: false, undecided: resolved.undecided}
    }
    if (rule.dest) {
      const resolved = resolver.address(rule.dest, family)
      if ('error' in resolved) return fail(resolved.error)
      // A destination of the other family only: the rule is not generated for this one.
      if ('ok' in resolved && resolved.ok.length === 0) return []
      undecided = `-dest ${rule.dest}: the rule depends on the address the client connects to`
    }
    if (rule.type !== 'in') return []
    if (ruleFamily !== undefined && ruleFamily !== family) return []
    const templates: Array<{proto?: string; dport?: string}> = []
    if (rule.macro) {
      const macro = macroName(rule.macro)
      if (!macro) return fail(`unknown macro '${rule.macro}'`)
      for (const [proto, dport] of PVE_MACROS[macro] ?? []) {
        if (rule.proto && rule.proto !== proto)
          return fail(`parameter 'proto' already defined in macro (value = '${proto}')`)
        if (rule.dport && dport && rule.dport !== dport)
          return fail(`parameter 'dport' already defined in macro (value = '${dport}')`)
        templates.push({proto, ...((dport ?? rule.dport) ? {dport: dport ?? rule.dport} : {})})
      }
    } else
      templates.push({...(rule.proto ? {proto: rule.proto} : {}), ...(rule.dport ? {dport: rule.dport} : {})})
    const out: Rule[] = []
    for (const template of templates) {
      const proto = template.proto === '6' ? 'tcp' : template.proto
      let dport: PortMatch | undefined
      if (template.dport && proto && !ICMP.has(proto)) {
        const ports = resolver.ports(template.dport)
        if ('error' in ports) return fail(ports.error)
        if ('undecided' in ports) undecided ??= ports.undecided
        else dport = ports.ok
      }
      if (rule.sport) undecided ??= `-sport ${rule.sport}: the rule depends on the client's source port`
      const kind = rule.action === 'ACCEPT' ? 'accept' : rule.action === 'DROP' ? 'drop' : 'reject'
      out.push({
        ...at(file, rule.line, rule.text),
        ...(ruleFamily === undefined ? {} : {family: ruleFamily}),
        ...(saddr ? {saddr} : {}),
        ...(proto ? {protocol: {negate: false, names: [proto]}} : {}),
        ...(dport ? {dport} : {}),
        ...(rule.iface ? {iif: {negate: false, names: [rule.iface]}} : {}),
        ...(undecided ? {undecided} : {}),
        action: {kind},
      })
    }
    return out
  }

  // Host rules first, so that they can override the cluster's.
  for (const [file, env] of [
    [host, 'host'],
    [cluster, 'cluster'],
  ] as const) {
    for (const rule of file?.rules ?? [])
      if (rule.enabled && file) rules.push(...compileRule(file.file, rule, env))
  }

  const management = resolver.ipset('management', family)
  const managementPlace = cluster.ipsets.get('management')?.line ?? 1
  rules.push({
    ...generated(
      '-m set --match-set PVEFW-0-management src -p tcp --dport 8006,5900:5999,3128,22,60000:60050 (pve-firewall: the management IP set may reach the Proxmox ports)',
      managementPlace,
    ),
    saddr: setMatch(management),
    protocol: {negate: false, names: ['tcp']},
    dport: {negate: false, ranges: MANAGEMENT_PORTS},
    action: {kind: 'accept'},
  })
  const policy = cluster.options.get('policy_in')
  const value = policy?.value ?? 'DROP'
  rules.push({
    ...(policy
      ? at(cluster.file, policy.line, `policy_in: ${value}`)
      : generated("policy_in: DROP (pve-firewall's default: cluster.fw sets no policy_in)")),
    action: {kind: value === 'ACCEPT' ? 'accept' : value === 'REJECT' ? 'reject' : 'drop'},
  })
  chains.set(entry, {name: entry, rules, place: {file: cluster.file, line: policy?.line ?? 1}})
  return {chains, entry, problems}
}

/** The host firewall as a rule set of its own (its chains hooked into INPUT, whose policy is ACCEPT). */
export function pveRuleSet(
  cluster: PveFile,
  host: PveFile | undefined,
  family: Family,
  context: PveContext = {},
): {set: RuleSet; problems: FileProblem[]} {
  const {chains, entry, problems} = pveHostChains(cluster, host, family, context)
  const files = [cluster.file, ...(host ? [host.file] : [])]
  return {set: {engine: 'pve-firewall', base: [chains.get(entry) as Chain], chains, files}, problems}
}
