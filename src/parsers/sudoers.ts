/**
 * sudoers(5) as sudo reads the parts that grant commands: user specifications, aliases, Defaults and
 * include directives, with continued lines (a trailing backslash) and `#` comments. The parser is pure
 * and never throws; what it does not read exactly (digests, CWD=, CHROOT=, SELinux and AppArmor
 * options, a malformed line) comes back as an error with its line, never as a guess.
 */

/** One command of a user specification, with the run-as list and tags in force for it. */
export interface SudoersCommand {
  /** The run-as users as written (`root`, `ALL`), empty when none is given (sudo then means root). */
  runas: string[]
  /** The run-as groups (after `:` in the parentheses). */
  runasGroups: string[]
  /** Tags in force: `NOPASSWD`, `SETENV`, ... (they carry over to the following commands of the list). */
  tags: string[]
  negated: boolean
  /** The command path, `ALL`, `sudoedit` or a Cmnd_Alias name. */
  command: string
  /** The arguments: undefined means any arguments, `""` none at all (written `""`). */
  args?: string
}

export interface SudoersPrivilege {
  hosts: string[]
  commands: SudoersCommand[]
}

export type SudoersEntry =
  | {kind: 'spec'; line: number; users: string[]; privileges: SudoersPrivilege[]}
  | {kind: 'alias'; line: number; type: string; name: string; members: string[]}
  | {kind: 'defaults'; line: number; text: string}
  | {kind: 'include'; line: number; directory: boolean; path: string}

export interface Sudoers {
  entries: SudoersEntry[]
  errors: {line: number; message: string}[]
}

const ALIAS_TYPES = ['User_Alias', 'Runas_Alias', 'Host_Alias', 'Cmnd_Alias', 'Cmd_Alias']
const TAGS = new Set([
  'NOPASSWD',
  'PASSWD',
  'NOEXEC',
  'EXEC',
  'SETENV',
  'NOSETENV',
  'LOG_INPUT',
  'NOLOG_INPUT',
  'LOG_OUTPUT',
  'NOLOG_OUTPUT',
  'MAIL',
  'NOMAIL',
  'FOLLOW',
  'NOFOLLOW',
  'INTERCEPT',
  'NOINTERCEPT',
])

/** The logical lines: comments cut, continuations joined, each with the line it starts on. */
function logicalLines(text: string): {line: number; text: string}[] {
  const out: {line: number; text: string}[] = []
  const physical = text.split('\n')
  for (let i = 0; i < physical.length; i++) {
    const start = i + 1
    let joined = physical[i] as string
    while (joined.endsWith('\\') && i + 1 < physical.length) joined = joined.slice(0, -1) + physical[++i]
    const trimmed = joined.trim()
    if (/^#include(dir)?\s/.test(trimmed) || /^@include(dir)?\s/.test(trimmed)) {
      out.push({line: start, text: trimmed})
      continue
    }
    out.push({line: start, text: stripComment(joined).trim()})
  }
  return out.filter((l) => l.text !== '')
}

/** Cut a `#` comment: not escaped, not inside double quotes, not a `#uid` user. */
function stripComment(text: string): string {
  let quoted = false
  for (let i = 0; i < text.length; i++) {
    const c = text[i]
    if (c === '\\') i++
    else if (c === '"') quoted = !quoted
    else if (c === '#' && !quoted && !/^\d/.test(text[i + 1] ?? '')) return text.slice(0, i)
  }
  return text
}

/** Split at an unescaped separator character outside double quotes and parentheses. */
function splitTop(text: string, separator: string): string[] {
  const parts: string[] = []
  let depth = 0
  let quoted = false
  let start = 0
  for (let i = 0; i < text.length; i++) {
    const c = text[i]
    if (c === '\\') i++
    else if (c === '"') quoted = !quoted
    else if (!quoted && c === '(') depth++
    else if (!quoted && c === ')') depth--
    else if (!quoted && depth === 0 && c === separator) {
      parts.push(text.slice(start, i))
      start = i + 1
    }
  }
  parts.push(text.slice(start))
  return parts
}

const list = (text: string) =>
  splitTop(text, ',')
    .map((s) => s.trim())
    .filter((s) => s !== '')

/**
 * A user specification's privileges: `host_list = cmnd_spec, ... [: host_list = ...]`. The `:` of a
 * tag (`NOPASSWD:`) or of a run-as group belongs to its command spec, not to a new host group.
 */
function parsePrivileges(text: string): SudoersPrivilege[] | string {
  const privileges: SudoersPrivilege[] = []
  // Split at `:` that start a new `hosts =` group: the text after it must hold `=` before any `(`.
  const groups: string[] = []
  let current = ''
  for (const piece of splitTop(text, ':')) {
    const startsGroup = current !== '' && /^\s*[^=(),\s]+(?:\s*,\s*[^=(),\s]+)*\s*=(?!=)/.test(piece)
    if (startsGroup) {
      groups.push(current)
      current = piece
    } else current = current === '' ? piece : `${current}:${piece}`
  }
  groups.push(current)
  for (const group of groups) {
    const eq = splitTop(group, '=')
    if (eq.length < 2) return `no "=" between the hosts and the commands in "${group.trim()}"`
    const hosts = list(eq[0] as string)
    const specs = list(eq.slice(1).join('='))
    if (hosts.length === 0 || specs.length === 0) return `an empty host or command list in "${group.trim()}"`
    const commands: SudoersCommand[] = []
    let runas: string[] = []
    let runasGroups: string[] = []
    let tags: string[] = []
    for (const raw of specs) {
      let spec = raw
      const paren = /^\(([^)]*)\)\s*/.exec(spec)
      if (paren) {
        const [users = '', groupsText] = (paren[1] as string).split(':')
        runas = list(users)
        runasGroups = groupsText === undefined ? [] : list(groupsText)
        tags = []
        spec = spec.slice(paren[0].length)
      }
      for (let tag = /^([A-Z_]+)\s*:\s*/.exec(spec); tag; tag = /^([A-Z_]+)\s*:\s*/.exec(spec)) {
        if (!TAGS.has(tag[1] as string)) return `unknown tag ${tag[1]}: in "${raw}"`
        tags = [...tags.filter((t) => t !== tag?.[1]), tag[1] as string]
        spec = spec.slice(tag[0].length)
      }
      if (/^(CWD|CHROOT|ROLE|TYPE|APPARMOR_PROFILE|PRIVS|LIMITPRIVS|NOTBEFORE|NOTAFTER)\s*=/.test(spec))
        return `the option ${spec.split('=')[0]}= is not read by pcp-harden`
      if (/^(sha224|sha256|sha384|sha512)\s*:/.test(spec)) return 'a command digest is not read by pcp-harden'
      const negated = spec.startsWith('!')
      if (negated) spec = spec.slice(1).trim()
      const space = spec.search(/\s/)
      const command = space < 0 ? spec : spec.slice(0, space)
      const rest = space < 0 ? undefined : spec.slice(space).trim()
      if (command === '') return `an empty command in "${raw}"`
      commands.push({
        runas,
        runasGroups,
        tags,
        negated,
        command,
        ...(rest === undefined ? {} : {args: rest === '""' ? '' : rest.replace(/\\(.)/g, '$1')}),
      })
    }
    privileges.push({hosts, commands})
  }
  return privileges
}

export function parseSudoers(text: string): Sudoers {
  const entries: SudoersEntry[] = []
  const errors: Sudoers['errors'] = []
  for (const {line, text: l} of logicalLines(text)) {
    const include = /^[@#](include(dir)?)\s+(.+)$/.exec(l)
    if (include) {
      entries.push({
        kind: 'include',
        line,
        directory: include[2] === 'dir',
        path: (include[3] as string).trim(),
      })
      continue
    }
    if (/^Defaults([:@!>]|\s|$)/.test(l)) {
      entries.push({kind: 'defaults', line, text: l})
      continue
    }
    const word = l.split(/\s+/)[0] as string
    if (ALIAS_TYPES.includes(word)) {
      for (const part of splitTop(l.slice(word.length), ':')) {
        const alias = /^\s*([A-Z][A-Z0-9_]*)\s*=(.*)$/.exec(part)
        if (!alias) {
          errors.push({line, message: `${word}: expected NAME = members, found "${part.trim()}"`})
          break
        }
        entries.push({
          kind: 'alias',
          line,
          type: word,
          name: alias[1] as string,
          members: list(alias[2] as string),
        })
      }
      continue
    }
    // user_list host_list = ...: the user list ends at the first blank outside a comma list.
    const users = /^((?:[^\s,\\]|\\.)+(?:\s*,\s*(?:[^\s,\\]|\\.)+)*)\s+(.*)$/.exec(l)
    if (!users) {
      errors.push({line, message: `not a sudoers statement: "${l}"`})
      continue
    }
    const privileges = parsePrivileges(users[2] as string)
    if (typeof privileges === 'string') errors.push({line, message: privileges})
    else entries.push({kind: 'spec', line, users: list(users[1] as string), privileges})
  }
  return {entries, errors}
}

/** sudo reads a file of an @includedir directory unless its name ends in `~` or contains a `.`. */
export const sudoersIncludedName = (name: string) => !name.endsWith('~') && !name.includes('.')
