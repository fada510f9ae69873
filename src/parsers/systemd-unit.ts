/**
 * systemd unit files with their drop-ins, as systemd 252 loads them: the line grammar of
 * src/shared/conf-parser.c, the unit search path and drop-in directories of src/basic/unit-file.c,
 * and, per directive, how repeated assignments combine (systemd.exec(5), systemd.service(5),
 * systemd.resource-control(5)). Parsing is pure and never throws; `loadUnit` reads through a
 * `UnitFileSource` the caller provides, so a Host view under --root can back it.
 */

/** The files a unit is loaded from; paths are absolute, as on the machine. */
export interface UnitFileSource {
  /** The text of a file (following symlinks), or undefined when there is none. */
  read(path: string): Promise<string | undefined>
  /** The names in a directory, or [] when there is no such directory. */
  list(dir: string): Promise<string[]>
  /** Where a symlink points, or undefined when the path is not a symlink. */
  readlink(path: string): Promise<string | undefined>
}

/** The system manager's unit search path in systemd 252, highest precedence first (`systemd-analyze unit-paths`). */
export const SYSTEM_UNIT_SEARCH_PATH: readonly string[] = [
  '/etc/systemd/system.control',
  '/run/systemd/system.control',
  '/run/systemd/transient',
  '/run/systemd/generator.early',
  '/etc/systemd/system',
  '/etc/systemd/system.attached',
  '/run/systemd/system',
  '/run/systemd/system.attached',
  '/run/systemd/generator',
  '/usr/local/lib/systemd/system',
  '/lib/systemd/system',
  '/usr/lib/systemd/system',
  '/run/systemd/generator.late',
]

/**
 * How repeated assignments of a directive combine.
 * - `scalar`: the last assignment wins (an empty one restores the default).
 * - `list`: each assignment appends its words; an empty assignment empties the list.
 * - `lines`: each assignment appends its whole value (a command line, a file, a device rule); empty empties.
 * - `filter`: allow list, or deny list with a leading `~`; the first assignment after a reset picks which,
 *   later ones add entries of the same polarity and remove entries of the other; empty resets.
 * - `capabilities`: as `filter`, but an empty assignment means the empty set and `~` alone the full set,
 *   and an assignment while the set is still at its default replaces it.
 * - `namespaces`: RestrictNamespaces=: a boolean replaces everything (yes: none allowed, no: all allowed),
 *   lists merge as in `filter`, empty restores the default (no restriction).
 */
export type DirectiveKind = 'scalar' | 'list' | 'lines' | 'filter' | 'capabilities' | 'namespaces'

const kinds = (kind: DirectiveKind, keys: string[]) => keys.map((key) => [key, kind] as const)

/**
 * Directives that are not last-one-wins, each with the rule its man page states ("may be specified
 * more than once ... If the empty string is assigned ... reset"). Any directive not listed is a scalar.
 */
export const DIRECTIVE_KINDS: Readonly<Record<string, DirectiveKind>> = Object.fromEntries([
  // systemd.exec(5), "SANDBOXING" and "CREDENTIALS": path lists, merged; empty resets.
  ...kinds('list', [
    'ReadWritePaths',
    'ReadOnlyPaths',
    'InaccessiblePaths',
    'ExecPaths',
    'NoExecPaths',
    'BindPaths',
    'BindReadOnlyPaths',
    'TemporaryFileSystem',
    'SupplementaryGroups',
    'StateDirectory',
    'RuntimeDirectory',
    'CacheDirectory',
    'LogsDirectory',
    'ConfigurationDirectory',
    'SecureBits',
    'SystemCallArchitectures',
    'Environment',
    'PassEnvironment',
    'UnsetEnvironment',
    'LogExtraFields',
    // systemd.resource-control(5): "the specified lists are combined ... empty string ... reset".
    'IPAddressAllow',
    'IPAddressDeny',
  ]),
  // systemd.service(5) "ExecStart= ... specified more than once"; one rule or file per assignment.
  ...kinds('lines', [
    'ExecCondition',
    'ExecStartPre',
    'ExecStart',
    'ExecStartPost',
    'ExecReload',
    'ExecStop',
    'ExecStopPost',
    'EnvironmentFile',
    'DeviceAllow',
    'SocketBindAllow',
    'SocketBindDeny',
  ]),
  // systemd.exec(5): "~" inverts; "the first encountered will take precedence and will dictate the default action".
  ...kinds('filter', [
    'SystemCallFilter',
    'SystemCallLog',
    'RestrictAddressFamilies',
    'RestrictFileSystems',
    'RestrictNetworkInterfaces',
  ]),
  // systemd.exec(5) "CAPABILITIES": merged by OR, or by AND with "~"; "" empties, "~" fills.
  ...kinds('capabilities', ['CapabilityBoundingSet', 'AmbientCapabilities']),
  ...kinds('namespaces', ['RestrictNamespaces']),
])

/** The sections each unit type reads (the `sections` of each unit vtable); others are ignored with a warning. */
const UNIT_SECTIONS: Record<string, readonly string[]> = {
  service: ['Unit', 'Service', 'Install'],
  socket: ['Unit', 'Socket', 'Install'],
  mount: ['Unit', 'Mount', 'Install'],
  automount: ['Unit', 'Automount', 'Install'],
  swap: ['Unit', 'Swap', 'Install'],
  timer: ['Unit', 'Timer', 'Install'],
  path: ['Unit', 'Path', 'Install'],
  slice: ['Unit', 'Slice', 'Install'],
  scope: ['Unit', 'Scope', 'Install'],
  target: ['Unit', 'Install'],
}

export interface UnitDiagnostic {
  file: string
  /** The line of the statement (the first of a continued line). */
  line: number
  /** error: systemd stops reading the file here (for the unit file itself, the unit fails to load). */
  severity: 'error' | 'warning'
  message: string
}

export interface UnitAssignment {
  section: string
  key: string
  value: string
  file: string
  /** First and last physical line (they differ for a line continued with a trailing backslash). */
  line: number
  endLine: number
}

export interface UnitFile {
  path: string
  assignments: UnitAssignment[]
  diagnostics: UnitDiagnostic[]
  /** systemd stopped reading the file at an error (an invalid section header). */
  failed: boolean
}

export interface EffectiveDirective {
  section: string
  key: string
  kind: DirectiveKind
  /** Every assignment, in the order systemd applies them, including overridden and reset ones. */
  assignments: UnitAssignment[]
  /** The assignments the value comes from: the last one for a scalar, those since the last reset otherwise. */
  contributions: UnitAssignment[]
  /** The scalar's value; for the other kinds, the items joined by blanks. */
  value: string
  /** The words, lines or entries in effect (empty for a scalar). */
  items: string[]
  /** For `filter`, `capabilities` and `namespaces` once set: whether `items` are allowed or denied. */
  mode?: 'allow' | 'deny'
  /**
   * Entries of the other polarity that matched no item: systemd expands `@groups` and subtracts
   * them (`SystemCallFilter=@system-service` then `~@privileged`); this parser does not expand groups.
   */
  except?: string[]
}

export interface LoadedUnit {
  name: string
  /** `error`: the unit file has a fatal syntax error, systemd refuses to load the unit. */
  state: 'loaded' | 'not-found' | 'masked' | 'error'
  /** The unit file used, or the one that masks the unit. */
  fragment?: string
  /** Drop-ins applied, in order. */
  dropIns: string[]
  /** Drop-ins hidden by a same-named drop-in of higher precedence. */
  shadowedDropIns: string[]
  files: UnitFile[]
  directives: EffectiveDirective[]
  diagnostics: UnitDiagnostic[]
}

const WHITESPACE = ' \t\n\r'
const strip = (s: string) => {
  let start = 0
  let end = s.length
  while (start < end && WHITESPACE.includes(s[start] as string)) start++
  while (end > start && WHITESPACE.includes(s[end - 1] as string)) end--
  return s.slice(start, end)
}

/** `string_is_safe`: no control characters, quotes or backslashes. */
// eslint-disable-next-line no-control-regex
const unsafeSectionName = /[\x00-\x1f\x7f\\"']/

/**
 * One file, as `config_parse` reads it: lines end at LF, CR, CRLF or NUL; lines whose first non-blank
 * is `#` or `;` are comments (also inside a continuation); a trailing unescaped backslash joins the next
 * line (and becomes a blank); `[Section]`, `Key=Value` with both sides trimmed. `sections` are the
 * sections the unit type reads (others are skipped with a warning, `X-` ones silently).
 */
export function parseUnitFile(text: string, path: string, sections?: readonly string[]): UnitFile {
  const file: UnitFile = {path, assignments: [], diagnostics: [], failed: false}
  const lines = text.split(/\r\n|[\r\n\0]/)
  if (lines.at(-1) === '') lines.pop()
  let section: string | undefined
  let sectionIgnored = false
  let bomSeen = false
  let continuation: string[] | undefined
  let continuationLine = 0
  const warn = (line: number, message: string) =>
    file.diagnostics.push({file: path, line, severity: 'warning', message})

  /** `parse_line`; false when the error stops the file. */
  const parseLine = (text: string, line: number, endLine: number): boolean => {
    const l = strip(text)
    if (l === '') return true
    if (l.startsWith('[')) {
      const name = l.slice(1, -1)
      const problem = !l.endsWith(']')
        ? `Invalid section header '${l}'`
        : unsafeSectionName.test(name)
          ? `Bad characters in section header '${l}'`
          : undefined
      if (problem) {
        file.diagnostics.push({file: path, line, severity: 'error', message: problem})
        file.failed = true
        return false
      }
      if (sections && !sections.includes(name)) {
        if (!name.startsWith('X-')) warn(line, `Unknown section '${name}'. Ignoring.`)
        section = undefined
        sectionIgnored = true
      } else {
        section = name
        sectionIgnored = false
      }
      return true
    }
    if (section === undefined) {
      if (!sectionIgnored) warn(line, 'Assignment outside of section. Ignoring.')
      return true
    }
    const equals = l.indexOf('=')
    if (equals < 0) warn(line, "Missing '=', ignoring line.")
    else if (equals === 0) warn(line, "Missing key name before '=', ignoring line.")
    else
      file.assignments.push({
        section,
        key: strip(l.slice(0, equals)),
        value: strip(l.slice(equals + 1)),
        file: path,
        line,
        endLine,
      })
    return true
  }

  for (let index = 0; index < lines.length; index++) {
    const lineNo = index + 1
    let l = lines[index] as string
    const firstNonBlank = l.replace(/^[ \t\n\r]+/, '')[0]
    if (firstNonBlank === '#' || firstNonBlank === ';') continue
    if (!bomSeen && l.startsWith('\uFEFF')) {
      l = l.slice(1)
      bomSeen = true
    }
    // What came before ends in a blank, so whether this line ends escaped depends on it alone;
    // the pieces are joined once, at the end: linear however many lines continue.
    let escaped = false
    for (const c of l) escaped = escaped ? false : c === '\\'
    if (escaped) {
      if (continuation === undefined) continuationLine = lineNo
      ;(continuation ??= []).push(`${l.slice(0, -1)} `)
      continue
    }
    const joined = continuation === undefined ? l : continuation.join('') + l
    if (!parseLine(joined, continuation === undefined ? lineNo : continuationLine, lineNo)) return file
    continuation = undefined
  }
  if (continuation !== undefined) parseLine(continuation.join(''), continuationLine, lines.length)
  return file
}

/** Split a value into words: blanks separate, single or double quotes group, a backslash escapes. */
function words(value: string): string[] {
  const out: string[] = []
  let word: string | undefined
  let quote: string | undefined
  for (let i = 0; i < value.length; i++) {
    const c = value[i] as string
    if (c === '\\' && i + 1 < value.length) {
      word = (word ?? '') + value[++i]
    } else if (quote) {
      if (c === quote) quote = undefined
      else word = (word ?? '') + c
    } else if (c === '"' || c === "'") {
      quote = c
      word ??= ''
    } else if (' \t\n\r'.includes(c)) {
      if (word !== undefined) out.push(word)
      word = undefined
    } else word = (word ?? '') + c
  }
  if (word !== undefined) out.push(word)
  return out
}

const BOOLEAN_TRUE = /^(1|yes|y|true|t|on)$/i
const BOOLEAN_FALSE = /^(0|no|n|false|f|off)$/i
/** Entries compare by name: a SystemCallFilter entry may carry `:errno`. */
const entryName = (entry: string) => entry.split(':')[0] as string

interface SetState {
  mode: 'allow' | 'deny'
  items: string[]
  except: string[]
}

function addItems(state: SetState, entries: string[], add: boolean): void {
  const names = new Set(entries.map(entryName))
  const unmatched = entries.filter(
    (entry) => !state.items.some((item) => entryName(item) === entryName(entry)),
  )
  state.items = state.items.filter((item) => !names.has(entryName(item)))
  state.except = state.except.filter((item) => !names.has(entryName(item)))
  if (add) state.items.push(...entries)
  else state.except.push(...unmatched)
}

type Combined = Omit<EffectiveDirective, 'section' | 'key' | 'kind' | 'assignments'>

/** Apply the assignments of one directive, in order, by its kind. */
function combine(kind: DirectiveKind, key: string, assignments: UnitAssignment[]): Combined {
  if (kind === 'scalar') {
    const last = assignments.at(-1)
    return {contributions: last ? [last] : [], value: last?.value ?? '', items: []}
  }
  // The index of the first assignment still in effect.
  let since = 0
  if (kind === 'list' || kind === 'lines') {
    let items: string[] = []
    assignments.forEach(({value}, index) => {
      if (value === '') {
        items = []
        since = index + 1
      } else items.push(...(kind === 'list' ? words(value) : [value]))
    })
    return {contributions: assignments.slice(since), value: items.join(' '), items}
  }
  let state: SetState | undefined
  // After RestrictAddressFamilies=none the next assignment starts a new list.
  let restart = false
  const start = (index: number, mode: SetState['mode'], items: string[]) => {
    state = {mode, items: [], except: []}
    addItems(state, items, true)
    since = index
  }
  assignments.forEach(({value}, index) => {
    const invert = value.startsWith('~')
    const entries = words(invert ? value.slice(1) : value)
    const mode = invert ? 'deny' : 'allow'
    if (value === '' && kind !== 'capabilities') {
      state = undefined
      since = index + 1
    } else if (kind === 'namespaces' && (BOOLEAN_TRUE.test(value) || BOOLEAN_FALSE.test(value)))
      start(index, BOOLEAN_TRUE.test(value) ? 'allow' : 'deny', [])
    else if (kind === 'filter' && key === 'RestrictAddressFamilies' && value === 'none') {
      start(index, 'allow', [])
      restart = true
    } else if (kind === 'capabilities') {
      // The bounding set starts full (deny nothing), the ambient set empty (allow nothing).
      const initial = key === 'CapabilityBoundingSet' ? 'deny' : 'allow'
      const atInitial = !state || (state.mode === initial && state.items.length === 0)
      if (entries.length === 0 || atInitial) start(index, mode, entries)
      else addItems(state as SetState, entries, (state as SetState).mode === mode)
    } else if (!state || restart) {
      start(index, mode, entries)
      restart = false
    } else addItems(state, entries, state.mode === mode)
  })
  const final = state as SetState | undefined
  return {
    contributions: assignments.slice(since),
    value: final?.items.join(' ') ?? '',
    items: final?.items ?? [],
    ...(final ? {mode: final.mode} : {}),
    ...(final && final.except.length > 0 ? {except: final.except} : {}),
  }
}

/** The effective value of every directive, applying the files in order (unit file first, then drop-ins). */
export function mergeDirectives(files: readonly UnitFile[]): EffectiveDirective[] {
  const bySlot = new Map<string, UnitAssignment[]>()
  for (const file of files)
    for (const assignment of file.assignments) {
      const slot = `${assignment.section}\n${assignment.key}`
      bySlot.set(slot, [...(bySlot.get(slot) ?? []), assignment])
    }
  return [...bySlot.values()].map((assignments) => {
    const {section, key} = assignments[0] as UnitAssignment
    const kind = Object.hasOwn(DIRECTIVE_KINDS, key) ? (DIRECTIVE_KINDS[key] as DirectiveKind) : 'scalar'
    return {section, key, kind, assignments, ...combine(kind, key, assignments)}
  })
}

/** The effective directive `key` of `section`, if the unit sets it. */
export function findDirective(
  unit: LoadedUnit,
  section: string,
  key: string,
): EffectiveDirective | undefined {
  return unit.directives.find((d) => d.section === section && d.key === key)
}

/**
 * The names whose `.d/` directories hold drop-ins for `name` within one search path directory
 * (`unit_file_find_dirs`): the name, its template, then each dash prefix (`a-b-c.service` also
 * reads `a-b-.service.d/` and `a-.service.d/`).
 */
function dropInNames(name: string): string[] {
  const names: string[] = []
  const visit = (current: string) => {
    names.push(current)
    const parsed = /^([^@]*)(?:@([^.]*))?\.([a-z]+)$/.exec(current)
    if (!parsed) return
    const [, prefixPart = '', instance, type = ''] = parsed
    const isInstance = instance !== undefined && instance !== ''
    if (isInstance) visit(`${prefixPart}@.${type}`)
    let prefix = prefixPart
    let chopped = false
    for (;;) {
      const dash = prefix.lastIndexOf('-')
      if (dash <= 0) return
      if (dash + 1 < prefix.length || chopped) {
        prefix = prefix.slice(0, dash + 1)
        break
      }
      prefix = prefix.slice(0, dash)
      chopped = true
    }
    visit(`${prefix}${isInstance ? `@${instance}` : ''}.${type}`)
  }
  visit(name)
  return names
}

const join = (dir: string, name: string) => `${dir.replace(/\/+$/, '')}/${name}`

/**
 * Load a unit as systemd does: the first `name` (or, for an instance, its template) along the search
 * path is the unit file (a symlink to /dev/null or an empty file masks the unit), then the `.conf`
 * drop-ins of every drop-in directory, a same-named file in an earlier directory hiding later ones,
 * applied in file-name order.
 */
export async function loadUnit(
  name: string,
  source: UnitFileSource,
  searchPath: readonly string[] = SYSTEM_UNIT_SEARCH_PATH,
): Promise<LoadedUnit> {
  const unit: LoadedUnit = {
    name,
    state: 'not-found',
    dropIns: [],
    shadowedDropIns: [],
    files: [],
    directives: [],
    diagnostics: [],
  }
  const quietly = async <T>(read: Promise<T>, fallback: T, path: string): Promise<T> => {
    try {
      return await read
    } catch (error) {
      unit.diagnostics.push({
        file: path,
        line: 1,
        severity: 'error',
        message: `cannot read: ${(error as Error).message}`,
      })
      return fallback
    }
  }
  const type = /\.([a-z]+)$/.exec(name)?.[1] ?? ''
  const sections = UNIT_SECTIONS[type]
  const template = /^([^@]+)@[^.]+(\.[a-z]+)$/.exec(name)
  const candidates = template ? [name, `${template[1]}@${template[2]}`] : [name]

  let fragment: {path: string; text: string} | undefined
  search: for (const candidate of candidates)
    for (const dir of searchPath) {
      const path = join(dir, candidate)
      const target = await quietly(source.readlink(path), undefined, path)
      const text = target === '/dev/null' ? '' : await quietly(source.read(path), undefined, path)
      if (text === undefined) continue
      unit.fragment = path
      if (text === '') {
        unit.state = 'masked'
        return unit
      }
      fragment = {path, text}
      break search
    }
  if (!fragment) return unit

  const dirs = [
    ...searchPath.flatMap((dir) => dropInNames(name).map((n) => join(dir, `${n}.d`))),
    ...(type ? searchPath.map((dir) => join(dir, `${type}.d`)) : []),
  ]
  const chosen = new Map<string, string>()
  for (const dir of dirs)
    for (const entry of await quietly(source.list(dir), [], dir)) {
      if (!entry.endsWith('.conf') || entry.startsWith('.')) continue
      const path = join(dir, entry)
      if (chosen.has(entry)) unit.shadowedDropIns.push(path)
      else chosen.set(entry, path)
    }
  unit.dropIns = [...chosen.keys()]
    .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))
    .map((entry) => chosen.get(entry) as string)

  const main = parseUnitFile(fragment.text, fragment.path, sections)
  unit.files.push(main)
  for (const path of unit.dropIns) {
    const target = await quietly(source.readlink(path), undefined, path)
    const text = target === '/dev/null' ? '' : await quietly(source.read(path), undefined, path)
    if (text !== undefined) unit.files.push(parseUnitFile(text, path, sections))
  }
  unit.state = main.failed ? 'error' : 'loaded'
  unit.diagnostics.push(...unit.files.flatMap((f) => f.diagnostics))
  unit.directives = mergeDirectives(unit.files)
  return unit
}
