import path from 'node:path'

import type {Host} from '../../host/host.js'

export const SSHD_CONFIG = '/etc/ssh/sshd_config'

/** What sshd's configuration says about the authorized_keys files it reads, with where it says it. */
export interface AuthorizedKeysSettings {
  /** AuthorizedKeysFile patterns (`%h`, `%u`, `%U`, `%%`; relative to the home directory). */
  files: string[]
  strictModes: boolean
  /** Where each setting came from (`/etc/ssh/sshd_config:12`), absent for sshd's defaults. */
  sources: {files?: string; strictModes?: string}
}

const DEFAULT_FILES = ['.ssh/authorized_keys', '.ssh/authorized_keys2']
const MAX_INCLUDE_DEPTH = 16

/** The words of a config line as sshd splits them: blanks separate, double quotes group, `#` starts a comment. */
function words(line: string): string[] {
  const out: string[] = []
  const re = /"([^"]*)"|([^\s"]+)/g
  for (let m = re.exec(line); m; m = re.exec(line)) {
    if (m[2]?.startsWith('#')) break
    out.push(m[1] ?? (m[2] as string))
  }
  return out
}

/** A glob of Include (`*`, `?` in the last component), as a test for a file name. */
function globTest(pattern: string): (name: string) => boolean {
  const re = new RegExp(
    `^${pattern
      .replace(/[.+^${}()|[\]\\]/g, '\\$&')
      .replace(/\*/g, '.*')
      .replace(/\?/g, '.')}$`,
  )
  return (name) => re.test(name)
}

/**
 * AuthorizedKeysFile and StrictModes as sshd reads them from the root's /etc/ssh/sshd_config: the first
 * value wins, Include files (relative to /etc/ssh, globs in lexical order) are read where they stand,
 * and settings inside a Match block (to the end of its file) are left out: they apply to some
 * connections only.
 */
export async function authorizedKeysSettings(host: Host): Promise<AuthorizedKeysSettings> {
  const settings: AuthorizedKeysSettings = {files: DEFAULT_FILES, strictModes: true, sources: {}}
  // Each file is read once: the first value of a setting wins, so a second reading of a file could
  // set nothing new, and files that include each other cost one reading each, not 3^16.
  const done = new Set<string>()
  const reading: string[] = []
  const read = async (file: string, depth: number): Promise<void> => {
    if (reading.includes(file))
      throw new Error(
        `${reading.at(-1)}: Include cycle through ${file}: sshd stops with "Too many recursive configuration includes" and does not start`,
      )
    if (depth > MAX_INCLUDE_DEPTH)
      throw new Error(
        `${reading.at(-1)}: Includes nested deeper than ${MAX_INCLUDE_DEPTH}: sshd stops with "Too many recursive configuration includes" and does not start`,
      )
    if (done.has(file)) return
    done.add(file)
    reading.push(file)
    try {
      await readOnce(file, depth)
    } finally {
      reading.pop()
    }
  }
  const readOnce = async (file: string, depth: number): Promise<void> => {
    const text = await host.readText(file)
    // A config sshd would read but we cannot: no guess at what it says.
    if (!text.ok && !text.missing) throw new Error(text.message)
    if (!text.ok) return
    const lines = text.value.split('\n')
    for (const [index, raw] of lines.entries()) {
      const [first, ...rest] = words(raw.replace(/^\s*(\S+?)\s*=\s*/, '$1 '))
      const keyword = first?.toLowerCase()
      if (keyword === undefined) continue
      if (keyword === 'match') return
      const where = `${file}:${index + 1}`
      if (keyword === 'include') {
        for (const pattern of rest) {
          const full = path.posix.resolve('/etc/ssh', pattern)
          const dir = path.posix.dirname(full)
          const base = path.posix.basename(full)
          if (!/[*?]/.test(base)) await read(full, depth + 1)
          else {
            const listing = await host.list(dir)
            const matches = listing.ok ? listing.value.filter(globTest(base)) : []
            for (const name of matches) await read(`${dir}/${name}`, depth + 1)
          }
        }
      } else if (
        keyword === 'authorizedkeysfile' &&
        settings.sources.files === undefined &&
        rest.length > 0
      ) {
        settings.files = rest.length === 1 && rest[0]?.toLowerCase() === 'none' ? [] : rest
        settings.sources.files = where
      } else if (keyword === 'strictmodes' && settings.sources.strictModes === undefined && rest[0]) {
        settings.strictModes = rest[0].toLowerCase() !== 'no'
        settings.sources.strictModes = where
      }
    }
  }
  await read(SSHD_CONFIG, 0)
  return settings
}

/** One AuthorizedKeysFile pattern for a user: tokens expanded, relative to the home directory. */
export function expandKeysFile(
  pattern: string,
  user: {name: string; id: number; home: string},
): string | undefined {
  let unknownToken = false
  const expanded = pattern.replace(/%(.)/g, (_, token: string) => {
    if (token === '%') return '%'
    if (token === 'h') return user.home
    if (token === 'u') return user.name
    if (token === 'U') return String(user.id)
    unknownToken = true
    return ''
  })
  if (unknownToken) return undefined
  return path.posix.normalize(expanded.startsWith('/') ? expanded : `${user.home}/${expanded}`)
}
