import type {Host} from '../host/host.js'
import {isIPv4, isIPv6} from '../net/ip.js'

export const PMCD_OPTIONS_PATH = '/etc/pcp/pmcd/pmcd.options'

/** pmcd's configuration file when no -c says otherwise. */
const DEFAULT_PMCD_CONF = '/etc/pcp/pmcd/pmcd.conf'

/** One word of the command line rc_pmcd builds from pmcd.options, with the line it came from. */
export interface OptionWord {
  text: string
  line: number
}

/** One option as pmcd's getopt hands it to pmcd's switch. */
export interface PmcdOption {
  /** The short option letter (`i` for `-i` and for `--interface`). */
  letter: string
  /** As pmcd's messages name it: `-i`, or the long name as written (`--interf`). */
  name: string
  value?: string
  line: number
}

export interface OptionsProblem {
  line: number
  /** error: pmcd does not start. warning: it starts, but not as the line says. */
  severity: 'error' | 'warning'
  message: string
}

/**
 * What pmcd does with the command line: `accepted`; `usage`: it prints its usage and exits 0 without
 * starting (an unknown option, a missing argument, -?), which the rc script's `pmcd --verify` does
 * not catch; `rejected`: it prints its usage and exits 1 (a bad value, an argument that is not an
 * option), so `pmcd --verify` fails and the rc script does not start it.
 */
export type PmcdArgvVerdict = 'accepted' | 'usage' | 'rejected'

export interface PmcdOptions {
  path: string
  present: boolean
  /** The words rc_pmcd passes to pmcd (`pmcd --verify WORDS`, then `pmcd WORDS`). */
  argv: OptionWord[]
  options: PmcdOption[]
  /** Options pmcd does not have (`-a`, `--nosuch`), each of which makes it exit with its usage. */
  unknown: {name: string; line: number}[]
  /** Lines rc_pmcd took a ` -f ` out of (pmcd runs as a daemon: the rc script wants no foreground). */
  foregroundRemoved: number[]
  /** Lines rc_pmcd drops because they do not start with `-` (comments and blank lines are not listed). */
  ignored: {line: number; text: string}[]
  problems: OptionsProblem[]
  verdict: PmcdArgvVerdict
}

/**
 * pmcd's short options in PCP 6.0.3 (`Ac:D:fH:i:l:L:N:n:p:q:Qs:St:T:U:vx:?`, from the binary): a
 * letter followed by `:` takes an argument. PCP 5's NSS options -C, -M and -P are gone.
 */
const PMCD_SHORT_OPTIONS = 'Ac:D:fH:i:l:L:N:n:p:q:Qs:St:T:U:vx:?'
/** PCP 7's pmcd adds -C (contexts per client) and -M (metrics per fetch), each with an argument. */
const PMCD7_SHORT_OPTIONS = `${PMCD_SHORT_OPTIONS}C:M:`

/** pmcd's short options for an installed upstream version (`7.1.1`); 6.0.3's when it is not known. */
export function pmcdShortOptions(version?: string): string {
  const major = Number(/^(\d+)\./.exec(version ?? '')?.[1])
  return major >= 7 ? PMCD7_SHORT_OPTIONS : PMCD_SHORT_OPTIONS
}

/** pmcd's long options (pmLongOptions in src/pmcd/src/pmcd.c): name, letter, whether it takes an argument. */
const LONG_OPTIONS: readonly {name: string; letter: string; argument: boolean}[] = [
  {name: 'debug', letter: 'D', argument: true},
  {name: 'namespace', letter: 'n', argument: true},
  {name: 'uniqnames', letter: 'N', argument: true},
  {name: 'help', letter: '?', argument: false},
  {name: 'foreground', letter: 'f', argument: false},
  {name: 'hostname', letter: 'H', argument: true},
  {name: 'username', letter: 'U', argument: true},
  {name: 'config', letter: 'c', argument: true},
  {name: 'verify', letter: 'v', argument: false},
  {name: 'interface', letter: 'i', argument: true},
  {name: 'port', letter: 'p', argument: true},
  {name: 'socket', letter: 's', argument: true},
  {name: 'remotecert', letter: 'Q', argument: false},
  {name: 'reqauth', letter: 'S', argument: false},
  {name: 'trace', letter: 'T', argument: true},
  {name: 'log', letter: 'l', argument: true},
]

/** The debug option names `pmcd -D` accepts in PCP 6.0.3 (`pmdbg -l`), besides `all` and numbers. */
const DEBUG_OPTIONS: ReadonlySet<string> = new Set(
  (
    'pdu fetch profile value context indom pdubuf log logmeta optfetch af appl0 appl1 appl2 pmns libpmda ' +
    'timecontrol pmc derive lock interp config pmapi fault auth discovery attr http desperate deprecated exec ' +
    'labels series libweb alloc services appl3 appl4 appl5 access qa search query compress dev0 dev1 dev2 pmlc ' +
    'appl6 appl7 appl8 appl9 tls'
  ).split(' '),
)

const USAGE_EXIT =
  'pmcd prints its usage and exits without starting (with status 0, so the rc script\'s "pmcd --verify" does not catch it)'
const VERIFY_FAILS =
  'pmcd prints its usage and exits 1: "pmcd --verify" fails and the rc script does not start pmcd'

/** C's isspace in the C locale. */
const C_SPACE = new Set([' ', '\t', '\n', '\v', '\f', '\r'])
const LONG_MAX = 2n ** 63n - 1n
const LONG_MIN = -(2n ** 63n)

/**
 * C's strtol on 64-bit Linux: leading space and a sign, base 0 (`0x` hex, `0` octal, else decimal)
 * or 10, the value clamped to a long, and where parsing stopped (0 when no digit was read).
 */
export function parseCLong(text: string, base: 0 | 10): {value: bigint; end: number} {
  let i = 0
  while (C_SPACE.has(text[i] ?? '')) i++
  const negative = text[i] === '-'
  if (text[i] === '+' || text[i] === '-') i++
  let radix = 10
  if (base === 0 && text[i] === '0') {
    const hex = (text[i + 1] === 'x' || text[i + 1] === 'X') && /[0-9a-fA-F]/.test(text[i + 2] ?? '')
    radix = hex ? 16 : 8
    if (hex) i += 2
  }
  const start = i
  let value = 0n
  for (; i < text.length; i++) {
    const digit = Number.parseInt(text[i] as string, 36)
    if (Number.isNaN(digit) || digit >= radix) break
    value = value * BigInt(radix) + BigInt(digit)
  }
  if (i === start) return {value: 0n, end: 0}
  value = negative ? -value : value
  return {value: value > LONG_MAX ? LONG_MAX : value < LONG_MIN ? LONG_MIN : value, end: i}
}

/** A C long cast to int, as `(int)strtol(...)` and atoi do. */
export function toCInt(value: bigint): number {
  return Number(BigInt.asIntN(32, value))
}

/** pmSetDebug's parser (libpcp util.c): comma-separated names (any case), `all`, or decimal numbers. */
function validDebugSpec(spec: string): boolean {
  let p = 0
  while (p < spec.length) {
    const number = parseCLong(spec.slice(p), 10)
    if (number.end > 0) {
      const next = p + number.end
      if (spec[next] === ',') {
        p = next + 1
        continue
      }
      return next === spec.length
    }
    const comma = spec.indexOf(',', p)
    const end = comma < 0 ? spec.length : comma
    const name = spec.slice(p, end).toLowerCase()
    if (name !== 'all' && !DEBUG_OPTIONS.has(name)) return false
    p = comma < 0 ? end : end + 1
  }
  return true
}

/** __pmServerAddPorts: a comma-separated list of numbers (base 0), none negative. */
function validPortList(ports: string): boolean {
  let rest = ports
  for (;;) {
    const port = parseCLong(rest, 0)
    const stop = rest[port.end]
    if ((stop !== undefined && stop !== ',') || toCInt(port.value) < 0) return false
    if (stop === undefined) return true
    rest = rest.slice(port.end + 1)
  }
}

/** The complaint pmcd's switch makes about an option's value, if any (pmcd exits 1 on it). */
function valueProblem(letter: string, value: string): string | undefined {
  // strtol(value, &end, 10) and `*end != '\0'`: with no digit, end is the start of the value.
  const decimal = () => {
    const parsed = parseCLong(value, 10)
    return {value: toCInt(parsed.value), complete: parsed.end === value.length}
  }
  switch (letter) {
    case 'D':
      return validDebugSpec(value) ? undefined : `unrecognized debug options specification (${value})`
    case 'L':
      return toCInt(parseCLong(value, 0).value) <= 0 ? '-L requires a positive value' : undefined
    case 'p':
      return validPortList(value) ? undefined : `-p requires a positive numeric argument (${value})`
    case 'q': {
      const n = decimal()
      return !n.complete || n.value <= 0 ? '-q requires a positive numeric argument' : undefined
    }
    case 't':
    case 'T': {
      const n = decimal()
      return !n.complete || n.value < 0 ? `-${letter} requires a positive numeric argument` : undefined
    }
    default:
      return undefined
  }
}

export type InterfaceKind = 'any' | 'loopback' | 'address' | 'invalid'

/**
 * How pmcd binds an `-i` address (__pmStringToSockAddr): `INADDR_ANY`, `INADDR_LOOPBACK`, or a numeric
 * IPv4 or IPv6 address (`%scope` allowed); anything else, host names included, it cannot bind.
 */
export function classifyInterface(address: string): InterfaceKind {
  if (address === 'INADDR_ANY') return 'any'
  if (address === 'INADDR_LOOPBACK') return 'loopback'
  if (address.includes(':')) {
    const bare = address.replace(/%.*$/, '')
    if (!isIPv6(bare)) return 'invalid'
    const canonical = new URL(`http://[${bare}]`).hostname
    return canonical === '[::]' ? 'any' : canonical === '[::1]' ? 'loopback' : 'address'
  }
  if (!isIPv4(address)) return 'invalid'
  if (address === '0.0.0.0') return 'any'
  return address.startsWith('127.') ? 'loopback' : 'address'
}

/**
 * The words rc_pmcd passes to pmcd: only lines whose first character is `-` are kept, ` -f ` is
 * removed (`sed -e '/^[^-]/d' -e 's/^/ /' -e 's/$/ /' -e 's/ -f / /g' ...`), the lines are joined
 * and the unquoted `$OPTS` is split at spaces and tabs. Quotes and `#` stay as they are. (The shell
 * would also expand a word with `*`, `?` or `[` that names files in /var/log/pcp/pmcd: not modelled.)
 */
export function rcOptionWords(text: string): {
  words: OptionWord[]
  ignored: {line: number; text: string}[]
  foregroundRemoved: Set<number>
} {
  const words: OptionWord[] = []
  const ignored: {line: number; text: string}[] = []
  const foregroundRemoved = new Set<number>()
  const lines = text.split('\n')
  lines.forEach((raw, index) => {
    const line = index + 1
    if (index === lines.length - 1 && raw === '') return
    if (raw !== '' && raw[0] !== '-') {
      const trimmed = raw.trim()
      if (trimmed !== '' && !trimmed.startsWith('#')) ignored.push({line, text: raw})
      return
    }
    const padded = ` ${raw} `
    const kept = padded.replace(/ -f /g, ' ')
    if (kept !== padded) foregroundRemoved.add(line)
    for (const word of kept.split(/[ \t]+/)) if (word !== '') words.push({text: word, line})
  })
  return {words, ignored, foregroundRemoved}
}

/**
 * pmcd's option parsing (pmgetopt_r with PM_OPTFLAG_POSIX, then the checks in ParseOptions): GNU
 * getopt in POSIX order, so the first word that is not an option ends the options; long options
 * may be abbreviated; an option's argument is the rest of the word or the next word.
 */
export function parsePmcdArgv(
  words: readonly OptionWord[],
  foregroundRemoved: ReadonlySet<number> = new Set(),
  version?: string,
): {
  options: PmcdOption[]
  unknown: {name: string; line: number}[]
  problems: OptionsProblem[]
  verdict: PmcdArgvVerdict
} {
  const options: PmcdOption[] = []
  const unknown: {name: string; line: number}[] = []
  const problems: OptionsProblem[] = []
  let usage = false
  let errors = false
  const getoptError = (line: number, message: string) => {
    usage = true
    problems.push({line, severity: 'error', message: `${message}: ${USAGE_EXIT}`})
  }
  const unknownOption = (line: number, name: string, message: string) => {
    unknown.push({name, line})
    getoptError(line, message)
  }
  const take = (letter: string, name: string, line: number, value?: string) => {
    if (letter === '?') return getoptError(line, `${name} asks for pmcd's usage`)
    options.push({letter, name, line, ...(value === undefined ? {} : {value})})
    const complaint = value === undefined ? undefined : valueProblem(letter, value)
    if (complaint) {
      errors = true
      problems.push({
        line,
        severity: 'error',
        message: `${name} ${value}: pmcd says "${complaint}"; ${VERIFY_FAILS}`,
      })
    }
  }

  let index = 0
  while (index < words.length) {
    const word = words[index] as OptionWord
    if (word.text === '--') {
      index++
      break
    }
    if (!word.text.startsWith('-') || word.text === '-') break
    index++
    if (word.text.startsWith('--')) {
      const eq = word.text.indexOf('=')
      const written = word.text.slice(2, eq < 0 ? undefined : eq)
      const inline = eq < 0 ? undefined : word.text.slice(eq + 1)
      const exact = LONG_OPTIONS.find((o) => o.name === written)
      const prefixed = written === '' ? [] : LONG_OPTIONS.filter((o) => o.name.startsWith(written))
      const option = exact ?? (prefixed.length === 1 ? prefixed[0] : undefined)
      const name = `--${written}`
      if (!option) {
        if (prefixed.length > 1)
          getoptError(word.line, `${name} is ambiguous (${prefixed.map((o) => `--${o.name}`).join(', ')})`)
        else unknownOption(word.line, name, `"${word.text}" is not a pmcd option`)
        continue
      }
      if (!option.argument) {
        if (inline !== undefined) getoptError(word.line, `--${option.name} takes no argument`)
        else take(option.letter, `--${option.name}`, word.line)
        continue
      }
      if (inline !== undefined) take(option.letter, `--${option.name}`, word.line, inline)
      else if (index < words.length) take(option.letter, `--${option.name}`, word.line, words[index++]?.text)
      else getoptError(word.line, `--${option.name} needs an argument`)
      continue
    }
    for (let at = 1; at < word.text.length; at++) {
      const letter = word.text[at] as string
      const shortOptions = pmcdShortOptions(version)
      const spec = letter === ':' ? -1 : shortOptions.indexOf(letter)
      if (spec < 0) {
        unknownOption(word.line, `-${letter}`, `-${letter} is not a pmcd option`)
        continue
      }
      if (shortOptions[spec + 1] !== ':') {
        take(letter, `-${letter}`, word.line)
        continue
      }
      if (at + 1 < word.text.length) take(letter, `-${letter}`, word.line, word.text.slice(at + 1))
      else if (index < words.length) take(letter, `-${letter}`, word.line, words[index++]?.text)
      else getoptError(word.line, `-${letter} needs an argument`)
      break
    }
  }

  const operand = words[index]
  if (operand) {
    errors = true
    const message = operand.text.startsWith('#')
      ? `a trailing comment: rc_pmcd does not strip it, so pmcd gets "${operand.text}" and the words after it as arguments`
      : foregroundRemoved.has(operand.line)
        ? `"${operand.text}" reaches pmcd as an argument: rc_pmcd removed the -f before it (-f takes none)`
        : `"${operand.text}" is not an option, and pmcd takes no arguments`
    problems.push({line: operand.line, severity: 'error', message: `${message}; ${VERIFY_FAILS}`})
  }
  return {options, unknown, problems, verdict: usage ? 'usage' : errors ? 'rejected' : 'accepted'}
}

/** Options pmcd accepts but does not act on as the line says; -v, which stops it from ever starting. */
function semanticProblems(words: readonly OptionWord[], options: readonly PmcdOption[]): OptionsProblem[] {
  const found: OptionsProblem[] = []
  for (const option of options.filter((o) => o.letter === 'v'))
    found.push({
      line: option.line,
      severity: 'error',
      message: `${option.name} makes pmcd check its configuration and exit: rc_pmcd starts "pmcd ${option.name} ..." and no pmcd stays running`,
    })
  for (const word of words.filter((w) => /["']/.test(w.text)))
    found.push({
      line: word.line,
      severity: 'warning',
      message: `quotes are not removed: pmcd gets ${word.text} with its quote characters`,
    })
  for (const option of options) {
    const value = option.value ?? ''
    if (value.startsWith('#'))
      found.push({
        line: option.line,
        severity: 'warning',
        message: `a comment is not a comment here: pmcd takes "${value}" as the value of ${option.name}`,
      })
    if (option.letter === 'i' && classifyInterface(value) === 'invalid')
      found.push({
        line: option.line,
        severity: 'warning',
        message:
          `pmcd cannot listen on "${value}": -i takes a numeric IPv4 or IPv6 address (or INADDR_ANY, ` +
          'INADDR_LOOPBACK); pmcd logs "invalid address" and does not listen there',
      })
    if (option.letter === 'c' && value !== DEFAULT_PMCD_CONF)
      found.push({
        line: option.line,
        severity: 'warning',
        message: `pmcd reads its agents and [access] rules from ${value}, not from ${DEFAULT_PMCD_CONF}`,
      })
  }
  return found.sort((a, b) => a.line - b.line)
}

/** Parse pmcd.options exactly as rc_pmcd and pmcd 6 treat it. The parser is pure and never throws. */
export function parsePmcdOptions(text: string, path = PMCD_OPTIONS_PATH, version?: string): PmcdOptions {
  const {words, ignored, foregroundRemoved} = rcOptionWords(text)
  const parsed = parsePmcdArgv(words, foregroundRemoved, version)
  return {
    path,
    present: true,
    argv: words,
    options: parsed.options,
    unknown: parsed.unknown,
    foregroundRemoved: [...foregroundRemoved],
    ignored,
    problems: [...parsed.problems, ...semanticProblems(words, parsed.options)].sort(
      (a, b) => a.line - b.line,
    ),
    verdict: parsed.verdict,
  }
}

/**
 * The root's pmcd.options, parsed for the installed pmcd's version when it is known (PCP 7's -C and
 * -M); an absent file reads as empty (pmcd starts with its defaults).
 */
export async function readPmcdOptions(
  host: Host,
  path = PMCD_OPTIONS_PATH,
  version?: string,
): Promise<PmcdOptions | {path: string; error: string}> {
  const text = await host.readText(path)
  if (text.ok) return parsePmcdOptions(text.value, path, version)
  if (!text.missing) return {path, error: text.message}
  return {...parsePmcdOptions('', path, version), present: false}
}
