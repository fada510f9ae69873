import type {FileProblem} from './iptables-save.js'
import type {Action, AddressMatch, Chain, PortMatch, Rule, RuleSet} from './firewall.js'
import {type Family, parseAddress, type Prefix, parsePrefix, rangeToPrefixes} from './ip.js'

/** Where nftables.service loads its rule set from (Debian). */
export const NFTABLES_CONF = '/etc/nftables.conf'

interface Token {
  text: string
  kind: 'word' | 'string' | 'punct' | 'end'
  file: string
  line: number
}

/**
 * nft's words: strings in double quotes, the punctuation `{ } ; , ( ) =` on their own, `#` to the
 * end of the line; a newline ends a statement (an `end` token) unless escaped with `\`.
 */
export function tokenize(text: string, file: string): {tokens: Token[]; problems: FileProblem[]} {
  const tokens: Token[] = []
  const problems: FileProblem[] = []
  let line = 1
  let i = 0
  while (i < text.length) {
    const c = text[i] as string
    if (c === '\n') {
      tokens.push({text: '\n', kind: 'end', file, line})
      line++
      i++
    } else if (c === '\\' && (text[i + 1] === '\n' || (text[i + 1] === '\r' && text[i + 2] === '\n'))) {
      i += text[i + 1] === '\r' ? 3 : 2
      line++
    } else if (c === ' ' || c === '\t' || c === '\r') i++
    else if (c === '#') {
      while (i < text.length && text[i] !== '\n') i++
    } else if (c === '"') {
      const end = text.indexOf('"', i + 1)
      const close = end < 0 ? text.length : end
      const body = text.slice(i + 1, close)
      if (end < 0 || body.includes('\n')) {
        problems.push({file, line, message: 'unterminated string', refused: 'file'})
        const nl = text.indexOf('\n', i)
        i = nl < 0 ? text.length : nl
        continue
      }
      tokens.push({text: body, kind: 'string', file, line})
      i = close + 1
    } else if ((c === '!' || c === '=') && text[i + 1] === '=') {
      tokens.push({text: text.slice(i, i + 2), kind: 'word', file, line})
      i += 2
    } else if ('{};,()='.includes(c)) {
      tokens.push({text: c, kind: c === ';' ? 'end' : 'punct', file, line})
      i++
    } else {
      let j = i
      while (j < text.length && !' \t\r\n{};,()="#'.includes(text[j] as string)) j++
      if (j === i) j++
      tokens.push({text: text.slice(i, j), kind: 'word', file, line})
      i = j
    }
  }
  return {tokens, problems}
}

/** The paths an nft file includes (`include "..."`), as written, with their lines. */
export function includesOf(text: string, file: string): Array<{path: string; line: number}> {
  const {tokens} = tokenize(text, file)
  const out: Array<{path: string; line: number}> = []
  tokens.forEach((t, index) => {
    const next = tokens[index + 1]
    if (t.kind === 'word' && t.text === 'include' && next?.kind === 'string')
      out.push({path: next.text, line: t.line})
  })
  return out
}

/** nft's named priorities for the filter type (nft(8), CHAINS). */
const PRIORITIES: Record<string, number> = {
  raw: -300,
  mangle: -150,
  dstnat: -100,
  filter: 0,
  security: 50,
  srcnat: 100,
}

const SERVICES: Record<string, number> = {
  ssh: 22,
  http: 80,
  https: 443,
  domain: 53,
  smtp: 25,
  ftp: 21,
  telnet: 23,
  pmcd: 44321,
  pmproxy: 44322,
}

interface NamedSet {
  name: string
  /** undefined: members known only at run time (dynamic, timeout, or no elements in the file). */
  elements?: Token[]
  place: {file: string; line: number}
}

interface Table {
  family: string
  name: string
  chains: Map<string, Chain & {hook?: string; type?: string}>
  sets: Map<string, NamedSet>
}

export interface NftRuleSet {
  files: string[]
  tables: Map<string, Table>
  problems: FileProblem[]
}

const MAX_INCLUDES = 256

const FAMILIES = new Set(['ip', 'ip6', 'inet', 'arp', 'bridge', 'netdev'])

/** The words a top-level nft statement may begin with (nft(8), parser_bison.y `base_cmd`). */
const NFT_COMMANDS = new Set([
  ...['add', 'replace', 'create', 'insert', 'delete', 'get', 'list', 'reset', 'flush', 'rename'],
  ...['import', 'export', 'monitor', 'describe', 'destroy', 'table', 'chain', 'set', 'map'],
  ...['element', 'rule', 'counter', 'quota', 'limit', 'flowtable', 'ct', 'secmark', 'synproxy'],
  ...['include', 'define', 'redefine', 'undefine'],
])

class Parser {
  private pos = 0
  readonly problems: FileProblem[] = []
  readonly tables = new Map<string, Table>()
  private readonly defines = new Map<string, Token[]>()
  private included = 0

  private tokens: Token[]

  constructor(tokens: Token[], includes: Map<string, Token[]>) {
    // An include is read in place, wherever it stands (nft's scanner does the same).
    const out: Token[] = []
    const queue = [...tokens]
    for (let t = queue.shift(); t; t = queue.shift()) {
      const next = queue[0]
      if (t.kind === 'word' && t.text === 'include' && next?.kind === 'string') {
        const body = includes.get(next.text)
        if (body && ++this.included <= MAX_INCLUDES) {
          queue.shift()
          queue.unshift(...body)
          continue
        }
      }
      out.push(t)
    }
    this.tokens = out
  }

  private peek(offset = 0): Token | undefined {
    return this.tokens[this.pos + offset]
  }

  private next(): Token | undefined {
    return this.tokens[this.pos++]
  }

  /** `sure`: nft refuses it (a syntax error), not merely a construct this reader does not follow. */
  private problem(t: Token | undefined, message: string, sure = true) {
    const last = this.tokens.at(-1)
    this.problems.push({
      file: t?.file ?? last?.file ?? '',
      line: t?.line ?? last?.line ?? 1,
      message,
      ...(sure ? {refused: 'file' as const} : {}),
    })
  }

  /** Skip to the end of the statement (or past a balanced `{...}` block when one opens first). */
  private skipStatement() {
    let depth = 0
    for (let t = this.next(); t; t = this.next()) {
      if (t.text === '{') depth++
      else if (t.text === '}') {
        if (depth === 0) {
          this.pos--
          return
        }
        depth--
        if (depth === 0 && this.peek()?.kind === 'end') return
      } else if (t.kind === 'end' && depth === 0) return
    }
  }

  private skipEnds() {
    while (this.peek()?.kind === 'end') this.pos++
  }

  /** The words of one statement up to its end (`{...}` kept together), with `$var`s replaced. */
  private statementTokens(): Token[] {
    const out: Token[] = []
    let depth = 0
    for (let t = this.peek(); t; t = this.peek()) {
      if (t.kind === 'end' && depth === 0) break
      if (t.text === '}' && depth === 0) break
      this.pos++
      if (t.kind === 'end') continue
      if (t.text === '{') depth++
      if (t.text === '}') depth--
      out.push(...this.expand(t))
    }
    return out
  }

  private expand(t: Token, depth = 0): Token[] {
    if (t.kind !== 'word' || !t.text.startsWith('$')) return [t]
    const value = this.defines.get(t.text.slice(1))
    if (!value || depth > 16) {
      this.problem(t, `${t.text} is not defined`)
      return [{...t, text: '$undefined'}]
    }
    return value.flatMap((v) => this.expand({...v, file: t.file, line: t.line}, depth + 1))
  }

  parse() {
    for (this.skipEnds(); this.peek(); this.skipEnds()) this.topLevel()
  }

  private topLevel() {
    const t = this.next() as Token
    if (t.kind !== 'word') {
      this.problem(t, `unexpected "${t.text}"`)
      if (t.text !== '}') this.skipStatement()
      return
    }
    switch (t.text) {
      case 'include': {
        // Those that could be read were put in place by the constructor.
        const path = this.next()
        this.problem(
          t,
          `include ${path?.text ?? ''}: not read${this.included > MAX_INCLUDES ? ' (too many includes: a loop?)' : ''}`,
          false,
        )
        this.skipStatement()
        return
      }
      case 'define':
      case 'redefine': {
        const name = this.next()
        if (name?.kind !== 'word' || this.next()?.text !== '=') {
          this.problem(t, 'define NAME = VALUE')
          this.skipStatement()
          return
        }
        this.defines.set(name.text, this.statementTokens())
        return
      }
      case 'undefine':
        this.defines.delete(this.next()?.text ?? '')
        this.skipStatement()
        return
      case 'flush':
        if (this.peek()?.text === 'ruleset') this.tables.clear()
        else if (this.peek()?.text === 'table') {
          this.pos++
          const key = this.tableKey()
          const table = key && this.tables.get(key)
          if (table) for (const chain of table.chains.values()) chain.rules = []
        }
        this.skipStatement()
        return
      case 'table':
        this.table()
        return
      case 'add':
      case 'create':
      case 'insert': {
        const what = this.next()
        if (what?.text === 'table') this.table()
        else if (what?.text === 'chain') this.chainCommand()
        else if (what?.text === 'rule') this.ruleCommand(t.text === 'insert')
        else {
          this.problem(t, `${t.text} ${what?.text ?? ''}: not a statement this reader follows`, false)
          this.skipStatement()
        }
        return
      }
      case 'delete':
      case 'destroy': {
        if (this.peek()?.text === 'table') {
          this.pos++
          const key = this.tableKey()
          if (key) this.tables.delete(key)
        }
        this.skipStatement()
        return
      }
      default:
        this.problem(t, `unexpected "${t.text}"`, !NFT_COMMANDS.has(t.text))
        this.skipStatement()
    }
  }

  private tableKey(): string | undefined {
    let family = 'ip'
    if (FAMILIES.has(this.peek()?.text ?? '') && this.peek(1)?.kind === 'word')
      family = this.next()?.text ?? 'ip'
    const name = this.next()
    if (!name || (name.kind !== 'word' && name.kind !== 'string')) return undefined
    return `${family} ${name.text}`
  }

  private ensureTable(key: string): Table {
    let table = this.tables.get(key)
    if (!table) {
      const [family = 'ip', name = ''] = key.split(' ')
      table = {family, name, chains: new Map(), sets: new Map()}
      this.tables.set(key, table)
    }
    return table
  }

  private table() {
    const start = this.peek()
    const key = this.tableKey()
    if (!key) {
      this.problem(start, 'table [family] NAME { ... }')
      this.skipStatement()
      return
    }
    const table = this.ensureTable(key)
    if (this.peek()?.text !== '{') return
    this.pos++
    for (this.skipEnds(); this.peek() && this.peek()?.text !== '}'; this.skipEnds()) {
      const t = this.next() as Token
      if (t.text === 'chain') this.chainBlock(table)
      else if (t.text === 'set') this.setBlock(table)
      else if (t.text === 'include') {
        this.pos--
        this.topLevel()
      } else {
        if (
          ![
            'map',
            'flags',
            'comment',
            'flowtable',
            'counter',
            'quota',
            'ct',
            'limit',
            'secmark',
            'synproxy',
            'flowtable',
          ].includes(t.text)
        )
          this.problem(t, `unexpected "${t.text}" in table ${table.name}`)
        this.skipStatement()
      }
    }
    if (this.next()?.text !== '}') this.problem(start, `table ${table.name}: no closing "}"`)
  }

  private setBlock(table: Table) {
    const name = this.next()
    const place = {file: name?.file ?? '', line: name?.line ?? 1}
    if (!name || this.peek()?.text !== '{') {
      this.problem(name, 'set NAME { ... }')
      this.skipStatement()
      return
    }
    this.pos++
    let dynamic = false
    let elements: Token[] | undefined
    for (this.skipEnds(); this.peek() && this.peek()?.text !== '}'; this.skipEnds()) {
      const words = this.statementTokens()
      const head = words[0]?.text
      if (head === 'flags' && words.some((w) => w.text === 'dynamic' || w.text === 'timeout')) dynamic = true
      if (head === 'timeout') dynamic = true
      if (head === 'elements') elements = words.slice(2)
      if (this.peek()?.kind === 'end') this.pos++
    }
    this.pos++
    table.sets.set(name.text, {name: name.text, ...(dynamic || !elements ? {} : {elements}), place})
  }

  private chainCommand() {
    const key = this.tableKey()
    const name = this.next()
    if (!key || !name) {
      this.problem(name, 'add chain [family] TABLE CHAIN')
      this.skipStatement()
      return
    }
    const table = this.ensureTable(key)
    this.pos--
    if (this.peek(1)?.text === '{') this.chainBlock(table)
    else {
      this.pos++
      this.chainOf(table, name)
      this.skipStatement()
    }
  }

  private ruleCommand(insert: boolean) {
    const key = this.tableKey()
    const name = this.next()
    const table = key ? this.tables.get(key) : undefined
    const chain = table?.chains.get(name?.text ?? '')
    if (!table || !chain || !name) {
      this.problem(name, `rule for a chain that does not exist`)
      this.skipStatement()
      return
    }
    const words = this.statementTokens()
    const rule = this.rule(words, table)
    if (rule) {
      if (insert) chain.rules.unshift(rule)
      else chain.rules.push(rule)
    }
  }

  private chainOf(table: Table, name: Token) {
    let chain = table.chains.get(name.text)
    if (!chain) {
      chain = {
        name: `${table.family} ${table.name} ${name.text}`,
        rules: [],
        place: {file: name.file, line: name.line},
        ...(table.family === 'ip'
          ? {family: 4 as const}
          : table.family === 'ip6'
            ? {family: 6 as const}
            : {}),
      }
      table.chains.set(name.text, chain)
    }
    return chain
  }

  private chainBlock(table: Table) {
    const name = this.next()
    if (!name || this.next()?.text !== '{') {
      this.problem(name, 'chain NAME { ... }')
      this.skipStatement()
      return
    }
    const chain = this.chainOf(table, name)
    for (this.skipEnds(); this.peek() && this.peek()?.text !== '}'; this.skipEnds()) {
      const words = this.statementTokens()
      const head = words[0]
      if (!head) continue
      // nft 1.0.6 wants a newline or ";" after each statement, the last one before "}" included.
      if (this.peek()?.text === '}') this.problem(head, 'a newline or ";" must end this line before "}"')
      if (head.text === 'type') this.hook(chain, words)
      else if (head.text === 'policy') {
        const p = words[1]?.text
        if (p !== 'accept' && p !== 'drop') this.problem(head, 'policy accept or policy drop')
        else chain.policy = p
      } else if (head.text === 'comment' || head.text === 'devices' || head.text === 'flags') continue
      else {
        const rule = this.rule(words, table)
        if (rule) chain.rules.push(rule)
      }
    }
    if (this.next()?.text !== '}') this.problem(name, `chain ${name.text}: no closing "}"`)
  }

  private hook(chain: Chain & {hook?: string; type?: string}, words: Token[]) {
    // type filter hook input [device X] priority N
    const type = words[1]?.text
    const hookAt = words.findIndex((w) => w.text === 'hook')
    const prioAt = words.findIndex((w) => w.text === 'priority')
    const hook = words[hookAt + 1]?.text
    if (hookAt < 0 || prioAt < 0 || !type || !hook) {
      this.problem(words[0], 'a base chain is "type T hook H priority P;"')
      return
    }
    const expr = words.slice(prioAt + 1)
    let priority = Number.NaN
    const first = expr[0]?.text ?? ''
    priority =
      first in PRIORITIES ? (PRIORITIES[first] as number) : /^-?\d+$/.test(first) ? Number(first) : Number.NaN
    if (
      expr.length === 3 &&
      /^\d+$/.test(expr[2]?.text ?? '') &&
      (expr[1]?.text === '+' || expr[1]?.text === '-')
    )
      priority += (expr[1]?.text === '-' ? -1 : 1) * Number(expr[2]?.text)
    else if (expr.length === 2 && /^[+-]\d+$/.test(expr[1]?.text ?? '')) priority += Number(expr[1]?.text)
    else if (expr.length !== 1) priority = Number.NaN
    if (Number.isNaN(priority)) {
      this.problem(words[prioAt], `priority ${expr.map((w) => w.text).join(' ')}: not a priority`, false)
      return
    }
    chain.type = type
    chain.hook = hook
    chain.priority = priority
  }

  private rule(words: Token[], table: Table): Rule | undefined {
    const first = words[0] as Token
    const last = words.at(-1) as Token
    const rule: Rule = {
      file: first.file,
      line: first.line,
      text: words
        .map((w) => (w.kind === 'string' ? `"${w.text}"` : w.text))
        .join(' ')
        .replace(/ ,/g, ',')
        .replace(/{ /g, '{ '),
      action: {kind: 'continue'},
    }
    if (table.family === 'ip') rule.family = 4
    if (table.family === 'ip6') rule.family = 6
    const undecided: string[] = []
    let i = 0
    // A rule this reader cannot follow may still be one nft takes (a host name, a match it knows).
    const fail = (t: Token | undefined, message: string) => {
      this.problem(t ?? last, message, false)
      return undefined
    }
    // An operand: one value, or a `{ a, b }` set, or `@name`.
    const operand = (): {negate: boolean; values: Token[]; named?: string} | undefined => {
      let negate = false
      let op = words[i]?.text
      if (op === '!=' || op === '==' || op === 'eq' || op === 'ne') {
        negate = op === '!=' || op === 'ne'
        i++
      } else if (op === '!') {
        negate = true
        i++
      }
      op = words[i]?.text
      if (op === '{') {
        const values: Token[] = []
        i++
        while (i < words.length && words[i]?.text !== '}') {
          const w = words[i] as Token
          if (w.text !== ',') values.push(w)
          i++
        }
        if (words[i]?.text !== '}') return undefined
        i++
        return {negate, values}
      }
      const w = words[i]
      if (!w) return undefined
      i++
      if (w.text.startsWith('@')) return {negate, values: [], named: w.text.slice(1)}
      // `a,b` without braces is a list for flags and ct state.
      const values = [w]
      while (words[i]?.text === ',' && words[i + 1]) {
        values.push(words[i + 1] as Token)
        i += 2
      }
      return {negate, values}
    }
    const namedValues = (name: string): Token[] | 'runtime' | undefined => {
      const set = table.sets.get(name)
      if (!set) return undefined
      return set.elements?.filter((e) => e.text !== ',' && e.text !== '{' && e.text !== '}') ?? 'runtime'
    }
    const addressMatch = (family: Family): AddressMatch | undefined => {
      const o = operand()
      if (!o) return undefined
      let values = o.values
      if (o.named !== undefined) {
        const named = namedValues(o.named)
        if (named === undefined) return undefined
        if (named === 'runtime')
          return {
            negate: o.negate,
            undecided: `it matches the set @${o.named}, whose members are filled at run time`,
          }
        values = named
      }
      const prefixes: Prefix[] = []
      for (const v of values) {
        const range = /^([^-]+)-([^-]+)$/.exec(v.text)
        if (range) {
          const a = parseAddress(range[1] as string)
          const b = parseAddress(range[2] as string)
          if (!a || !b || a.family !== family || b.family !== family || a.value > b.value) return undefined
          prefixes.push(...rangeToPrefixes(family, a.value, b.value))
          continue
        }
        const p = parsePrefix(v.text)
        if (!p || p.family !== family) return undefined
        prefixes.push(p)
      }
      return {negate: o.negate, prefixes}
    }
    const portMatch = (): PortMatch | 'runtime' | undefined => {
      const o = operand()
      if (!o) return undefined
      let values = o.values
      if (o.named !== undefined) {
        const named = namedValues(o.named)
        if (named === undefined) return undefined
        if (named === 'runtime') return 'runtime'
        values = named
      }
      const ranges: PortMatch['ranges'] = []
      for (const v of values) {
        const m = /^(\w+)(?:-(\w+))?$/.exec(v.text)
        const num = (s: string | undefined) =>
          s === undefined ? undefined : /^\d+$/.test(s) ? Number(s) : SERVICES[s]
        const from = num(m?.[1])
        const to = m?.[2] === undefined ? from : num(m[2])
        if (from === undefined || to === undefined || from > 65535 || to > 65535 || from > to)
          return undefined
        ranges.push([from, to])
      }
      return {negate: o.negate, ranges}
    }
    while (i < words.length) {
      const w = words[i] as Token
      const t = w.text
      const n = words[i + 1]?.text
      if (
        (t === 'ip' || t === 'ip6') &&
        (n === 'saddr' || n === 'daddr' || n === 'protocol' || n === 'nexthdr' || n === 'version')
      ) {
        const family: Family = t === 'ip' ? 4 : 6
        if (rule.family !== undefined && rule.family !== family) rule.never = true
        rule.family = family
        i += 2
        if (n === 'saddr') {
          const m = addressMatch(family)
          if (!m) return fail(w, `${t} saddr: not an IPv${family} address, network, set or defined set`)
          rule.saddr = m
        } else if (n === 'daddr') {
          if (!operand()) return fail(w, `${t} daddr needs a value`)
          undecided.push(
            `it matches the destination address, and this host's addresses are not known offline`,
          )
        } else if (n === 'protocol' || n === 'nexthdr') {
          const o = operand()
          if (!o) return fail(w, `${t} ${n} needs a value`)
          rule.protocol = {negate: o.negate, names: o.values.map((v) => (v.text === '6' ? 'tcp' : v.text))}
        } else {
          if (!operand()) return fail(w, `${t} version needs a value`)
        }
        continue
      }
      if ((t === 'tcp' || t === 'th' || t === 'udp' || t === 'sctp') && (n === 'dport' || n === 'sport')) {
        if (t !== 'th') {
          if (rule.protocol && !rule.protocol.negate && !rule.protocol.names.includes(t)) rule.never = true
          rule.protocol = {negate: false, names: [t]}
        }
        i += 2
        const m = portMatch()
        if (!m) return fail(w, `${t} ${n}: not a port, range, set or defined set`)
        if (n === 'sport') undecided.push('it matches the source port, which the client chooses')
        else if (m === 'runtime') undecided.push('it matches a set of ports filled at run time')
        else rule.dport = m
        continue
      }
      if (t === 'tcp' && n === 'flags') {
        i += 2
        while (
          i < words.length &&
          !isVerdictWord(words[i]?.text ?? '') &&
          !isStatementHead(words[i]?.text ?? '')
        )
          i++
        undecided.push('it matches TCP flags, which this reader does not judge')
        continue
      }
      if (t === 'meta' && (n === 'l4proto' || n === 'nfproto' || n === 'iifname' || n === 'iif')) {
        i += 1
        continue
      }
      if (t === 'l4proto') {
        i++
        const o = operand()
        if (!o) return fail(w, 'meta l4proto needs a value')
        rule.protocol = {negate: o.negate, names: o.values.map((v) => (v.text === '6' ? 'tcp' : v.text))}
        continue
      }
      if (t === 'nfproto') {
        i++
        const o = operand()
        if (!o) return fail(w, 'meta nfproto needs a value')
        const fams = o.values.map((v) => v.text)
        const v4 = fams.includes('ipv4') !== o.negate
        const v6 = fams.includes('ipv6') !== o.negate
        if (v4 && !v6) rule.family = 4
        else if (v6 && !v4) rule.family = 6
        else if (!v4 && !v6) rule.never = true
        continue
      }
      if (t === 'iifname' || t === 'iif') {
        i++
        const o = operand()
        if (!o || o.named !== undefined) return fail(w, `${t} needs an interface name or set`)
        rule.iif = {negate: o.negate, names: o.values.map((v) => v.text)}
        continue
      }
      if (t === 'oifname' || t === 'oif') {
        i++
        if (!operand()) return fail(w, `${t} needs a value`)
        rule.never = true
        continue
      }
      if (t === 'ct' && n === 'state') {
        i += 2
        const o = operand()
        if (!o) return fail(w, 'ct state needs states')
        rule.ctstate = {negate: o.negate, states: o.values.map((v) => v.text)}
        continue
      }
      if ((t === 'icmp' || t === 'icmpv6') && n === 'type') {
        i += 2
        if (!operand()) return fail(w, `${t} type needs a value`)
        rule.never = true
        continue
      }
      if (t === 'counter') {
        i++
        if (words[i]?.text === 'packets') i += 4
        continue
      }
      if (t === 'comment') {
        i += 2
        continue
      }
      if (t === 'log') {
        i++
        while (
          ['prefix', 'level', 'flags', 'group', 'snaplen', 'queue-threshold'].includes(words[i]?.text ?? '')
        )
          i += 2
        continue
      }
      if (
        t === 'limit' ||
        t === 'meter' ||
        t === 'ct' ||
        t === 'meta' ||
        t === 'fib' ||
        t === 'update' ||
        t === 'add' ||
        t === 'set' ||
        t === 'quota' ||
        t === 'mark'
      ) {
        // A match on the traffic at run time: skip to what looks like the next statement.
        i++
        while (
          i < words.length &&
          !isVerdictWord(words[i]?.text ?? '') &&
          !isStatementHead(words[i]?.text ?? '')
        )
          i++
        undecided.push(`it uses "${t}", which depends on the traffic at run time`)
        continue
      }
      if (isVerdictWord(t)) {
        rule.action = verdict(t, words[i + 1]?.text, table)
        i += t === 'jump' || t === 'goto' ? 2 : 1
        if (t === 'reject' && words[i]?.text === 'with') i += 3
        // Only a comment may follow the verdict.
        if (words[i]?.text === 'comment' && words[i + 1]?.kind === 'string') i += 2
        if (i < words.length) return fail(words[i], `"${words[i]?.text ?? ''}" after the verdict "${t}"`)
        break
      }
      return fail(w, `"${t}": not a match or statement this reader follows`)
    }
    if (undecided.length > 0) rule.undecided = undecided[0]
    return rule
  }
}

function isVerdictWord(t: string): boolean {
  return ['accept', 'drop', 'reject', 'return', 'jump', 'goto', 'continue', 'queue'].includes(t)
}

function isStatementHead(t: string): boolean {
  return ['counter', 'log', 'comment', 'ip', 'ip6', 'tcp', 'udp', 'th', 'iif', 'iifname', 'ct'].includes(t)
}

function verdict(word: string, target: string | undefined, table: Table): Action {
  switch (word) {
    case 'accept':
      return {kind: 'accept'}
    case 'drop':
      return {kind: 'drop'}
    case 'reject':
      return {kind: 'reject'}
    case 'return':
      return {kind: 'return'}
    case 'jump':
    case 'goto':
      return {kind: word, target: `${table.family} ${table.name} ${target ?? ''}`}
    default:
      return {kind: 'continue'}
  }
}

/** Parse nftables files: the main one's tokens, with each include's tokens by the path written. */
export function parseNftables(
  text: string,
  file: string,
  includes: ReadonlyMap<string, {file: string; text: string}[]> = new Map(),
): NftRuleSet {
  const main = tokenize(text, file)
  const problems = [...main.problems]
  const tokenMap = new Map<string, Token[]>()
  const files = [file]
  for (const [path, parts] of includes) {
    const tokens: Token[] = []
    for (const part of parts) {
      const t = tokenize(part.text, part.file)
      problems.push(...t.problems)
      tokens.push(...t.tokens, {text: '\n', kind: 'end', file: part.file, line: 1})
      files.push(part.file)
    }
    tokenMap.set(path, tokens)
  }
  const parser = new Parser(main.tokens, tokenMap)
  parser.parse()
  return {files, tables: parser.tables, problems: [...problems, ...parser.problems]}
}

/**
 * The input path as a rule set: every filter chain on the prerouting hook, then every one on the
 * input hook, each in priority order (ip, ip6 and inet tables alike: all must accept).
 */
export function nftRuleSet(parsed: NftRuleSet): RuleSet {
  const chains = new Map<string, Chain>()
  const hooked: Array<Chain & {hook?: string; type?: string}> = []
  for (const table of parsed.tables.values()) {
    if (!['ip', 'ip6', 'inet'].includes(table.family)) continue
    for (const chain of table.chains.values()) {
      chains.set(chain.name, chain)
      if (chain.type === 'filter' && (chain.hook === 'input' || chain.hook === 'prerouting'))
        hooked.push(chain)
    }
  }
  const order = (c: Chain & {hook?: string}) => (c.hook === 'prerouting' ? 0 : 1)
  hooked.sort((a, b) => order(a) - order(b) || (a.priority ?? 0) - (b.priority ?? 0))
  return {engine: 'nftables', base: hooked, chains, files: parsed.files}
}
