/**
 * pmcd.conf as pmcd 6 reads it: the agents table, then an optional `[access]` section of
 * allow/disallow statements. The parser is pure and never throws: problems come back as
 * diagnostics with the line pmcd reports them on, worded as pmcd words them.
 */

export interface Diagnostic {
  /** The file, when not the pmcd.conf being parsed (pmcd.conf.access). */
  file?: string
  line: number
  /**
   * error: `pmcd -v` fails. warning: the statement (or one of its names) is ignored. unknown: what
   * pmcd does depends on what the live host resolves, which an offline image cannot tell.
   */
  severity: 'error' | 'warning' | 'unknown'
  message: string
}

export interface Agent {
  name: string
  domain: number
  ipc: string
  line: number
  text: string
}

export type StatementKind = 'hosts' | 'users' | 'groups'

export interface AccessName {
  text: string
  quoted: boolean
  line: number
}

export interface AccessStatement {
  allow: boolean
  kind: StatementKind
  names: AccessName[]
  /** The operations the statement speaks of, and which of them it denies. */
  ops: {fetch: boolean; store: boolean}
  deny: {fetch: boolean; store: boolean}
  /** `maximum N connections` (allow statements only). */
  maxConnections?: number
  /** First and last line of the statement (it may span lines). */
  line: number
  endLine: number
  /** The file, when not the pmcd.conf being parsed (pmcd.conf.access). */
  file?: string
}

export interface PmcdConf {
  agents: Agent[]
  /** The `[access]` header line, when there is one. */
  accessLine?: number
  statements: AccessStatement[]
  /** Syntax errors (at most one: pmcd stops at the first). */
  diagnostics: Diagnostic[]
  /** The line pmcd reports end-of-file problems on. */
  eofLine: number
}

type TokenKind = 'word' | 'string' | ',' | ':' | ';' | '[' | ']' | 'eof' | 'bad-quote'

interface Token {
  kind: TokenKind
  text: string
  line: number
}

const PUNCT = new Set([',', ':', ';', '[', ']'])

/**
 * The blanks of C's isspace() in pmcd's C locale: ASCII only. Any other character, a no-break space,
 * a BOM or U+2028 included, is part of a word, as pmcd reads it (`pmcd -v` then reports the name,
 * e.g. host 'localhost\u00a0', as unknown).
 */
const isCSpace = (c: string | undefined) =>
  c === ' ' || c === '\t' || c === '\n' || c === '\r' || c === '\f' || c === '\v'

/** pmcd's scanner: words, "quoted strings", the punctuation , : ; [ ], and # comments to end of line. */
function tokenize(text: string, from: number, firstLine: number): Token[] {
  const tokens: Token[] = []
  let line = firstLine
  let i = from
  while (i < text.length) {
    const c = text[i] as string
    if (c === '\\' && text[i + 1] === '\n') {
      // A continued line: pmcd joins it to the next and counts both as one line.
      i += 2
    } else if (c === '\n') {
      line++
      i++
    } else if (isCSpace(c)) {
      i++
    } else if (c === '#') {
      // To the end of the line, continued lines included: pmcd joins them before it reads the comment.
      while (i < text.length && text[i] !== '\n') i += text[i] === '\\' && text[i + 1] === '\n' ? 2 : 1
    } else if (PUNCT.has(c)) {
      tokens.push({kind: c as TokenKind, text: c, line})
      i++
    } else if (c === '"') {
      const start = line
      let j = i + 1
      while (j < text.length && text[j] !== '"' && text[j] !== '\n')
        j += text[j] === '\\' && text[j + 1] === '\n' ? 2 : 1
      const closed = j < text.length && text[j] === '"'
      const inside = text.slice(i + 1, j).replaceAll('\\\n', ' ')
      tokens.push({kind: closed ? 'string' : 'bad-quote', text: inside, line: start})
      i = closed ? j + 1 : j
    } else {
      // A word is at least one character: every character class moves the scanner on.
      let j = i + 1
      while (
        j < text.length &&
        !isCSpace(text[j]) &&
        !PUNCT.has(text[j] as string) &&
        text[j] !== '#' &&
        text[j] !== '"' &&
        !(text[j] === '\\' && text[j + 1] === '\n')
      )
        j++
      tokens.push({kind: 'word', text: text.slice(i, j), line})
      i = j
    }
  }
  tokens.push({kind: 'eof', text: '', line})
  return tokens
}

/** The largest PMDA domain number pmcd accepts (MAXDOMID). */
const MAX_DOMAIN = 510

/** The words of one agents-table line: whitespace separates, "quotes" group, # starts a comment. */
function agentWords(line: string): string[] {
  const words: string[] = []
  let i = 0
  while (i < line.length) {
    const c = line[i] as string
    if (isCSpace(c)) i++
    else if (c === '#') break
    else if (c === '"') {
      const end = line.indexOf('"', i + 1)
      words.push(line.slice(i + 1, end < 0 ? line.length : end))
      i = end < 0 ? line.length : end + 1
    } else {
      let j = i
      while (j < line.length && !isCSpace(line[j]) && line[j] !== '#') j++
      words.push(line.slice(i, j))
      i = j
    }
  }
  return words
}

/** Why pmcd rejects one agents-table line, or undefined when it accepts it. */
function agentProblem(words: string[], known: Agent[]): string | undefined {
  const [name = '', domainText = '', ipc = '', ...rest] = words
  if (!/^\d+$/.test(domainText)) return 'expected domain number'
  const domain = Number(domainText)
  if (domain > MAX_DOMAIN) return `Illegal domain number (${domain})`
  const twin = known.find((a) => a.domain === domain)
  if (twin) return `domain number ${domain} for "${name}" clashes with "${twin.name}" agent`
  switch (ipc.toLowerCase()) {
    case 'dso':
      if (rest.length < 1) return 'expected DSO entry point'
      if (rest.length < 2) return 'expected DSO pathname'
      if (!(rest[1] as string).startsWith('/')) return `path "${rest[1]}" to PMDA is not absolute`
      if (rest.length > 2) return 'too many parameters for DSO'
      return undefined
    case 'pipe': {
      if ((rest[0] ?? '').toLowerCase() !== 'binary') return 'pipe PDU type expected'
      const command = rest
        .slice(1)
        .filter(
          (w, i, all) =>
            !(w.toLowerCase() === 'notready' && all.slice(0, i).every((x) => x.toLowerCase() === 'notready')),
        )
      return command.length === 0 ? 'command expected for pipe' : undefined
    }
    case 'socket':
      if (!['inet', 'ipv6', 'unix'].includes((rest[0] ?? '').toLowerCase()))
        return 'socket type expected (inet, ipv6 or unix)'
      return rest.length < 2 ? 'port number or socket path expected' : undefined
    default:
      return "expected `dso', `socket' or `pipe'"
  }
}

/**
 * The agents table: one agent a line (a trailing backslash continues a line), until the first
 * token starting with `[`. As in pmcd, only the last agent line's verdict counts: an earlier bad
 * line is reported but does not stop `pmcd -v` (a quirk; such an agent is not started).
 */
function parseAgents(text: string): {
  agents: Agent[]
  end: number
  endLine: number
  diagnostics: Diagnostic[]
} {
  const agents: Agent[] = []
  const diagnostics: Diagnostic[] = []
  let lastFailed = false
  let offset = 0
  let line = 1
  while (offset < text.length) {
    // A logical line: physical lines joined at a trailing backslash; pmcd counts it as one line.
    let logical = ''
    let cursor = offset
    for (;;) {
      const newline = text.indexOf('\n', cursor)
      const physical = text.slice(cursor, newline < 0 ? text.length : newline)
      cursor = newline < 0 ? text.length : newline + 1
      if (physical.endsWith('\\') && newline >= 0) {
        logical += physical.slice(0, -1) + ' '
        continue
      }
      logical += physical
      break
    }
    const words = agentWords(logical)
    if (words[0]?.startsWith('[')) break
    if (words.length > 0) {
      const problem = agentProblem(words, agents)
      if (problem) diagnostics.push({line, severity: 'warning', message: problem})
      else
        agents.push({
          name: words[0] as string,
          domain: Number(words[1]),
          ipc: (words[2] as string).toLowerCase(),
          line,
          text: logical,
        })
      lastFailed = problem !== undefined
    }
    offset = cursor
    line++
  }
  const last = diagnostics.at(-1)
  if (lastFailed && last) last.severity = 'error'
  return {agents, end: offset, endLine: line, diagnostics}
}

const KIND_WORDS: Record<string, StatementKind> = {
  host: 'hosts',
  hosts: 'hosts',
  user: 'users',
  users: 'users',
  group: 'groups',
  groups: 'groups',
}

class SyntaxFailure extends Error {
  constructor(
    readonly line: number,
    message: string,
  ) {
    super(message)
  }
}

/**
 * Parse pmcd.conf.access: bare statements, as if they followed `[access]`, with their own line
 * numbers and file name.
 */
export function parseAccessStatements(
  text: string,
  file: string,
): {statements: AccessStatement[]; diagnostics: Diagnostic[]} {
  const conf = parsePmcdConf(`[access]\n${text}`)
  return {
    statements: conf.statements.map((s) => ({...s, line: s.line - 1, endLine: s.endLine - 1, file})),
    diagnostics: conf.diagnostics.map((d) => ({...d, line: d.line - 1, file})),
  }
}

/** Parse a whole pmcd.conf. */
export function parsePmcdConf(raw: string): PmcdConf {
  // pmcd reads lines with fgets and measures them with strlen (seen with pmcd -v): a line that
  // starts with a NUL byte reads as the end of the file; elsewhere a NUL ends the line's text and,
  // its newline unseen, the next line is read on to it.
  const text = raw.includes('\0') ? raw.replace(/(^|\n)\0[\s\S]*$/, '$1').replace(/\0[^\n]*\n?/g, '') : raw
  // Continued lines (a trailing backslash) count once, as pmcd counts them.
  const eofLine = text.split('\n').length - (text.match(/\\\n/g)?.length ?? 0)
  const conf: PmcdConf = {agents: [], statements: [], diagnostics: [], eofLine}
  const agents = parseAgents(text)
  conf.agents = agents.agents
  conf.diagnostics.push(...agents.diagnostics)
  // pmcd does not read [access] when the last agent line failed.
  if (agents.diagnostics.some((d) => d.severity === 'error')) return conf
  if (agents.end >= text.length) return conf
  const tokens = tokenize(text, agents.end, agents.endLine)
  let at = 0
  const next = () => tokens[at < tokens.length - 1 ? at++ : at] as Token
  const fail = (token: Token, message: string): never => {
    throw new SyntaxFailure(token.line, message)
  }
  try {
    const open = next()
    const keyword = next()
    if (keyword.kind !== 'word' || keyword.text.toLowerCase() !== 'access')
      fail(keyword, '"access" keyword expected')
    const close = next()
    if (close.kind === 'bad-quote') fail(close, 'unterminated quoted string')
    if (close.kind !== ']') fail(close, '"]" expected')
    conf.accessLine = open.line
    // Statements before a syntax error stay in conf.statements: pmcd has judged them by then.
    parseStatements(tokens, at, fail, (n) => (at = n), conf.statements)
  } catch (error) {
    if (!(error instanceof SyntaxFailure)) throw error
    conf.diagnostics.push({line: error.line, severity: 'error', message: error.message})
  }
  return conf
}

/** A number as pmcd's TokenNumVal reads it: decimal digits into a C int, which wraps past 2^31-1. */
function cInt(digits: string): number {
  let value = 0
  for (const c of digits) value = (Math.imul(value, 10) + Number(c)) | 0
  return value
}

function parseStatements(
  tokens: Token[],
  start: number,
  fail: (token: Token, message: string) => never,
  done: (at: number) => void,
  statements: AccessStatement[],
): void {
  let at = start
  const peek = () => tokens[at] as Token
  const next = () => tokens[at < tokens.length - 1 ? at++ : at] as Token
  // pmcd compares keywords whether or not they are quoted.
  const isWord = (t: Token, ...words: string[]) =>
    (t.kind === 'word' || t.kind === 'string') && words.includes(t.text.toLowerCase())
  const scanError = (t: Token) => {
    if (t.kind === 'bad-quote') fail(t, 'unterminated quoted string')
  }

  while (peek().kind !== 'eof') {
    // pmcd stops quietly at a scanner error between statements once one statement was read.
    if (peek().kind === 'bad-quote' && statements.length > 0) break
    const first = next()
    scanError(first)
    if (!isWord(first, 'allow', 'disallow')) fail(first, 'allow or disallow statement expected')
    const allow = first.text.toLowerCase() === 'allow'
    let kind: StatementKind = 'hosts'
    const kindWord = peek()
    if (isWord(kindWord, ...Object.keys(KIND_WORDS))) {
      kind = KIND_WORDS[kindWord.text.toLowerCase()] as StatementKind
      next()
    }
    const noun = kind === 'hosts' ? 'host' : kind === 'users' ? 'user' : 'group'

    // ParseNames in config.c: any token but a lone ':' or ';' is a name (even ',' '[' ']').
    const names: AccessName[] = []
    const nameToken = (t: Token) =>
      t.kind === 'word' || t.kind === 'string' || t.kind === ',' || t.kind === '[' || t.kind === ']'
    let another = true
    while (another && nameToken(peek())) {
      const name = next()
      names.push({text: name.text, quoted: name.kind === 'string', line: name.line})
      const sep = peek()
      scanError(sep)
      if (sep.kind !== ',' && sep.kind !== ':') fail(sep, `',' or ':' expected after "${name.text}"`)
      next()
      another = sep.kind === ','
    }
    scanError(peek())
    if (names.length === 0) fail(peek(), `no ${noun}s in allow/disallow statement`)
    if (another) fail(peek(), `${noun} expected after ','`)

    // ParseAccessSpec in config.c, "all except" by recursion with the sense of allow reversed.
    const state = {spec: {fetch: false, store: false}, deny: {fetch: false, store: false}, max: 0}
    const word = (t: Token) => (t.kind === 'word' || t.kind === 'string' ? t.text.toLowerCase() : '')
    const parseSpec = (sense: boolean, recursion: boolean): void => {
      let haveOps = false
      let haveAll = false
      let haveComma = false
      scanError(peek())
      if (peek().kind === ';') fail(peek(), 'empty or incomplete permissions list')
      while (peek().kind !== ';' && peek().kind !== 'eof') {
        const token = next()
        scanError(token)
        const w = word(token)
        let op: 'fetch' | 'store' | undefined
        if (w === 'fetch' || w === 'store') op = w
        else if (w === 'all') {
          if (haveOps) fail(token, 'can\'t have "all" mixed with specific permissions')
          haveAll = true
          if (recursion) fail(token, 'can\'t have "all" within an "all except"')
          state.deny = sense ? {fetch: false, store: false} : {fetch: true, store: true}
          scanError(peek())
          if (word(peek()) === 'except') {
            next()
            parseSpec(!sense, true)
          }
          state.spec = {fetch: true, store: true}
        } else if (w === 'maximum' || w === 'unlimited') {
          if (state.max) fail(token, 'connection limit already specified')
          if (recursion && !haveOps) fail(token, 'connection limit may not immediately follow "all except"')
          if (recursion === sense) fail(token, "can't specify connection limit in a disallow statement")
          // pmcd 6.0.3 never moves past "unlimited": it always fails on the word itself.
          if (w === 'unlimited') fail(token, '"connections" expected')
          const count = next()
          scanError(count)
          const value = word(count) !== '' && /^\d+$/.test(count.text) ? cInt(count.text) : 0
          if (value <= 0) fail(count, 'maximum connection limit must be a positive number')
          state.max = value
          const unit = next()
          scanError(unit)
          if (word(unit) !== 'connections') fail(unit, '"connections" expected')
        } else fail(token, 'bad access specifier')
        if (op) {
          if (haveAll) fail(token, 'can\'t have "all" mixed with specific permissions')
          haveOps = true
          state.spec[op] = true
          state.deny[op] = !sense
        }
        const sep = peek()
        scanError(sep)
        if (sep.kind !== ',' && sep.kind !== ';') fail(sep, "',' or ';' expected in permission list")
        haveComma = sep.kind === ','
        if (haveComma) next()
      }
      if (haveComma) fail(peek(), "misplaced (trailing) ',' in permission list")
    }
    parseSpec(allow, false)
    const end = next()
    // pmcd accepts a list cut short by the end of the file, then fails the section there.
    if (end.kind === 'eof') fail(end, 'unexpected end of file in the [access] section (";" expected)')
    statements.push({
      allow,
      kind,
      names,
      ops: {...state.spec},
      deny: {fetch: state.spec.fetch && state.deny.fetch, store: state.spec.store && state.deny.store},
      ...(state.max ? {maxConnections: state.max} : {}),
      line: first.line,
      endLine: end.line,
    })
  }
  done(at)
}
