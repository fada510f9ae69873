import type {Action, AddressMatch, Chain, PortMatch, Rule, RuleSet} from './firewall.js'
import {type Family, parseAddress, type Prefix, rangeToPrefixes, parsePrefix} from './ip.js'

/** A line an engine would refuse, or that this reader cannot follow. */
export interface FileProblem {
  file: string
  line: number
  message: string
  /**
   * What the engine does with the line, when this reader is sure: `file`, it refuses the whole file
   * and loads none of it (nft -f); `block`, it refuses the table block the line is in and stops
   * there, keeping the blocks committed before it (iptables-restore); `line`, it skips the line and
   * loads the rest (pve-firewall). Absent: this reader does not follow the line, and the engine
   * may well accept it (a host name, a match this reader does not know).
   */
  refused?: 'file' | 'block' | 'line'
}

/** An iptables-save file (rules.v4, rules.v6, ufw's *.rules) as iptables-restore reads it. */
export interface IptablesFile {
  file: string
  family: Family
  /** Tables by name, each with its chains by name. */
  tables: Map<string, Map<string, Chain>>
  problems: FileProblem[]
}

const BUILTIN: Record<string, string[]> = {
  filter: ['INPUT', 'FORWARD', 'OUTPUT'],
  raw: ['PREROUTING', 'OUTPUT'],
  mangle: ['PREROUTING', 'INPUT', 'FORWARD', 'OUTPUT', 'POSTROUTING'],
  nat: ['PREROUTING', 'INPUT', 'OUTPUT', 'POSTROUTING'],
  security: ['INPUT', 'FORWARD', 'OUTPUT'],
}

/** Targets that do not end the walk through a chain (the packet goes on to the next rule). */
const NON_TERMINATING = new Set([
  'LOG',
  'NFLOG',
  'ULOG',
  'MARK',
  'CONNMARK',
  'CT',
  'NOTRACK',
  'TRACE',
  'AUDIT',
  'TCPMSS',
  'TOS',
  'DSCP',
  'CLASSIFY',
  'SET',
])

/**
 * Split a line into words as iptables-restore does: blanks separate, double quotes group (and are
 * removed), a backslash escapes a quote inside quotes.
 */
export function restoreWords(text: string): {words: string[]; error?: string} {
  const words: string[] = []
  let i = 0
  while (i < text.length) {
    const c = text[i] as string
    if (c === ' ' || c === '\t' || c === '\r') {
      i++
      continue
    }
    let word = ''
    let quoted = false
    while (i < text.length) {
      const ch = text[i] as string
      if (!quoted && (ch === ' ' || ch === '\t' || ch === '\r')) break
      if (ch === '"') {
        quoted = !quoted
        i++
        continue
      }
      if (quoted && ch === '\\' && i + 1 < text.length) {
        word += text[i + 1]
        i += 2
        continue
      }
      word += ch
      i++
    }
    if (quoted) return {words, error: 'unterminated quoted string'}
    words.push(word)
  }
  return {words}
}

function ports(text: string): PortMatch['ranges'] | undefined {
  const out: PortMatch['ranges'] = []
  for (const part of text.split(',')) {
    const m = /^(\d{1,5})(?::(\d{0,5}))?$/.exec(part) ?? /^:(\d{1,5})$/.exec(part)
    if (!m) return undefined
    if (part.startsWith(':')) {
      out.push([0, Number(m[1])])
      continue
    }
    const from = Number(m[1])
    const to = m[2] === undefined ? from : m[2] === '' ? 65535 : Number(m[2])
    if (from > 65535 || to > 65535) return undefined
    out.push(from <= to ? [from, to] : [to, from])
  }
  return out
}

function addresses(text: string, family: Family): Prefix[] | undefined {
  const out: Prefix[] = []
  for (const part of text.split(',')) {
    const prefix = parsePrefix(part)
    if (!prefix || prefix.family !== family) return undefined
    out.push(prefix)
  }
  return out
}

const PROTOCOL_NUMBERS: Record<string, string> = {'6': 'tcp', '17': 'udp', '1': 'icmp', '58': 'ipv6-icmp'}

/** Parse one `-A CHAIN ...` rule's words after the chain name into a rule (or a problem). */
function parseRuleWords(
  words: string[],
  family: Family,
  base: {file: string; line: number; text: string},
): {
  rule: Omit<Rule, 'action'> & {action?: Action; target?: string}
  error?: string
  /** iptables-restore surely refuses the line (not a value it may know, such as a host name). */
  sure?: boolean
} {
  const rule: Omit<Rule, 'action'> & {action?: Action; target?: string} = {...base, family}
  const undecided: string[] = []
  const recent: {check?: string; negate?: boolean; hitcount?: number} = {}
  let negate = false
  let i = 0
  const value = (): string | undefined => {
    const v = words[i + 1]
    if (v === undefined) return undefined
    i++
    return v
  }
  // `sure` false: a value iptables may still take (a host name, a service name), unlike a syntax error.
  const fail = (message: string, sure = true) => ({rule, error: message, sure})
  while (i < words.length) {
    const w = words[i] as string
    if (w === '!') {
      if (negate) return fail('double negation')
      negate = true
      i++
      continue
    }
    const takeNegate = () => {
      const n = negate
      negate = false
      return n
    }
    switch (w) {
      case '-s':
      case '--source':
      case '--src': {
        const v = value()
        if (v === undefined) return fail(`${w} needs an address`)
        const prefixes = addresses(v, family)
        if (!prefixes) return fail(`${w} ${v}: not a numeric IPv${family} address or network`, false)
        rule.saddr = {negate: takeNegate(), prefixes}
        break
      }
      case '-d':
      case '--destination':
      case '--dst': {
        const v = value()
        if (v === undefined) return fail(`${w} needs an address`)
        takeNegate()
        undecided.push(`it matches the destination ${v}, and this host's addresses are not known offline`)
        break
      }
      case '-p':
      case '--protocol': {
        const v = value()
        if (v === undefined) return fail(`${w} needs a protocol`)
        const name = PROTOCOL_NUMBERS[v] ?? v.toLowerCase()
        const n = takeNegate()
        rule.protocol = name === 'all' || name === '0' ? undefined : {negate: n, names: [name]}
        break
      }
      case '-i':
      case '--in-interface': {
        const v = value()
        if (v === undefined) return fail(`${w} needs an interface`)
        rule.iif = {negate: takeNegate(), names: [v]}
        break
      }
      case '-o':
      case '--out-interface': {
        if (value() === undefined) return fail(`${w} needs an interface`)
        takeNegate()
        rule.never = true
        break
      }
      case '-f':
      case '--fragment':
        // A connection's first packet (the SYN) is never a non-first fragment.
        if (!takeNegate()) rule.never = true
        break
      case '-m':
      case '--match': {
        const v = value()
        if (v === undefined) return fail(`${w} needs a module name`)
        takeNegate()
        // ip6t_rt matches only a packet that carries a routing header (ufw's before6.rules drops
        // type 0 ones); a connection's SYN carries none, whatever the rt options say.
        if (v === 'rt') rule.never = true
        break
      }
      case '--dport':
      case '--destination-port':
      case '--dports':
      case '--destination-ports': {
        const v = value()
        const ranges = v === undefined ? undefined : ports(v)
        if (!ranges)
          return fail(`${w} ${v ?? ''}: not a port, range or list`.replace(' :', ':'), v === undefined)
        rule.dport = {negate: takeNegate(), ranges}
        break
      }
      case '--ports': {
        const v = value()
        const ranges = v === undefined ? undefined : ports(v)
        if (!ranges) return fail(`${w}: not a port list`, v === undefined)
        // Source or destination: the client's source port is its own choice.
        takeNegate()
        undecided.push('it matches a source or destination port, and the client chooses its source port')
        break
      }
      case '--sport':
      case '--source-port':
      case '--sports':
      case '--source-ports': {
        if (value() === undefined) return fail(`${w} needs a port`)
        takeNegate()
        undecided.push('it matches the source port, which the client chooses')
        break
      }
      case '--ctstate':
      case '--state': {
        const v = value()
        if (v === undefined) return fail(`${w} needs states`)
        rule.ctstate = {negate: takeNegate(), states: v.toLowerCase().split(',')}
        break
      }
      case '--syn': {
        // A new connection's first packet is a SYN.
        if (takeNegate()) rule.never = true
        break
      }
      case '--tcp-flags': {
        const mask = value()
        const comp = value()
        if (mask === undefined || comp === undefined) return fail('--tcp-flags needs a mask and flags')
        const set = (s: string) =>
          new Set(
            s.toUpperCase() === 'ALL'
              ? ['SYN', 'ACK', 'FIN', 'RST', 'URG', 'PSH']
              : s.toUpperCase().split(','),
          )
        const m = set(mask)
        const c = set(comp)
        const hit = [...m].every((flag) => (flag === 'SYN') === c.has(flag))
        if (hit === takeNegate()) rule.never = true
        break
      }
      case '--src-range': {
        const v = value()
        const [from, to] = (v ?? '').split('-')
        const a = from === undefined ? undefined : parseAddress(from)
        const b = to === undefined ? undefined : parseAddress(to)
        if (!a || !b || a.family !== family || b.family !== family)
          return fail(`--src-range ${v ?? ''}: not an address range`, v === undefined)
        rule.saddr = {negate: takeNegate(), prefixes: rangeToPrefixes(family, a.value, b.value)}
        break
      }
      case '--match-set': {
        const name = value()
        const flags = value()
        if (name === undefined || flags === undefined) return fail('--match-set needs a set name and flags')
        const saddr: AddressMatch = {
          negate: takeNegate(),
          undecided: `it matches the ipset ${name}, whose members are known only at run time`,
        }
        if (flags.split(',')[0] === 'src') rule.saddr = saddr
        else undecided.push(saddr.undecided)
        break
      }
      case '--comment':
      case '--log-prefix':
      case '--log-level':
      case '--reject-with':
      case '--nflog-prefix':
      case '--nflog-group':
      case '--set-mark':
      case '--set-xmark': {
        takeNegate()
        if (value() === undefined) return fail(`${w} needs a value`)
        break
      }
      case '--icmp-type':
      case '--icmpv6-type': {
        // Only ICMP packets have a type: a TCP connection never matches one.
        if (value() === undefined) return fail(`${w} needs a type`)
        if (!takeNegate()) rule.never = true
        break
      }
      case '--dst-type': {
        // A connection to this host's own address: its destination type is LOCAL (and UNICAST).
        const v = value()
        if (v === undefined) return fail(`${w} needs a type`)
        const types = v.toUpperCase().split(',')
        if ((types.includes('LOCAL') || types.includes('UNICAST')) === takeNegate()) rule.never = true
        break
      }
      case '--rsource':
        takeNegate()
        break
      case '--src-type':
      case '--limit':
      case '--limit-burst':
      case '--hashlimit': {
        takeNegate()
        if (value() === undefined) return fail(`${w} needs a value`)
        undecided.push(`it uses ${w}, which depends on the traffic at run time`)
        break
      }
      case '--name':
      case '--seconds':
      case '--mask':
      case '--hitcount': {
        takeNegate()
        const v = value()
        if (v === undefined) return fail(`${w} needs a value`)
        if (w === '--hitcount') recent.hitcount = Number(v)
        break
      }
      case '--set':
        // Adds the source to the list and matches: no condition on this connection.
        takeNegate()
        break
      case '--update':
      case '--rcheck':
        recent.check = w
        recent.negate = takeNegate()
        break
      case '--remove':
        takeNegate()
        undecided.push(`it uses the recent match (${w}), which depends on earlier traffic`)
        break
      case '-j':
      case '--jump':
      case '-g':
      case '--goto': {
        const v = value()
        if (v === undefined) return fail(`${w} needs a target`)
        rule.target = v
        rule.action = w === '-g' || w === '--goto' ? {kind: 'goto', target: v} : {kind: 'jump', target: v}
        break
      }
      default:
        if (w.startsWith('-')) {
          takeNegate()
          // An option of a match module this reader does not know: it takes the next word unless
          // that is another option.
          const next = words[i + 1]
          if (next !== undefined && !next.startsWith('-') && next !== '!') i++
          undecided.push(`it uses ${w}, which this reader does not judge`)
          break
        }
        return fail(`unexpected "${w}"`)
    }
    if (negate) return fail(`"!" before ${w}, which cannot be negated`, false)
    i++
  }
  if (negate) return fail('"!" at the end of the rule')
  if (recent.check) {
    // Verdicts are for a client's first new connection: its source is in the list once at most
    // (ufw limit's --set just before), so a --hitcount of 2 or more is not reached yet. Later
    // connections within --seconds are rate-limited, not refused to the network as a whole.
    if (!recent.negate && (recent.hitcount ?? 0) >= 2) rule.never = true
    else undecided.push(`it uses the recent match (${recent.check}), which depends on earlier traffic`)
  }
  if (undecided.length > 0) rule.undecided = undecided[0]
  return {rule}
}

function targetAction(target: string | undefined): Action | 'custom' {
  switch (target) {
    case undefined:
      return {kind: 'continue'}
    case 'ACCEPT':
      return {kind: 'accept'}
    case 'DROP':
    case 'REJECT':
      return {kind: target === 'DROP' ? 'drop' : 'reject'}
    case 'RETURN':
      return {kind: 'return'}
    default:
      return NON_TERMINATING.has(target) ? {kind: 'continue'} : 'custom'
  }
}

/** Parse an iptables-save file; problems name their line, nothing throws. */
export function parseIptablesSave(
  text: string,
  file: string,
  family: Family,
  /** `iptables-restore -n`: continue these tables (a `:CHAIN` line empties that chain). */
  noflush?: Map<string, Map<string, Chain>>,
): IptablesFile {
  const tables = noflush ?? new Map<string, Map<string, Chain>>()
  const problems: FileProblem[] = []
  const lines = text.split('\n')
  let table: Map<string, Chain> | undefined
  let tableName = ''
  let tableLine = 0
  const pending: Array<{rule: Rule; target: string}> = []
  const problem = (line: number, message: string, refused = true) =>
    problems.push({file, line, message, ...(refused ? {refused: 'block' as const} : {})})

  const finish = () => {
    if (!table) return
    // A jump may name a chain declared further down the table.
    for (const {rule, target} of pending.splice(0)) {
      if (table.has(target)) continue
      // A target extension this reader does not list (MASQUERADE, NFQUEUE...) is no chain either.
      problem(rule.line, `-j ${target}: no chain or target of that name in *${tableName}`, false)
      rule.undecided = `it jumps to ${target}, which is not a chain here`
    }
    tables.set(tableName, table)
  }

  lines.forEach((raw, index) => {
    const line = index + 1
    const text = raw.replace(/\r$/, '').trim()
    if (text === '' || text.startsWith('#')) return
    if (text.startsWith('*')) {
      if (table) problem(line, `*${text.slice(1)} begins before ${tableName}'s COMMIT`)
      tableName = text.slice(1).trim()
      tableLine = line
      if (!(tableName in BUILTIN)) problem(line, `*${tableName}: no such table`)
      table =
        tables.get(tableName) ??
        new Map(
          (BUILTIN[tableName] ?? []).map((name) => [
            name,
            {name, rules: [], family, place: {file, line}} satisfies Chain,
          ]),
        )
      return
    }
    if (text === 'COMMIT') {
      if (!table) problem(line, 'COMMIT outside a table')
      finish()
      table = undefined
      return
    }
    if (!table) {
      problem(line, 'a rule outside a table (no *filter line before it)')
      return
    }
    if (text.startsWith(':')) {
      const m = /^:(\S+)\s+(\S+)(?:\s+\[\d+:\d+\])?$/.exec(text)
      if (!m) {
        problem(line, 'a chain line is ":NAME POLICY [packets:bytes]"')
        return
      }
      const [, name = '', policy = ''] = m
      const builtin = BUILTIN[tableName]?.includes(name) ?? false
      if (builtin !== (policy !== '-')) {
        problem(
          line,
          builtin
            ? `${name} is built in: its policy is ACCEPT or DROP`
            : `${name} is user-defined: its policy is "-"`,
        )
        return
      }
      if (builtin && policy !== 'ACCEPT' && policy !== 'DROP') {
        problem(line, `${policy}: a policy is ACCEPT or DROP`)
        return
      }
      const chain = table.get(name) ?? {name, rules: [], place: {file, line}}
      chain.rules = []
      if (builtin) chain.policy = policy === 'DROP' ? 'drop' : 'accept'
      chain.family = family
      chain.place = {file, line}
      table.set(name, chain)
      return
    }
    const split = restoreWords(text.replace(/^\[\d+:\d+\]\s*/, ''))
    if (split.error) {
      problem(line, split.error)
      return
    }
    const [command, chainName, ...rest] = split.words
    if (command === '-N' || command === '--new-chain') {
      if (chainName)
        table.set(chainName, table.get(chainName) ?? {name: chainName, rules: [], place: {file, line}})
      else problem(line, '-N needs a chain name')
      return
    }
    if (command !== '-A' && command !== '--append' && command !== '-I' && command !== '--insert') {
      problem(line, `${command ?? ''}: this reader follows -A, -I and -N lines only`, false)
      return
    }
    const chain = chainName === undefined ? undefined : table.get(chainName)
    if (!chain) {
      problem(line, `${chainName ?? '(none)'}: no such chain in *${tableName}`)
      return
    }
    let position: number | undefined
    if ((command === '-I' || command === '--insert') && /^\d+$/.test(rest[0] ?? ''))
      position = Number(rest.shift()) - 1
    const parsed = parseRuleWords(rest, family, {file, line, text})
    if (parsed.error) {
      problem(line, parsed.error, parsed.sure)
      return
    }
    const {target, ...fields} = parsed.rule
    const action = targetAction(target)
    const rule: Rule = {...fields, action: action === 'custom' ? (fields.action as Action) : action}
    if (action === 'custom' && target !== undefined) pending.push({rule, target})
    if (command === '-I' || command === '--insert') chain.rules.splice(position ?? 0, 0, rule)
    else chain.rules.push(rule)
  })
  if (table) problem(tableLine, `*${tableName} has no COMMIT: iptables-restore applies nothing of it`)
  return {file, family, tables, problems}
}

/**
 * The input path of one or more iptables-save files as a rule set: raw and mangle PREROUTING,
 * mangle INPUT, then filter INPUT (the order netfilter runs them in). Chain names are per table.
 */
export function iptablesRuleSet(files: IptablesFile[], engine: RuleSet['engine'] = 'iptables'): RuleSet {
  const chains = new Map<string, Chain>()
  const base: Chain[] = []
  for (const [tableName, hook] of [
    ['raw', 'PREROUTING'],
    ['mangle', 'PREROUTING'],
    ['mangle', 'INPUT'],
    ['filter', 'INPUT'],
  ] as const) {
    for (const f of files) {
      const chain = f.tables.get(tableName)?.get(hook)
      if (chain && (chain.rules.length > 0 || chain.policy === 'drop')) base.push(chain)
    }
  }
  for (const f of files) for (const [name, chain] of f.tables.get('filter') ?? []) chains.set(name, chain)
  return {engine, base, chains, files: files.map((f) => f.file)}
}
