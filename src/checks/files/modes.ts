import {KIND_NAMES} from '../../host/backend.js'
import type {FileStat} from '../../host/host.js'
import type {Severity} from '../types.js'
import type {Remedy} from '../remedy.js'

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
  /** Where the recommendation comes from (a public document, man page or upstream source). */
  reference: string
  /** A user that must be able to read the file for the service to start. */
  readBy?: {user: string; group: string; consequence: string}
  /** Judge the mode only against the concerns of its role, not against drift. */
  noDrift?: boolean
  /** What whoever can change (or, for a secret, read) the path gains: said in every finding. */
  stake?: string
  /**
   * The account the service itself runs as, and why that account gains nothing from changing the
   * path: its ownership or group write is then a low finding with that reason, not the check's.
   */
  service?: {account: string; why: string}
}

export interface Finding {
  concern: Concern
  message: string
  /** Set when it differs from the check's: who can exploit the path decides it. */
  severity?: Severity
  /** The exact command that makes the path what the rule recommends (absent when no command can: a wrong type). */
  fix?: string
  /** The same change as data (CheckResult.remedy). */
  remedy?: Remedy
}

export interface Observed {
  stat: FileStat
  owner: string
  group: string
  /** Where a symlink at the path led, when the rule followed one. */
  via?: string
}

/** The owner, group and mode a path should get: the rule's, keeping whatever of the present ones is acceptable. */
export interface Target {
  owner: string
  group: string
  mode: number
}

export function formatMode(mode: number): string {
  return '0' + (mode & 0o7777).toString(8).padStart(3, '0')
}

export function describe(observed: Observed): string {
  return `${formatMode(observed.stat.mode)} ${observed.owner}:${observed.group}`
}

/** `0640 root:pcp` */
export function describeTarget(target: Target): string {
  return `${formatMode(target.mode)} ${target.owner}:${target.group}`
}

const OTHER_ANY = 0o007
const OTHER_WRITE = 0o002
const OTHER_EXEC = 0o001
const GROUP_READ = 0o040
const GROUP_WRITE = 0o020
const OWNER_READ = 0o400
const STICKY = 0o1000

/**
 * What the path should become: an acceptable present owner and group are kept, others replaced by
 * the rule's first; the mode loses the bits the rule does not allow, and gains the ones the
 * service needs (the reader of a key, the container on the proxy socket), so that applying it
 * removes every finding of the path and adds none.
 */
export function recommend(rule: PathRule, observed: Observed): Target {
  let owner = rule.owners.includes(observed.owner) ? observed.owner : (rule.owners[0] as string)
  let group = rule.groups.includes(observed.group) ? observed.group : (rule.groups[0] as string)
  let mode = observed.stat.mode & rule.mode & 0o777
  if (rule.role === 'socket-dir' || rule.role === 'socket') mode = rule.mode
  else if (rule.type === 'dir') mode |= 0o700
  else mode |= OWNER_READ
  if (rule.readBy) {
    const reader = rule.readBy
    if (owner === reader.user) mode |= OWNER_READ
    else {
      if (!rule.owners.includes(owner)) owner = rule.owners[0] as string
      group = reader.group
      mode |= GROUP_READ | OWNER_READ
    }
  }
  return {owner, group, mode: mode & rule.mode}
}

const SAFE_WORD = /^[A-Za-z0-9_./:@%+=,-]+$/

function shellWord(word: string): string {
  return SAFE_WORD.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`
}

/** The chown and chmod that turn what was seen into the target (the path as on the host). */
export function fixCommand(path: string, observed: Observed, target: Target): string | undefined {
  const steps: string[] = []
  const where = shellWord(path)
  if (target.owner !== observed.owner || target.group !== observed.group)
    steps.push(`chown ${target.owner}:${target.group} ${where}`)
  if (target.mode !== (observed.stat.mode & 0o7777)) steps.push(`chmod ${formatMode(target.mode)} ${where}`)
  return steps.length === 0 ? undefined : steps.join(' && ')
}

/** The same change as data: only what differs from what was seen. */
export function fixRemedy(path: string, observed: Observed, target: Target): Remedy | undefined {
  const chown = target.owner !== observed.owner || target.group !== observed.group
  const chmod = target.mode !== (observed.stat.mode & 0o7777)
  if (!chown && !chmod) return undefined
  return {
    kind: 'attrs',
    path,
    ...(chown ? {owner: target.owner, group: target.group} : {}),
    ...(chmod ? {mode: target.mode} : {}),
  }
}

/** Judge one observed path against its rule: every weakness it shows, by concern. */
export function evaluate(rule: PathRule, observed: Observed): Finding[] {
  const {stat, owner, group} = observed
  const mode = stat.mode
  const target = recommend(rule, observed)
  const fix = fixCommand(rule.path, observed, target)
  const remedy = fixRemedy(rule.path, observed, target)
  const found = `found ${describe(observed)}`
  const expected = `expected ${describeTarget(target)}`
  const findings: Finding[] = []
  const add = (concern: Concern, what: string, why?: string, severity?: Severity) =>
    findings.push({
      concern,
      message: `${what}${why ? `: ${why}` : ''}; ${expected}, ${found}`,
      ...(severity ? {severity} : {}),
      ...(fix ? {fix} : {}),
      ...(remedy ? {remedy} : {}),
    })
  const stake = rule.stake

  if (stat.type !== rule.type) {
    findings.push({
      concern: 'wrong-type',
      message: `is ${KIND_NAMES[stat.type]}, expected ${KIND_NAMES[rule.type]}${observed.via ? ` (reached through ${observed.via})` : ''}`,
    })
    return findings
  }

  const ownerOk = rule.owners.includes(owner) || owner === 'root'
  const groupOk = rule.groups.includes(group) || group === 'root'
  const service = rule.service
  /**
   * Where the service's own account is set apart (PCP's TLS and daemon configuration), that
   * account is low with its reason and one other user or group medium (less than every user);
   * elsewhere (the proxy's keys) any other writer keeps the check's severity.
   */
  const changedBy = (what: string, account: string) =>
    service === undefined
      ? add('writable', what, stake)
      : account === service.account
        ? add('writable', what, service.why, 'low')
        : add('writable', what, stake, 'medium')

  switch (rule.role) {
    case 'private-key':
    case 'secret': {
      if (mode & 0o004) add('exposed', 'readable by every user', stake)
      else if (mode & OTHER_ANY) add('exposed', 'accessible by every user', stake)
      else if (mode & (GROUP_READ | GROUP_WRITE) && !groupOk)
        add('exposed', `readable by the members of group ${group}`, stake, 'high')
      else if (!ownerOk) add('exposed', `owned by ${owner}, who can read it`, stake, 'high')
      break
    }
    case 'root-config': {
      if (mode & OTHER_WRITE && !(rule.type === 'dir' && mode & STICKY))
        add('writable', 'writable by every user', stake)
      else if (mode & GROUP_WRITE && group !== 'root')
        add('writable', `writable by the members of group ${group}`, stake)
      else if (owner !== 'root') add('writable', `owned by ${owner}, who can change it`, stake)
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
      if (worldWritable && rule.role !== 'socket') add('writable', 'writable by every user', stake)
      else if (mode & GROUP_WRITE && !groupOk && rule.role !== 'socket')
        changedBy(`writable by the members of group ${group}`, group)
      else if (!ownerOk) changedBy(`owned by ${owner}, who can change it`, owner)
      break
    }
    case 'log-dir':
    case 'log-file': {
      if (mode & OTHER_WRITE) add('world-writable', 'writable by every user', stake)
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
    add('drift', `not readable by ${rule.readBy.user}`, rule.readBy.consequence)
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
