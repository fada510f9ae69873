import type {FileStat, FileType} from '../../host/host.js'

/**
 * What a path is for decides which weaknesses in its mode and owner matter:
 * - private-key, secret: nobody but the owner (and the service's group) may read it;
 * - root-config: read by a process running as root, so only root may change it;
 * - trusted: decides whom the service trusts (TLS, SASL, proxy config): only its owners may change it;
 * - state-dir, key-dir, public-key: the service's own state: only the service (or root) may change it;
 * - log-dir, log-file: shared logs, never writable by everybody;
 * - socket-dir, socket: the proxy's socket, reached by the container as "other".
 */
export type Role =
  | 'private-key'
  | 'secret'
  | 'root-config'
  | 'trusted'
  | 'state-dir'
  | 'key-dir'
  | 'public-key'
  | 'log-dir'
  | 'log-file'
  | 'socket-dir'
  | 'socket'

/** The kinds of weakness a path can show; each is judged by its own check. */
export type Concern = 'exposed' | 'writable' | 'world-writable' | 'wrong-type' | 'unreachable' | 'drift'

export interface PathRule {
  path: string
  type: 'file' | 'dir' | 'socket'
  role: Role
  /** The recommended mode: anything looser is drift. */
  mode: number
  /** Acceptable owners and groups; the first is the recommended one. */
  owners: readonly string[]
  groups: readonly string[]
  /** Where the recommendation comes from. */
  reference: string
  /** A user that must be able to read the file for the service to start. */
  readBy?: {user: string; group: string; consequence: string}
  /** Judge the mode only against the concerns of its role, not against drift. */
  noDrift?: boolean
}

export interface Finding {
  concern: Concern
  message: string
}

export interface Observed {
  stat: FileStat
  owner: string
  group: string
  /** Where a symlink at the path led, when the rule followed one. */
  via?: string
}

const TYPE_WORDS: Record<FileType, string> = {
  file: 'a regular file',
  dir: 'a directory',
  symlink: 'a symbolic link',
  socket: 'a socket',
  fifo: 'a FIFO',
  char: 'a character device',
  block: 'a block device',
}

export function formatMode(mode: number): string {
  return '0' + (mode & 0o7777).toString(8).padStart(3, '0')
}

export function describe(observed: Observed): string {
  return `${formatMode(observed.stat.mode)} ${observed.owner}:${observed.group}`
}

export function expectation(rule: PathRule): string {
  return `${formatMode(rule.mode)} ${rule.owners[0]}:${rule.groups[0]}`
}

const OTHER_ANY = 0o007
const OTHER_WRITE = 0o002
const OTHER_EXEC = 0o001
const GROUP_READ = 0o040
const GROUP_WRITE = 0o020
const STICKY = 0o1000

/** Judge one observed path against its rule: every weakness it shows, by concern. */
export function evaluate(rule: PathRule, observed: Observed): Finding[] {
  const {stat, owner, group} = observed
  const mode = stat.mode
  const found = `found ${describe(observed)}`
  const expected = `expected ${expectation(rule)}`
  const findings: Finding[] = []
  const add = (concern: Concern, what: string) =>
    findings.push({concern, message: `${what}: ${expected}, ${found}`})

  if (stat.type !== rule.type) {
    findings.push({
      concern: 'wrong-type',
      message: `is ${TYPE_WORDS[stat.type]}, expected ${TYPE_WORDS[rule.type]}${observed.via ? ` (reached through ${observed.via})` : ''}`,
    })
    return findings
  }

  const ownerOk = rule.owners.includes(owner) || owner === 'root'
  const groupOk = rule.groups.includes(group) || group === 'root'

  switch (rule.role) {
    case 'private-key':
    case 'secret': {
      if (mode & OTHER_ANY)
        add('exposed', mode & 0o004 ? 'readable by every user' : 'accessible by every user')
      else if (mode & (GROUP_READ | GROUP_WRITE) && !groupOk) add('exposed', `readable by group ${group}`)
      else if (!ownerOk) add('exposed', `owned by ${owner}, who can read it`)
      break
    }
    case 'root-config': {
      if (mode & OTHER_WRITE && !(rule.type === 'dir' && mode & STICKY))
        add('writable', 'writable by every user')
      else if (mode & GROUP_WRITE && group !== 'root') add('writable', `writable by group ${group}`)
      else if (owner !== 'root') add('writable', `owned by ${owner}, who can change it`)
      break
    }
    case 'trusted':
    case 'state-dir':
    case 'key-dir':
    case 'public-key':
    case 'socket-dir':
    case 'socket': {
      const worldWritable = mode & OTHER_WRITE && !(rule.type === 'dir' && mode & STICKY)
      // A socket has to be connectable by the container (others): write on it is expected.
      if (worldWritable && rule.role !== 'socket') add('writable', 'writable by every user')
      else if (mode & GROUP_WRITE && !groupOk && rule.role !== 'socket')
        add('writable', `writable by group ${group}`)
      else if (!ownerOk) add('writable', `owned by ${owner}, who can change it`)
      break
    }
    case 'log-dir':
    case 'log-file': {
      if (mode & OTHER_WRITE) add('world-writable', 'writable by every user')
      break
    }
  }

  if (rule.role === 'socket-dir' && !(mode & OTHER_EXEC)) {
    add('unreachable', 'the container cannot enter it (no execute permission for others)')
  }
  if (rule.role === 'socket' && (mode & 0o006) !== 0o006) {
    add('unreachable', 'the container cannot connect to it (no read/write permission for others)')
  }

  if (rule.readBy && !canRead(rule.readBy, observed)) {
    add('drift', `not readable by ${rule.readBy.user}, ${rule.readBy.consequence}`)
  }

  if (!rule.noDrift && findings.length === 0) {
    const extra = mode & ~rule.mode & 0o7777
    if (extra)
      add('drift', `mode ${formatMode(mode)} is looser than the recommended ${formatMode(rule.mode)}`)
    else if (!rule.owners.includes(owner) || !rule.groups.includes(group))
      add('drift', `owner differs from the recommended one`)
  }
  return findings
}

function canRead(reader: {user: string; group: string}, {stat, owner, group}: Observed): boolean {
  if (reader.user === 'root') return true
  if (owner === reader.user) return (stat.mode & 0o400) !== 0
  if (group === reader.group) return (stat.mode & 0o040) !== 0
  return (stat.mode & 0o004) !== 0
}
