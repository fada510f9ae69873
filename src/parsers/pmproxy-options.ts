/** $PCP_PMPROXYOPTIONS_PATH: pmproxy's command line as the rc script builds it. */
export const PMPROXY_OPTIONS = '/etc/pcp/pmproxy/pmproxy.options'
/** $PCP_SYSCONFIG_DIR/pmproxy: RHEL's and Debian's place for PMPROXY_* variables (rc_pmproxy's PMPROXYENVS). */
export const PMPROXY_SYSCONFIG = ['/etc/sysconfig/pmproxy', '/etc/default/pmproxy']

/** pmproxy's short options (src/pmproxy/src/pmproxy.c); a colon marks one that takes an argument. */
const SHORT_OPTIONS = 'Ac:C:dD:Ffh:i:l:L:M:p:P:r:s:tU:x:?'

/** Its long options, by the short option they stand for. */
const LONG_OPTIONS: Record<string, string> = {
  debug: 'D',
  help: '?',
  deprecated: 'd',
  foreground: 'f',
  systemd: 'F',
  timeseries: 't',
  username: 'U',
  config: 'c',
  certdb: 'C',
  passfile: 'P',
  certname: 'M',
  interface: 'i',
  port: 'p',
  socket: 's',
  redisport: 'r',
  redishost: 'h',
  log: 'l',
}

const takesArgument = (option: string) => SHORT_OPTIONS.includes(`${option}:`)

export interface PmproxyOption {
  /** The short option letter (long options are given by theirs). */
  option: string
  value?: string
  line: number
}

/** A variable the rc script exports to pmproxy. */
export interface EnvSetting {
  name: string
  value: string
  line: number
}

export interface PmproxyOptions {
  path: string
  options: PmproxyOption[]
  /** Lines the rc script drops: not comments, yet not starting with `-`. */
  ignored: {line: number; text: string}[]
  /** Why pmproxy would refuse to start with this command line (it takes no operands, no unknown options). */
  problems: {line: number; message: string}[]
}

/**
 * The words rc_pmproxy makes of pmproxy.options, each with its line: the lines starting with `-`,
 * padded with a blank each side, ` -f ` replaced by a blank (sed's non-overlapping s///g), the
 * padding removed, the lines joined and split at blanks, tabs and newlines by the unquoted $OPTS.
 */
export function rcWords(text: string): {word: string; line: number}[] {
  const words: {word: string; line: number}[] = []
  text.split('\n').forEach((raw, index) => {
    if (!raw.startsWith('-')) return
    const line = ` ${raw} `.replace(/ -f /g, ' ').replace(/^ /, '').replace(/ $/, '')
    for (const word of line.split(/[ \t]+/).filter(Boolean)) words.push({word, line: index + 1})
  })
  return words
}

/**
 * Parse pmproxy.options as PCP 6's rc_pmproxy uses it: only lines starting with `-` count, joined
 * into one unquoted command line (so quotes stay literal and a `# comment` becomes two operands),
 * with standalone `-f` dropped. Options are then read as pmgetopt_r reads them, with pmproxy's
 * option table, after the -F that `start-systemd` (the systemd unit's way) puts first.
 */
export function parsePmproxyOptions(text: string, path = PMPROXY_OPTIONS): PmproxyOptions {
  const parsed: PmproxyOptions = {path, options: [], ignored: [], problems: []}
  const words = rcWords(text)
  text.split('\n').forEach((raw, index) => {
    if (!raw.startsWith('-') && raw.trim() !== '' && !raw.trim().startsWith('#'))
      parsed.ignored.push({line: index + 1, text: raw})
  })
  for (let i = 0; i < words.length; i++) {
    const {word, line} = words[i] as {word: string; line: number}
    const problem = (message: string) => parsed.problems.push({line, message})
    const argumentFor = (option: string, attached: string) => {
      if (attached !== '') return attached
      const next = words[i + 1]
      if (!next) {
        problem(`-${option} needs an argument: pmproxy prints its usage and does not start`)
        return undefined
      }
      i++
      return next.word
    }
    if (word === '--') {
      for (const rest of words.slice(i + 1))
        parsed.problems.push({
          line: rest.line,
          message: `"${rest.word}" is not an option: pmproxy does not start`,
        })
      break
    }
    if (word.startsWith('--')) {
      const [name = '', attached] = word.slice(2).split(/=(.*)/s)
      const option = LONG_OPTIONS[name]
      if (option === '?') {
        problem('--help asks for the usage: pmproxy prints it and does not start')
        continue
      }
      if (!option) {
        problem(`unknown option ${word}: pmproxy prints its usage and does not start`)
        continue
      }
      const value = takesArgument(option) ? argumentFor(option, attached ?? '') : undefined
      parsed.options.push({option, ...(value === undefined ? {} : {value}), line})
      continue
    }
    if (!word.startsWith('-') || word === '-') {
      problem(`"${word}" is not an option: pmproxy takes no operands and does not start`)
      continue
    }
    for (let j = 1; j < word.length; j++) {
      const option = word[j] as string
      if (option === '?') {
        problem('-? asks for the usage: pmproxy prints it and does not start')
        break
      }
      if (option === ':' || !SHORT_OPTIONS.includes(option)) {
        problem(`unknown option -${option}: pmproxy prints its usage and does not start`)
        break
      }
      if (takesArgument(option)) {
        const value = argumentFor(option, word.slice(j + 1))
        if (value !== undefined) parsed.options.push({option, value, line})
        break
      }
      parsed.options.push({option, line})
    }
  }
  for (const {option, line} of parsed.options)
    if (option === 'f' || option === 'F')
      parsed.problems.push({
        line,
        message: `-${option} after start-systemd's -F: "at most one of -f and -F", pmproxy does not start`,
      })
  return parsed
}

/** The shell that runs the rc script: dash on Debian (/etc/default), bash on RHEL (/etc/sysconfig). */
export type RcShell = 'dash' | 'bash'

export interface PmproxySysconfig {
  path: string
  shell: RcShell
  /** The variables exported to pmproxy, in order (the last of a name wins). */
  settings: EnvSetting[]
  /** Words that are no variable name: dash stops the rc script on them, bash skips them. */
  problems: {line: number; message: string}[]
}

/**
 * $PCP_SYSCONFIG_DIR/pmproxy as PCP 6's rc_pmproxy uses it:
 * `` `sed -n 's/^PMPROXY/export PMPROXY/p' < $PMPROXYENVS` `` runs the lines starting with PMPROXY
 * as one export command, so every blank-separated word is an argument, kept literally: quotes stay
 * in the value, and a `#` comment is an argument that is no variable name.
 */
export function parsePmproxySysconfig(text: string, path: string): PmproxySysconfig {
  const shell: RcShell = path.startsWith('/etc/sysconfig/') ? 'bash' : 'dash'
  const sysconfig: PmproxySysconfig = {path, shell, settings: [], problems: []}
  text.split('\n').forEach((raw, index) => {
    if (!raw.startsWith('PMPROXY')) return
    const line = index + 1
    for (const word of raw.split(/[ \t]+/).filter(Boolean)) {
      const match = /^([A-Za-z_][A-Za-z0-9_]*)(?:=(.*))?$/s.exec(word)
      if (match?.[2] !== undefined) sysconfig.settings.push({name: match[1] as string, value: match[2], line})
      else if (!match)
        sysconfig.problems.push({
          line,
          message:
            shell === 'dash'
              ? `"${word}" is no variable name: /bin/sh (dash) stops the rc script, so pmproxy does not start`
              : `"${word}" is no variable name: bash skips it`,
        })
    }
  })
  return sysconfig
}

/** C atoi(3): leading blanks, a sign, digits; anything else reads as 0. */
export function atoi(text: string): number {
  const match = /^[ \t\n\v\f\r]*([+-]?\d+)/.exec(text)
  return match ? Number.parseInt(match[1] as string, 10) : 0
}
