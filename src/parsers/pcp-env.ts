import type {Host} from '../host/host.js'

/** Read by pam_env for every session. */
export const ETC_ENVIRONMENT = '/etc/environment'
/** Read by login shells (sh, bash), which source /etc/profile.d/*.sh from it. */
export const ETC_PROFILE = '/etc/profile'
export const PROFILE_D = '/etc/profile.d'
/** A user's shell start-up files, in the order they are taken to run (later assignments win). */
export const USER_SHELL_FILES = ['.profile', '.bash_login', '.bash_profile', '.bashrc']

/** A piece of a value: literal text, a variable to expand, or something the tool does not evaluate. */
export type WordPart =
  | {kind: 'text'; text: string; quoted: boolean}
  | {kind: 'variable'; name: string}
  | {kind: 'unknown'; text: string}

export interface EnvStatement {
  /** assign: NAME=value; export: `export NAME` (no value); unset: `unset NAME` or a bare pam_env NAME. */
  kind: 'assign' | 'export' | 'unset'
  name: string
  value?: WordPart[]
  /** Passed on to the programs the shell starts: `export NAME=...`, `declare -x`, every pam_env line. */
  exported: boolean
  line: number
  /** Inside an if, case, loop or function body: it runs only sometimes. */
  conditional: boolean
}

export interface EnvFile {
  path: string
  statements: EnvStatement[]
  problems: {line: number; message: string}[]
}

const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/

/**
 * /etc/environment as pam_env reads it (_assemble_line and _parse_env_file in pam_env.c): a `#`
 * anywhere ends the line, a trailing backslash joins the next line, a leading `export ` is
 * skipped, the key must be alphanumeric, a value starting with a quote loses it and any quote that
 * ends it, nothing is expanded and trailing blanks stay in the value; a bare NAME unsets.
 */
export function parseEnvironmentFile(text: string, path = ETC_ENVIRONMENT): EnvFile {
  const file: EnvFile = {path, statements: [], problems: []}
  const physical = text.split('\n')
  let buffer = ''
  let start = 0
  for (let index = 0; index < physical.length; index++) {
    const raw = physical[index] as string
    const content = raw.replace(/^[ \t]+/, '')
    if (content === '' || content.startsWith('#')) continue
    if (buffer === '') start = index + 1
    // A continued line keeps its leading blanks; only the first line's are skipped.
    const piece = buffer === '' ? content : raw
    const hash = piece.indexOf('#')
    if (hash >= 0) {
      buffer += piece.slice(0, hash)
    } else {
      let end = piece.length
      while (end > 0 && (piece[end - 1] === ' ' || piece[end - 1] === '\t')) end--
      const trimmed = piece.slice(0, end)
      if (trimmed.endsWith('\\')) {
        buffer += trimmed.slice(0, -1) + ' '
        continue
      }
      buffer += piece
    }
    parsePamEnvLine(buffer, start, file)
    buffer = ''
  }
  if (buffer !== '')
    file.problems.push({line: start, message: 'the file ends in a continued line: pam_env drops it'})
  return file
}

function parsePamEnvLine(logical: string, line: number, file: EnvFile): void {
  let entry = logical.replace(/^[ \t]+/, '')
  if (entry.startsWith('export ')) entry = entry.slice(7)
  const equals = entry.indexOf('=')
  const name = equals < 0 ? entry : entry.slice(0, equals)
  if (equals === 0)
    return void file.problems.push({line, message: 'no name before "=": pam_env ignores the line'})
  if (!/^[A-Za-z0-9_]+$/.test(name))
    return void file.problems.push({
      line,
      message: `"${name}" is not an alphanumeric name: pam_env ignores the line`,
    })
  if (equals < 0) {
    file.statements.push({kind: 'unset', name, exported: true, line, conditional: false})
    return
  }
  let value = entry.slice(equals + 1)
  if (value.startsWith('"') || value.startsWith("'")) {
    value = value.slice(1)
    let kept = ''
    for (let i = 0; i < value.length; i++) {
      const c = value[i] as string
      if ((c !== '"' && c !== "'") || i + 1 < value.length) kept += c
    }
    value = kept
  }
  file.statements.push({
    kind: 'assign',
    name,
    value: [{kind: 'text', text: value, quoted: true}],
    exported: true,
    line,
    conditional: false,
  })
}

interface Word {
  parts: WordPart[]
  line: number
  /** A quote in it is never closed: the shell reports a syntax error and runs nothing of it. */
  unclosed?: boolean
}

type Token = {kind: 'word'; word: Word} | {kind: 'separator'; line: number}

const SEPARATORS = ';&|()'

/** The words and command separators of a shell script, with here-documents skipped. */
function tokenize(text: string, problems: EnvFile['problems']): Token[] {
  const tokens: Token[] = []
  let line = 1
  let i = 0
  let parts: WordPart[] = []
  let wordLine = 1
  let started = false
  let skipNextWord = false
  const heredocs: string[] = []
  let expectHeredoc = false
  let unclosed = false

  const addText = (text: string, quoted: boolean) => {
    const last = parts[parts.length - 1]
    if (last?.kind === 'text' && last.quoted === quoted) last.text += text
    else parts.push({kind: 'text', text, quoted})
  }
  const begin = () => {
    if (!started) {
      started = true
      wordLine = line
    }
  }
  const endWord = () => {
    if (!started) return
    const word: Word = {parts, line: wordLine, ...(unclosed ? {unclosed} : {})}
    unclosed = false
    if (expectHeredoc) {
      heredocs.push(word.parts.map((p) => (p.kind === 'text' ? p.text : '')).join(''))
      expectHeredoc = false
    } else if (skipNextWord) skipNextWord = false
    else tokens.push({kind: 'word', word})
    parts = []
    started = false
  }
  /** `$...` at text[i] (which is `$`): the part it makes and where it ends. */
  const dollar = (): WordPart => {
    const next = text[i + 1]
    if (next === '{') {
      const close = text.indexOf('}', i + 2)
      const inner = text.slice(i + 2, close < 0 ? text.length : close)
      i = close < 0 ? text.length : close + 1
      return NAME.test(inner) ? {kind: 'variable', name: inner} : {kind: 'unknown', text: `\${${inner}}`}
    }
    if (next === '(') {
      let depth = 0
      let j = i + 1
      for (; j < text.length; j++) {
        if (text[j] === '(') depth++
        else if (text[j] === ')' && --depth === 0) break
        else if (text[j] === '\n') line++
      }
      const body = text.slice(i, j + 1)
      i = j + 1
      return {kind: 'unknown', text: body}
    }
    const name = /^[A-Za-z_][A-Za-z0-9_]*/.exec(text.slice(i + 1))
    if (name) {
      i += 1 + name[0].length
      return {kind: 'variable', name: name[0]}
    }
    if (next !== undefined && /[0-9@*#?$!-]/.test(next)) {
      i += 2
      return {kind: 'unknown', text: `$${next}`}
    }
    i += 1
    return {kind: 'text', text: '$', quoted: false}
  }
  const backquote = (): WordPart => {
    let j = i + 1
    while (j < text.length && text[j] !== '`') {
      if (text[j] === '\\') j++
      else if (text[j] === '\n') line++
      j++
    }
    const body = text.slice(i, j + 1)
    i = j + 1
    return {kind: 'unknown', text: body}
  }
  const skipHeredocs = () => {
    while (heredocs.length > 0 && i < text.length) {
      const delimiter = heredocs.shift() as string
      while (i < text.length) {
        const end = text.indexOf('\n', i)
        const body = text.slice(i, end < 0 ? text.length : end)
        i = end < 0 ? text.length : end + 1
        line++
        if (body.replace(/^\t+/, '') === delimiter) break
      }
    }
  }

  while (i < text.length) {
    const c = text[i] as string
    if (c === '\\' && text[i + 1] === '\n') {
      i += 2
      line++
    } else if (c === '\n') {
      endWord()
      tokens.push({kind: 'separator', line})
      i++
      line++
      skipHeredocs()
    } else if (c === ' ' || c === '\t' || c === '\r') {
      endWord()
      i++
    } else if (c === '#' && !started) {
      while (i < text.length && text[i] !== '\n') i++
    } else if (SEPARATORS.includes(c)) {
      endWord()
      tokens.push({kind: 'separator', line})
      i++
    } else if (c === '<' || c === '>') {
      endWord()
      if (text.startsWith('<<', i)) {
        i += text[i + 2] === '-' ? 3 : 2
        expectHeredoc = true
      } else {
        while (text[i] === '<' || text[i] === '>' || text[i] === '&') i++
        if (/\d/.test(text[i] ?? '')) i++
        else skipNextWord = true
      }
    } else if (c === "'") {
      begin()
      const close = text.indexOf("'", i + 1)
      if (close < 0) {
        problems.push({line, message: 'a single quote is not closed: the shell runs nothing from here'})
        unclosed = true
      }
      const body = text.slice(i + 1, close < 0 ? text.length : close)
      line += body.split('\n').length - 1
      addText(body, true)
      i = close < 0 ? text.length : close + 1
    } else if (c === '"') {
      begin()
      i++
      let closed = false
      while (i < text.length) {
        const d = text[i] as string
        if (d === '"') {
          closed = true
          i++
          break
        }
        if (d === '\\' && '$`"\\\n'.includes(text[i + 1] ?? '')) {
          if (text[i + 1] === '\n') line++
          else addText(text[i + 1] as string, true)
          i += 2
        } else if (d === '$') {
          const part = dollar()
          if (part.kind === 'text') addText(part.text, true)
          else parts.push(part)
        } else if (d === '`') {
          parts.push(backquote())
        } else {
          if (d === '\n') line++
          addText(d, true)
          i++
        }
      }
      if (!closed) {
        problems.push({line, message: 'a double quote is not closed: the shell runs nothing from here'})
        unclosed = true
      }
      if (!parts.length) addText('', true)
    } else if (c === '$') {
      begin()
      const part = dollar()
      if (part.kind === 'text') addText(part.text, false)
      else parts.push(part)
    } else if (c === '`') {
      begin()
      parts.push(backquote())
    } else if (c === '\\') {
      begin()
      addText(text[i + 1] ?? '', true)
      i += 2
    } else {
      begin()
      addText(c, false)
      i++
    }
  }
  endWord()
  return tokens
}

/** A word's text when it is plain unquoted text (a command name, a variable name, an option). */
function plain(word: Word): string | undefined {
  if (word.parts.length !== 1) return undefined
  const part = word.parts[0] as WordPart
  return part.kind === 'text' && !part.quoted ? part.text : undefined
}

/** NAME=value: the name and the value's parts, with a leading `~/` read as $HOME/ (tilde expansion). */
function assignment(word: Word): {name: string; value: WordPart[]} | undefined {
  const first = word.parts[0]
  if (first?.kind !== 'text' || first.quoted) return undefined
  const equals = first.text.indexOf('=')
  if (equals < 1 || !NAME.test(first.text.slice(0, equals))) return undefined
  const rest = first.text.slice(equals + 1)
  const value: WordPart[] = [...(rest === '' ? [] : [{...first, text: rest}]), ...word.parts.slice(1)]
  const head = value[0]
  if (head?.kind === 'text' && !head.quoted && (head.text === '~' || head.text.startsWith('~/'))) {
    const tail = head.text.slice(1)
    value.splice(0, 1, {kind: 'variable', name: 'HOME'}, ...(tail ? [{...head, text: tail}] : []))
  }
  return {name: first.text.slice(0, equals), value}
}

const OPENERS = new Set(['if', 'while', 'until'])
const WHOLE_OPENERS = new Set(['for', 'case', 'select'])
const CONNECTORS = new Set(['then', 'do', 'else', 'elif', '!'])
const CLOSERS = new Set(['fi', 'done', 'esac', '}'])

/**
 * The variable statements of a shell start-up file (/etc/profile, /etc/profile.d/*.sh, ~/.profile):
 * `NAME=value`, `export NAME[=value]`, `declare|typeset|readonly [-x] NAME[=value]`, `unset NAME`.
 * Quotes, escapes, `$NAME`/`${NAME}` and `~/` are understood; command substitutions and other
 * expansions are kept as unknown. Assignments before a command (`NAME=value cmd`) only reach that
 * command and are not statements. A shell script is not parsed here in full: statements inside if,
 * case, loops and functions are kept, marked conditional.
 */
export function parseShellProfile(text: string, path: string): EnvFile {
  const file: EnvFile = {path, statements: [], problems: []}
  const tokens = tokenize(text, file.problems)
  let depth = 0
  let command: Word[] = []
  const run = () => {
    let words = command
    command = []
    while (words.length > 0) {
      const head = plain(words[0] as Word) ?? ''
      if (OPENERS.has(head)) depth++
      else if (WHOLE_OPENERS.has(head)) {
        depth++
        return
      } else if (head === '{') depth++
      else if (CLOSERS.has(head)) depth = Math.max(0, depth - 1)
      else if (!CONNECTORS.has(head)) break
      words = words.slice(1)
    }
    statementsOf(words, depth > 0, file)
  }
  for (const token of tokens) {
    if (token.kind === 'separator') run()
    else command.push(token.word)
  }
  run()
  return file
}

function statementsOf(command: Word[], conditional: boolean, file: EnvFile): void {
  if (command.some((w) => w.unclosed)) return
  const add = (statement: Omit<EnvStatement, 'conditional'>) =>
    file.statements.push({...statement, conditional})
  const leading = command.map(assignment)
  const count = leading.findIndex((a) => a === undefined)
  if (count < 0) {
    for (const [index, a] of leading.entries())
      if (a)
        add({
          kind: 'assign',
          name: a.name,
          value: a.value,
          exported: false,
          line: (command[index] as Word).line,
        })
    return
  }
  // Assignments before a command reach only that command (bash keeps them from builtins too).
  const words = command.slice(count)
  const first = words[0] as Word
  const verb = plain(first)
  const args = words.slice(1)
  const flags = args.map(plain).filter((a): a is string => a?.startsWith('-') === true)
  const operands = args.filter((a) => !plain(a)?.startsWith('-'))
  if (verb === 'export' || verb === 'declare' || verb === 'typeset' || verb === 'readonly') {
    if (flags.some((f) => f.includes('n') || f.includes('f') || f.includes('p'))) return
    const exported = verb === 'export' || flags.some((f) => f.includes('x'))
    for (const word of operands) {
      const a = assignment(word)
      const name = plain(word)
      if (a) add({kind: 'assign', name: a.name, value: a.value, exported, line: word.line})
      else if (name !== undefined && NAME.test(name) && exported)
        add({kind: 'export', name, exported: true, line: word.line})
    }
  } else if (verb === 'unset') {
    if (flags.some((f) => f.includes('f'))) return
    for (const word of operands) {
      const name = plain(word)
      if (name !== undefined && NAME.test(name)) add({kind: 'unset', name, exported: false, line: word.line})
    }
  }
}

/** A variable as a login session ends up with it. */
export interface EnvVariable {
  name: string
  /** Undefined when declared exported (`export NAME`) but never given a value. */
  value?: string
  /** Whether programs started from the session (pminfo, pmrep...) see it. */
  exported: boolean
  /** Where it was last set (or exported). */
  path: string
  line: number
  conditional: boolean
  /** The value depends on something not known here: a command, or a variable set nowhere we read. */
  uncertain: boolean
}

/**
 * Run the statements of the files in order over a starting environment (HOME, USER...): what a
 * login session of that user sees. Unknown variables expand to nothing, as in the shell, and make
 * the value uncertain.
 */
export function evaluateEnvironment(
  files: readonly EnvFile[],
  initial: ReadonlyMap<string, EnvVariable>,
): Map<string, EnvVariable> {
  const env = new Map(initial)
  for (const file of files) {
    for (const statement of file.statements) {
      const previous = env.get(statement.name)
      const origin = {path: file.path, line: statement.line, conditional: statement.conditional}
      if (statement.kind === 'unset') {
        env.delete(statement.name)
      } else if (statement.kind === 'export') {
        env.set(statement.name, {
          ...(previous ?? {name: statement.name, uncertain: false, ...origin}),
          exported: true,
        })
      } else {
        let uncertain = false
        const value = (statement.value ?? [])
          .map((part) => {
            if (part.kind === 'text') return part.text
            if (part.kind === 'unknown') {
              uncertain = true
              return ''
            }
            const known = env.get(part.name)
            if (!known) uncertain = true
            else uncertain ||= known.uncertain
            return known?.value ?? ''
          })
          .join('')
        env.set(statement.name, {
          name: statement.name,
          value,
          exported: statement.exported || (previous?.exported ?? false),
          uncertain,
          ...origin,
        })
      }
    }
  }
  return env
}

/** Read and parse one start-up file; undefined when it is absent or unreadable. */
async function readEnvFile(host: Host, path: string, kind: 'pam' | 'shell'): Promise<EnvFile | undefined> {
  const text = await host.readText(path)
  if (!text.ok) return undefined
  return kind === 'pam' ? parseEnvironmentFile(text.value, path) : parseShellProfile(text.value, path)
}

/** The system-wide start-up files, in the order a login session reads them. */
export async function readSystemEnvironment(host: Host): Promise<EnvFile[]> {
  const names = await host.list(PROFILE_D)
  const scripts = names.ok ? names.value.filter((n) => n.endsWith('.sh')).map((n) => `${PROFILE_D}/${n}`) : []
  const files = await Promise.all([
    readEnvFile(host, ETC_ENVIRONMENT, 'pam'),
    readEnvFile(host, ETC_PROFILE, 'shell'),
    ...scripts.map((path) => readEnvFile(host, path, 'shell')),
  ])
  return files.filter((f): f is EnvFile => f !== undefined)
}

/** A user's own start-up files that exist. */
export async function readUserEnvironment(host: Host, home: string): Promise<EnvFile[]> {
  const files = await Promise.all(
    USER_SHELL_FILES.map((name) => readEnvFile(host, `${home}/${name}`, 'shell')),
  )
  return files.filter((f): f is EnvFile => f !== undefined)
}
