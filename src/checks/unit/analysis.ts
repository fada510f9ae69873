import {KIND_NAMES} from '../../host/backend.js'
import type {Host} from '../../host/host.js'
import {
  type EffectiveDirective,
  findDirective,
  type LoadedUnit,
  loadUnit,
  SYSTEM_UNIT_SEARCH_PATH,
  type UnitAssignment,
  type UnitFileSource,
} from '../../parsers/systemd-unit.js'
import {type Finding, type Outcome, perHost} from '../family.js'
import {withRemedy} from '../remedy.js'
import {attachUnitRemedies, MOVED_ASIDE, type UnitFinding, userRemedy} from './remedy.js'

export const PROXY_UNIT_NAME = 'pulse-sensor-proxy.service'
export const PROXY_USER = 'pulse-sensor-proxy'
export const PROXY_DEFAULTS_FILE = '/etc/default/pulse-sensor-proxy'

/** Which unit to judge: the proxy's unit along the system search path, or one file being linted. */
export interface UnitTarget {
  name: string
  searchPath: readonly string[]
  /** Whether to judge the host's /etc/default/pulse-sensor-proxy (not for a single file). */
  defaultsFile: boolean
}

export const PROXY_UNIT: UnitTarget = {
  name: PROXY_UNIT_NAME,
  searchPath: SYSTEM_UNIT_SEARCH_PATH,
  defaultsFile: true,
}

export interface UnitAnalysis {
  unit: LoadedUnit
  /** The unit file in effect. */
  fragment: string
  /** The files read, unit file first, with their text (for systemd-analyze). */
  texts: {path: string; text: string}[]
  /** What the defaults file sets, and the assignment that loads it, when the unit loads it. */
  defaults?: {present: boolean; loadedBy?: UnitAssignment; variables: {name: string; line: number}[]}
}

/** The unit files of a host, read through its chroot-style view. */
export function hostUnitSource(host: Host): UnitFileSource {
  return {
    async read(path) {
      const st = await host.stat(path, {follow: true})
      if (!st.ok) {
        if (!st.missing) throw new Error(st.message)
        return undefined
      }
      // A FIFO or a directory where the unit file is: an error that says so, never "no unit".
      if (st.value.type !== 'file') throw new Error(`not a regular file (${KIND_NAMES[st.value.type]})`)
      const text = await host.readText(path)
      if (text.ok) return text.value
      if (text.missing) return undefined
      throw new Error(text.message)
    },
    async list(dir) {
      const names = await host.list(dir)
      if (names.ok) return names.value
      if (names.missing) return []
      throw new Error(names.message)
    },
    async readlink(path) {
      const st = await host.stat(path)
      if (!st.ok || st.value.type !== 'symlink') return undefined
      const target = await host.readlink(path)
      return target.ok ? target.value : undefined
    },
  }
}

/** The assignment a finding points at: the last one in effect, or the reset that emptied the directive. */
export function sourceOf(d: EffectiveDirective): UnitAssignment {
  return (d.contributions.at(-1) ?? d.assignments.at(-1)) as UnitAssignment
}

const TRUE = /^(1|yes|y|true|t|on)$/i

type Judge = (d: EffectiveDirective | undefined) => string | undefined

const booleanTrue =
  (key: string): Judge =>
  (d) => {
    if (!d || d.value === '') return `${key} is not set (default: off)`
    return TRUE.test(d.value) ? undefined : `${key}=${d.value}: expected ${key}=true`
  }

/** A directive, what it must be, and why a weaker value matters. */
interface Requirement {
  check: string
  key: string
  judge: Judge
}

/** The Pulse proxy hardening guide "Systemd Unit Security": the sandbox of the file system and of privileges. */
const SANDBOX: Requirement[] = [
  {check: 'PSP-UNIT-002', key: 'NoNewPrivileges', judge: booleanTrue('NoNewPrivileges')},
  {
    check: 'PSP-UNIT-002',
    key: 'ProtectSystem',
    judge: (d) =>
      d?.value === 'strict'
        ? undefined
        : !d || d.value === ''
          ? 'ProtectSystem is not set: the whole file system is writable to the service'
          : `ProtectSystem=${d.value}: only "strict" makes /etc and /var read-only too`,
  },
  {
    check: 'PSP-UNIT-002',
    key: 'ProtectHome',
    // The real installer writes read-only: /home, /root and /run/user stay unwritable, which is safe.
    judge: (d) =>
      d && (TRUE.test(d.value) || d.value === 'read-only' || d.value === 'tmpfs')
        ? undefined
        : !d || d.value === ''
          ? 'ProtectHome is not set: /home, /root and /run/user are open to the service'
          : `ProtectHome=${d.value}: expected true (or read-only)`,
  },
  {check: 'PSP-UNIT-002', key: 'PrivateTmp', judge: booleanTrue('PrivateTmp')},
]

/**
 * The socket, SSH to the nodes, and netlink: the proxy finds its own addresses with Go's
 * net.Interfaces (netlink), and Pulse's installer allows AF_NETLINK for it (4.x unit).
 */
const ADDRESS_FAMILIES = ['AF_UNIX', 'AF_INET', 'AF_INET6', 'AF_NETLINK']

/** The groups systemd.exec(5) lists that @system-service does not include: adding one widens the filter. */
const PRIVILEGED_SYSCALL_GROUPS = [
  '@clock',
  '@cpu-emulation',
  '@debug',
  '@module',
  '@mount',
  '@obsolete',
  '@privileged',
  '@raw-io',
  '@reboot',
  '@swap',
]

/** The Pulse proxy hardening guide: what the kernel lets the service do (system calls, capabilities, sockets). */
const KERNEL_SURFACE: Requirement[] = [
  {
    check: 'PSP-UNIT-003',
    key: 'SystemCallFilter',
    judge: (d) => {
      if (!d || !d.mode)
        return d && d.assignments.length > 0
          ? 'SystemCallFilter= is reset by an empty assignment: every system call is allowed'
          : 'SystemCallFilter is not set: every system call is allowed'
      if (d.mode === 'deny')
        return `SystemCallFilter=~${d.value} is a deny list only: every other system call is allowed; expected the allow list @system-service`
      if (!d.items.includes('@system-service'))
        return `SystemCallFilter=${d.value}: expected the allow list @system-service`
      const added = d.items.filter((item) => PRIVILEGED_SYSCALL_GROUPS.includes(item.split(':')[0] as string))
      return added.length === 0
        ? undefined
        : `SystemCallFilter also allows ${added.join(' ')}: groups @system-service leaves out on purpose`
    },
  },
  {
    check: 'PSP-UNIT-003',
    key: 'CapabilityBoundingSet',
    judge: (d) => {
      if (!d) return 'CapabilityBoundingSet is not set: the bounding set keeps every capability'
      if (d.mode === 'allow' && d.items.length === 0) return undefined
      return d.mode === 'deny'
        ? `CapabilityBoundingSet=~${d.value}: every other capability stays in the bounding set; expected it empty (CapabilityBoundingSet=)`
        : `CapabilityBoundingSet=${d.value}: expected it empty (CapabilityBoundingSet=), the proxy needs no capability`
    },
  },
  {
    check: 'PSP-UNIT-003',
    key: 'RestrictAddressFamilies',
    judge: (d) => {
      if (!d || !d.mode)
        return d && d.assignments.length > 0
          ? 'RestrictAddressFamilies= is reset by an empty assignment: every socket family is allowed'
          : 'RestrictAddressFamilies is not set: every socket family is allowed'
      if (d.mode === 'deny')
        return `RestrictAddressFamilies=~${d.value} is a deny list: every other family is allowed; expected AF_UNIX AF_INET AF_INET6`
      const extra = d.items.filter((f) => !ADDRESS_FAMILIES.includes(f))
      return extra.length === 0
        ? undefined
        : `RestrictAddressFamilies also allows ${extra.join(' ')}: expected AF_UNIX AF_INET AF_INET6 (and AF_NETLINK) only`
    },
  },
]

/** systemd.exec(5): the further directives that take the score from 4.2 to 1.9. */
const FURTHER: Requirement[] = [
  ...[
    'ProtectKernelTunables',
    'ProtectKernelModules',
    'ProtectKernelLogs',
    'ProtectControlGroups',
    'ProtectClock',
    'PrivateDevices',
    'RestrictSUIDSGID',
    'LockPersonality',
    'RestrictRealtime',
  ].map((key) => ({check: 'PSP-UNIT-004', key, judge: booleanTrue(key)})),
  {
    check: 'PSP-UNIT-004',
    key: 'RestrictNamespaces',
    judge: (d) =>
      d?.mode === 'allow' && d.items.length === 0
        ? undefined
        : !d || !d.mode
          ? 'RestrictNamespaces is not set: the service may create every kind of namespace'
          : `RestrictNamespaces=${d.mode === 'deny' ? '~' : ''}${d.value}: expected RestrictNamespaces=true`,
  },
  {
    check: 'PSP-UNIT-004',
    key: 'SystemCallArchitectures',
    judge: (d) =>
      d && d.items.length === 1 && d.items[0] === 'native'
        ? undefined
        : !d || d.items.length === 0
          ? 'SystemCallArchitectures is not set: system calls of every architecture (x32, i386) are allowed'
          : `SystemCallArchitectures=${d.value}: expected native only`,
  },
]

/**
 * One finding for each directive set to a weaker value (at the line in effect), and one for all the
 * directives the unit does not set at all (at the unit file: there is no line to point at).
 */
function judgeRequirements(unit: LoadedUnit, fragment: string, requirements: Requirement[]): UnitFinding[] {
  const missing: {check: string; key: string; problem: string}[] = []
  const findings = requirements.flatMap(({check, key, judge}): UnitFinding[] => {
    const d = findDirective(unit, 'Service', key)
    const problem = judge(d)
    if (!problem) return []
    if (!d) {
      missing.push({check, key, problem})
      return []
    }
    const at = sourceOf(d)
    return [
      {check, path: at.file, line: at.line, message: problem, evidence: `${at.key}=${at.value}`, keys: [key]},
    ]
  })
  const [first] = missing
  if (first)
    findings.push({
      check: first.check,
      path: fragment,
      message: missing.map((m) => m.problem).join('; '),
      keys: missing.map((m) => m.key),
    })
  return findings
}

/** PSP-UNIT-001: the service runs as its own unprivileged user. */
function judgeUser(unit: LoadedUnit, fragment: string): Finding[] {
  const check = 'PSP-UNIT-001'
  const user = findDirective(unit, 'Service', 'User')
  const dynamic = findDirective(unit, 'Service', 'DynamicUser')
  if (dynamic && TRUE.test(dynamic.value)) {
    const at = sourceOf(dynamic)
    return [
      {
        check,
        path: at.file,
        line: at.line,
        message: `DynamicUser=${dynamic.value}: the service runs as a transient user that does not own the proxy's keys; expected User=${PROXY_USER}`,
        evidence: `DynamicUser=${dynamic.value}`,
      },
    ]
  }
  if (!user) return [{check, path: fragment, message: `no User=: the service runs as root`}]
  const at = sourceOf(user)
  const where = {check, path: at.file, line: at.line, evidence: `User=${user.value}`}
  if (user.value === '') return [{...where, message: 'User= is reset to empty: the service runs as root'}]
  if (user.value === 'root' || user.value === '0')
    return [{...where, message: `User=${user.value}: the service runs as root`}]
  if (user.value !== PROXY_USER)
    return [{...where, message: `User=${user.value}: expected the service user ${PROXY_USER}`}]
  const group = findDirective(unit, 'Service', 'Group')
  if (group && (group.value === 'root' || group.value === '0')) {
    const at = sourceOf(group)
    return [
      {
        check,
        path: at.file,
        line: at.line,
        message: `Group=${group.value}: the service reads and writes as group root; expected Group=${PROXY_USER}`,
        evidence: `Group=${group.value}`,
      },
    ]
  }
  return []
}

/** PSP-UNIT-005: systemd makes /run/pulse-sensor-proxy with RuntimeDirectoryMode at every start. */
function judgeRuntimeDirectory(unit: LoadedUnit, fragment: string): UnitFinding[] {
  const keys = ['RuntimeDirectoryMode']
  const check = 'PSP-UNIT-005'
  const mode = findDirective(unit, 'Service', 'RuntimeDirectoryMode')
  if (!mode || mode.value === '')
    return [
      {
        check,
        path: mode ? sourceOf(mode).file : fragment,
        ...(mode ? {line: sourceOf(mode).line} : {}),
        message:
          'RuntimeDirectoryMode is not set: systemd recreates /run/pulse-sensor-proxy 0755 at every start; the Pulse proxy hardening guide sets 0775 (lxc-access.conf)',
        keys,
      },
    ]
  const at = sourceOf(mode)
  const where = {check, path: at.file, line: at.line, evidence: `RuntimeDirectoryMode=${mode.value}`, keys}
  if (!/^0?[0-7]{3,4}$/.test(mode.value))
    return [
      {...where, message: `RuntimeDirectoryMode=${mode.value} is not an octal mode: systemd ignores it`},
    ]
  const bits = Number.parseInt(mode.value, 8)
  if (bits === 0o775) return []
  const why =
    (bits & 0o001) === 0
      ? 'the container cannot traverse to the socket'
      : (bits & 0o002) !== 0
        ? 'anyone can replace the socket'
        : 'the Pulse proxy hardening guide asks for 0775'
  return [{...where, message: `RuntimeDirectoryMode=${mode.value}: expected 0775 (${why})`}]
}

/** PSP-UNIT-006: a user namespace maps every peer to nobody, so SO_PEERCRED authenticates no one. */
function judgePrivateUsers(unit: LoadedUnit): UnitFinding[] {
  const d = findDirective(unit, 'Service', 'PrivateUsers')
  if (!d || !TRUE.test(d.value)) return []
  const at = sourceOf(d)
  return [
    {
      check: 'PSP-UNIT-006',
      path: at.file,
      line: at.line,
      message: `PrivateUsers=${d.value}: every peer's uid is seen as nobody (65534), so SO_PEERCRED can no longer tell the Pulse container from any other process`,
      evidence: `PrivateUsers=${d.value}`,
      keys: ['PrivateUsers'],
    },
  ]
}

const ENV_NAME = /^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)=/

/** PSP-UNIT-007: /etc/default/pulse-sensor-proxy does something only when the unit loads it. */
async function judgeDefaults(
  host: Host,
  unit: LoadedUnit,
): Promise<{findings: Finding[]; defaults: NonNullable<UnitAnalysis['defaults']>}> {
  const text = await host.readText(PROXY_DEFAULTS_FILE)
  const variables = text.ok
    ? text.value.split('\n').flatMap((l, i) => {
        const name = ENV_NAME.exec(l)?.[1]
        return name ? [{name, line: i + 1}] : []
      })
    : []
  const loads = findDirective(unit, 'Service', 'EnvironmentFile')
  const loadedBy = loads?.contributions.find((a) => a.value.replace(/^-/, '').trim() === PROXY_DEFAULTS_FILE)
  const defaults = {present: text.ok, ...(loadedBy ? {loadedBy} : {}), variables}
  if (!text.ok && !text.missing)
    return {
      findings: [{check: 'PSP-UNIT-007', path: PROXY_DEFAULTS_FILE, message: text.message, undecided: true}],
      defaults,
    }
  if (!text.ok || loadedBy) return {findings: [], defaults}
  const names = variables.map((v) => v.name)
  return {
    findings: [
      {
        check: 'PSP-UNIT-007',
        path: PROXY_DEFAULTS_FILE,
        ...(variables[0] ? {line: variables[0].line} : {}),
        message:
          `no EnvironmentFile= of ${PROXY_UNIT_NAME} loads this file: it is inert` +
          (names.length > 0 ? `, ${names.join(', ')} never reach the proxy` : ''),
        // Moving an inert file aside changes nothing the proxy sees, and keeps it for the admin to read.
        ...withRemedy({kind: 'move', path: PROXY_DEFAULTS_FILE, to: MOVED_ASIDE}),
      },
    ],
    defaults,
  }
}

/** Judge one unit with its drop-ins: every PSP-UNIT finding but the exposure score. */
export async function analyzeUnit(host: Host, target: UnitTarget): Promise<Outcome<UnitAnalysis>> {
  const unit = await loadUnit(target.name, hostUnitSource(host), target.searchPath)
  // A unit file or drop-in directory that cannot be read may hold the unit: not decidable.
  const unreadable = unit.diagnostics.find((d) => d.message.startsWith('cannot read'))
  if (unreadable) return {state: 'error', path: unreadable.file, message: unreadable.message}
  if (unit.state === 'not-found') return {state: 'absent', reason: `no ${target.name} unit`}
  if (unit.state === 'masked') return {state: 'absent', reason: `${target.name} is masked (${unit.fragment})`}
  const fragment = unit.fragment as string
  if (unit.state === 'error') {
    const fatal = unit.diagnostics.find((d) => d.severity === 'error')
    return {
      state: 'error',
      path: fragment,
      message: `systemd refuses to load the unit: line ${fatal?.line}: ${fatal?.message}`,
    }
  }
  const texts: UnitAnalysis['texts'] = []
  for (const file of unit.files) {
    const text = await hostUnitSource(host).read(file.path)
    texts.push({path: file.path, text: text ?? ''})
  }
  const user = judgeUser(unit, fragment)
  const findings: UnitFinding[] = [
    ...user,
    ...judgeRequirements(unit, fragment, SANDBOX),
    ...judgeRequirements(unit, fragment, KERNEL_SURFACE),
    ...judgeRequirements(unit, fragment, FURTHER),
    ...judgeRuntimeDirectory(unit, fragment),
    ...judgePrivateUsers(unit),
  ]
  if (!target.defaultsFile) return {state: 'judged', findings, unit, fragment, texts}
  // Remedies only for the proxy's unit on its host: a file being linted has no drop-in directory.
  const lineText = (path: string, line: number) =>
    texts.find((t) => t.path === path)?.text.split('\n')[line - 1]
  attachUnitRemedies(unit, target.name, findings, user.length === 0, lineText)
  for (const f of user) Object.assign(f, withRemedy(userRemedy(target.name)))
  const defaults = await judgeDefaults(host, unit)
  return {
    state: 'judged',
    findings: [...findings, ...defaults.findings],
    unit,
    fragment,
    texts,
    defaults: defaults.defaults,
  }
}

const analyzers = new WeakMap<UnitTarget, (host: Host) => Promise<Outcome<UnitAnalysis>>>()

/** The analysis of a target, memoized per host. */
export function unitAnalyzer(target: UnitTarget): (host: Host) => Promise<Outcome<UnitAnalysis>> {
  let analyze = analyzers.get(target)
  if (!analyze) {
    analyze = perHost((host) => analyzeUnit(host, target))
    analyzers.set(target, analyze)
  }
  return analyze
}

/** Where the unit's settings come from, for a passing result. */
export function describeUnit(analysis: UnitAnalysis): string {
  const dropIns = analysis.unit.dropIns.length
  return dropIns === 0 ? analysis.fragment : `${analysis.fragment} with ${dropIns} drop-in(s)`
}
