import type {Host} from '../host/host.js'

/** pmproxy's own file: $PCP_SYSCONF_DIR/pmproxy/pmproxy.conf. */
export const PMPROXY_CONF = '/etc/pcp/pmproxy/pmproxy.conf'
/** The rc script's working directory (`cd $PCP_LOG_DIR/pmproxy`), where pmproxy also reads ./pmproxy.conf. */
export const PMPROXY_RUN_DIR = '/var/log/pcp/pmproxy'

/**
 * The files pmproxy reads, in order, later settings winning (pmIniFileParse in
 * src/libpcp_web/src/config.c): its own, then $HOME/.pmproxy.conf and $HOME/.pcp/pmproxy.conf of
 * the user it runs as, then ./pmproxy.conf in its working directory.
 */
export function pmproxyConfPaths(home: string | undefined): string[] {
  const inHome = home ? [`${home}/.pmproxy.conf`, `${home}/.pcp/pmproxy.conf`] : []
  return [PMPROXY_CONF, ...inHome, `${PMPROXY_RUN_DIR}/pmproxy.conf`]
}

/** One call of inih's handler: a key, or an indented line continuing the previous key. */
export interface IniSetting {
  /** The section as written, case kept ("" before the first header). */
  section: string
  key: string
  value: string
  line: number
  /** An indented line that inih hands to the previous key; pmproxy keeps it as that key's whole value. */
  continuation: boolean
}

/** A line inih reports as an error or reads other than it looks. */
export interface IniProblem {
  line: number
  message: string
}

export interface PmproxyConf {
  path: string
  settings: IniSetting[]
  sections: {name: string; line: number}[]
  problems: IniProblem[]
}

/** inih as PCP builds it: fgets into INI_MAX_LINE (200) bytes, section and key names of MAX_NAME (50). */
const LINE_BYTES = 199
const ABYSS_BYTES = 15
const NAME_BYTES = 49
const NEWLINE = 0x0a

/** C isspace(3) in the C locale. */
const isSpace = (byte: number | undefined) =>
  byte === 0x20 || (byte !== undefined && byte >= 0x09 && byte <= 0x0d)

/** fgets(3): up to `size` bytes, through the first newline. */
function fgets(bytes: Buffer, from: number, size: number): Buffer {
  let end = from
  while (end < bytes.length && end - from < size) if (bytes[end++] === NEWLINE) break
  return bytes.subarray(from, end)
}

/** The C string in a buffer: up to its first NUL. */
function cString(chunk: Buffer): Buffer {
  const nul = chunk.indexOf(0)
  return nul < 0 ? chunk : chunk.subarray(0, nul)
}

function lskip(bytes: Buffer): Buffer {
  let start = 0
  while (isSpace(bytes[start])) start++
  return bytes.subarray(start)
}

function rstrip(bytes: Buffer): Buffer {
  let end = bytes.length
  while (end > 0 && isSpace(bytes[end - 1])) end--
  return bytes.subarray(0, end)
}

/**
 * inih's ini_find_chars_or_comment: the index of the first of `chars`, or of a `;` that follows
 * whitespace (an inline comment), or the end.
 */
function findCharsOrComment(bytes: Buffer, from: number, chars: string): number {
  let wasSpace = false
  let i = from
  for (; i < bytes.length; i++) {
    const byte = bytes[i] as number
    if (chars.includes(String.fromCharCode(byte)) || (wasSpace && byte === 0x3b)) break
    wasSpace = isSpace(byte)
  }
  return i
}

const text = (bytes: Buffer) => bytes.toString('utf8')

/**
 * Parse pmproxy.conf exactly as inih (INI_MAX_LINE 200, multi-line on, `;` and `#` comments at the
 * start of a line, `;` inline comments after whitespace, no keys without values) reads it for
 * libpcp_web's dict_handler: byte by byte, as fgets hands it over (a longer line keeps its first 199
 * bytes, a NUL ends a line's text). Section and key names keep their case: pmproxy looks them up
 * case-sensitively. Lines are the file's physical lines.
 */
export function parsePmproxyConf(source: string, path = PMPROXY_CONF): PmproxyConf {
  const conf: PmproxyConf = {path, settings: [], sections: [], problems: []}
  const bytes = Buffer.from(source, 'utf8')
  let section = ''
  let previousKey = ''
  let position = 0
  let physical = 1
  for (let first = true; position < bytes.length; first = false) {
    const chunk = fgets(bytes, position, LINE_BYTES)
    position += chunk.length
    const line = physical
    if (chunk.at(-1) === NEWLINE) physical++
    const problem = (message: string) => conf.problems.push({line, message})
    let content = cString(chunk)
    if (content.length === LINE_BYTES && content.at(-1) !== NEWLINE) {
      let lost = 0
      while (position < bytes.length) {
        const abyss = fgets(bytes, position, ABYSS_BYTES)
        position += abyss.length
        if (abyss.at(-1) === NEWLINE) physical++
        lost += abyss.length
        const piece = cString(abyss)
        if (piece.length > 0 && piece.at(-1) === NEWLINE) break
      }
      if (lost > 1) problem(`longer than ${LINE_BYTES} bytes: pmproxy reads only the first ${LINE_BYTES}`)
    }
    if (first && content[0] === 0xef && content[1] === 0xbb && content[2] === 0xbf)
      content = content.subarray(3)
    const start = rstrip(lskip(content))
    const indented = start.length > 0 && start.byteOffset > chunk.byteOffset
    const lead = start[0]
    if (lead === undefined || lead === 0x3b || lead === 0x23) continue
    if (previousKey && indented) {
      const value = text(rstrip(start.subarray(0, findCharsOrComment(start, 0, ''))))
      conf.settings.push({section, key: previousKey, value, line, continuation: true})
      problem(`an indented line continues "${previousKey}": pmproxy keeps only "${value}" as its value`)
      continue
    }
    if (lead === 0x5b) {
      const end = findCharsOrComment(start, 1, ']')
      if (start[end] !== 0x5d) {
        problem('no "]" closes the section name: pmproxy ignores the line')
        continue
      }
      section = text(start.subarray(1, Math.min(end, 1 + NAME_BYTES)))
      previousKey = ''
      conf.sections.push({name: section, line})
      continue
    }
    const end = findCharsOrComment(start, 0, '=:')
    if (start[end] !== 0x3d && start[end] !== 0x3a) {
      problem('no "=" or ":": pmproxy ignores the line')
      continue
    }
    const key = rstrip(start.subarray(0, end))
    const rest = start.subarray(end + 1)
    const value = text(rstrip(lskip(rest.subarray(0, findCharsOrComment(rest, 0, '')))))
    previousKey = text(key.subarray(0, NAME_BYTES))
    conf.settings.push({section, key: text(key), value, line, continuation: false})
  }
  return conf
}

/** A setting as pmproxy ends up with it, and the file that gave it. */
export interface EffectiveSetting extends IniSetting {
  file: string
}

/**
 * pmproxy's configuration dictionary: every handler call replaces the entry `section.key`
 * (dictReplace in dict_handler), across files in reading order, so the last one wins.
 */
export function effectiveSettings(confs: readonly PmproxyConf[]): Map<string, EffectiveSetting> {
  const settings = new Map<string, EffectiveSetting>()
  for (const conf of confs)
    for (const setting of conf.settings)
      settings.set(`${setting.section}.${setting.key}`, {...setting, file: conf.path})
  return settings
}

/** pmIniFileLookup: the value of `section.key`, exactly as pmproxy looks it up. */
export function lookupSetting(
  settings: ReadonlyMap<string, EffectiveSetting>,
  section: string,
  key: string,
): EffectiveSetting | undefined {
  return settings.get(`${section}.${key}`)
}

/** A pmproxy.conf on the host: parsed, absent, or unreadable. */
export type PmproxyConfFile =
  | {path: string; state: 'present'; conf: PmproxyConf}
  | {path: string; state: 'missing'}
  | {path: string; state: 'error'; message: string}

/** Read the files pmproxy would read, in its order. */
export async function readPmproxyConfs(host: Host, paths: readonly string[]): Promise<PmproxyConfFile[]> {
  return Promise.all(
    paths.map(async (path): Promise<PmproxyConfFile> => {
      const text = await host.readText(path)
      if (text.ok) return {path, state: 'present', conf: parsePmproxyConf(text.value, path)}
      return text.missing ? {path, state: 'missing'} : {path, state: 'error', message: text.message}
    }),
  )
}
