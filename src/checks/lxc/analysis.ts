import path from 'node:path'

import {KIND_NAMES} from '../../host/backend.js'
import type {Host} from '../../host/host.js'
import {type LxcConfig, type LxcSection, parseLxcConfig} from '../../parsers/lxc-conf.js'
import {type Finding, type Outcome, perHost} from '../family.js'
import {sedDeleteLine, sedReplaceLine} from '../fix.js'
import {withRemedy} from '../remedy.js'

/** `/etc/pve/lxc` is pmxcfs's symlink to this node's `nodes/<node>/lxc`; every node's configs are under nodes/. */
export const LXC_DIR = '/etc/pve/lxc'
const NODES_DIR = '/etc/pve/nodes'
/** The proxy's socket directory on the host. */
const PROXY_SOCKET_DIR = '/run/pulse-sensor-proxy'
/** Paths whose presence shows the proxy is installed on this host (its state, config, unit). */
const PROXY_MARKERS = [
  '/var/lib/pulse-sensor-proxy',
  '/etc/pulse-sensor-proxy',
  '/etc/systemd/system/pulse-sensor-proxy.service',
  '/lib/systemd/system/pulse-sensor-proxy.service',
  '/usr/lib/systemd/system/pulse-sensor-proxy.service',
]
const REPLICATION_CFG = '/etc/pve/replication.cfg'
const HA_RESOURCES_CFG = '/etc/pve/ha/resources.cfg'

/** The checks that judge one section of a config (the live one, the pending one, or a snapshot). */
const SECTION_CHECKS = [
  'PSP-LXC-001',
  'PSP-LXC-002',
  'PSP-LXC-003',
  'PSP-LXC-004',
  'PSP-LXC-005',
  'PSP-LXC-006',
  'PSP-LXC-007',
  'PSP-LXC-008',
] as const
const SNAPSHOT_BLOCK_CHECK = 'PSP-LXC-009'
export const NO_MOUNT_CHECK = 'PSP-LXC-010'
const SNAPSHOT_CHECK = 'PSP-LXC-011'
const UNREAD_LINE_CHECK = 'PSP-LXC-012'

/** Capabilities LXC's common.conf drops (/usr/share/lxc/config/common.conf, which PVE's container configs include). */
const DEFAULT_CAP_DROP = ['mac_admin', 'mac_override', 'sys_module', 'sys_rawio', 'sys_time']

export interface ConfigFile {
  /** Host path, as first found. */
  path: string
  text: string
}

/** What the host around the configs says: whether the proxy runs here, and who needs snapshots. */
export interface LxcContext {
  /** The path that shows the proxy is installed on this host. */
  proxyEvidence?: string
  /** Container ids whose replication jobs or HA resources need snapshots or migration, with the reason. */
  snapshotUsers: Map<string, string>
}

export interface LxcAnalysis {
  /** Where the configs were looked for (or the one file linted). */
  path: string
  configs: number
}

/** A finding of one section, before it is placed in the live or the snapshot report. */
interface SectionFinding {
  check: (typeof SECTION_CHECKS)[number]
  /** The manual remedy, for the container's id, file and lines. */
  remedy?: (at: LxcPlace) => {command: string; why: string}
  /** What the finding is about, to tell whether a snapshot repeats the live config or differs from it. */
  subject: string
  line?: number
  message: string
  evidence?: string
}

/** Where a section finding is: the container's id, its config file, and the file's text. */
interface LxcPlace {
  vmid: string
  file: string
  text: string
}

/** Line `line` (1-based) of a text, found without splitting the text into an array of every line. */
function nthLine(text: string, line: number): string {
  if (line < 1) return ''
  let start = 0
  for (let n = 1; n < line; n++) {
    const next = text.indexOf('\n', start)
    if (next === -1) return ''
    start = next + 1
  }
  const end = text.indexOf('\n', start)
  return text.slice(start, end === -1 ? undefined : end)
}

/** The exact line of the file, as sed must match it. */
const lineAt = (at: LxcPlace, line: number) => nthLine(at.text, line)

/** A restart applies a container config; PVE users edit raw lxc.* keys in the file itself. */
const AT_NEXT_START = (vmid: string) => `the container sees it at its next start (pct reboot ${vmid})`

/** The proxy's socket directory mounted as the Pulse proxy hardening guide writes it. */
const DIRECTORY_MOUNT = `lxc.mount.entry: ${PROXY_SOCKET_DIR} mnt/pulse-proxy none bind,create=dir 0 0`

/** `/var/run` is a symlink to `/run` on every systemd host; trailing slashes change nothing. */
function normalizeHostPath(p: string): string {
  const clean = path.posix.normalize(p).replace(/(.)\/+$/, '$1')
  return clean === '/var/run' || clean.startsWith('/var/run/') ? clean.slice(4) : clean
}

/** A bind mount of the host's proxy socket directory, or of something inside it. */
interface ProxyMount {
  line: number
  form: string
  source: string
  target: string
  /** The directory itself (what survives a proxy restart), not the socket file or another entry in it. */
  directory: boolean
}

function proxyMounts(section: LxcSection): ProxyMount[] {
  const mounts: ProxyMount[] = []
  const consider = (line: number, form: string, source: string, target: string) => {
    const host = normalizeHostPath(source)
    if (host !== PROXY_SOCKET_DIR && !host.startsWith(`${PROXY_SOCKET_DIR}/`)) return
    const inside = path.posix.normalize(target).replace(/(.)\/+$/, '$1')
    mounts.push({line, form, source, target: inside, directory: host === PROXY_SOCKET_DIR})
  }
  for (const mp of section.mountpoints)
    if (mp.type === 'bind') consider(mp.line, mp.key, mp.volume, mp.path ?? '')
  for (const entry of section.mountEntries)
    if (entry.options.some((o) => o === 'bind' || o === 'rbind'))
      consider(entry.line, 'lxc.mount.entry', entry.source, `/${entry.target}`)
  return mounts.sort((a, b) => a.line - b.line)
}

/** The risky settings of one section; `full` is false for [pve:pending], which holds only changed keys. */
function judgeSection(section: LxcSection, full: boolean): SectionFinding[] {
  const findings: SectionFinding[] = []
  const unprivileged = section.settings.unprivileged
  if (section.privileged && (full || unprivileged))
    findings.push({
      check: 'PSP-LXC-001',
      subject: 'privileged',
      ...(unprivileged ? {line: unprivileged.line} : {}),
      message:
        (unprivileged
          ? `privileged container (unprivileged: ${unprivileged.value})`
          : 'privileged container (no "unprivileged: 1", and PVE\'s default is privileged)') +
        ': root in the container is root on the host, and so is a process that escapes it',
      ...(unprivileged ? {evidence: `unprivileged: ${unprivileged.value}`} : {}),
      remedy: ({vmid}) => ({
        command: `vzdump ${vmid} --mode stop --storage <BACKUP-STORAGE> && pct restore ${vmid} <THE-BACKUP-ARCHIVE> --unprivileged 1 --force`,
        why:
          'PVE converts a container only through a backup and a restore with --unprivileged 1, which shifts the ' +
          'ownership of its files; setting "unprivileged: 1" alone leaves them owned by ids the container can no ' +
          'longer use. Choose the storage and archive; services that need real root (NFS mounts, some devices) may stop working',
      }),
    })

  const apparmor = section.raw
    .filter((r) => r.applied && (r.key === 'lxc.apparmor.profile' || r.key === 'lxc.aa_profile'))
    .at(-1)
  if (apparmor?.value === 'unconfined')
    findings.push({
      check: 'PSP-LXC-002',
      subject: 'apparmor',
      line: apparmor.line,
      message: `${apparmor.key}: unconfined turns AppArmor off for the container (PVE's generated profile confines it)`,
      evidence: `${apparmor.key}${apparmor.separator === '=' ? ' =' : ':'} ${apparmor.value}`,
      remedy: (at) => ({
        command: sedDeleteLine(at.file, lineAt(at, apparmor.line), apparmor.line),
        why:
          `${AT_NEXT_START(at.vmid)}; a container set unconfined usually needed it (Docker, nesting): give it ` +
          '"features: nesting=1,keyctl=1" (pct set --features) instead, and check that it still starts',
      }),
    })

  const reset = section.raw.filter((r) => r.key === 'lxc.cap.drop' && r.value === '').at(-1)
  const kept = DEFAULT_CAP_DROP.filter((c) => !section.capDrop.includes(c))
  if (reset && kept.length > 0)
    findings.push({
      check: 'PSP-LXC-003',
      subject: 'cap.drop',
      line: reset.line,
      message:
        'an empty lxc.cap.drop clears the capabilities PVE drops: the container keeps ' +
        `${kept.join(', ')}${section.capDrop.length > 0 ? ` (it drops only ${section.capDrop.join(', ')})` : ''}`,
      evidence: 'lxc.cap.drop:',
      remedy: (at) => ({
        command: sedDeleteLine(at.file, lineAt(at, reset.line), reset.line),
        why: `${AT_NEXT_START(at.vmid)}; whatever needed those capabilities in the container stops working`,
      }),
    })

  for (const rule of section.deviceRules) {
    const all = rule.type === 'a' || (rule.major === '*' && rule.minor === '*')
    if (!rule.allow || !all) continue
    const what =
      rule.type === 'a'
        ? 'every device of the host (disks, /dev/mem, /dev/kmsg, ...)'
        : rule.type === 'b'
          ? 'every block device of the host (its disks)'
          : 'every character device of the host (/dev/mem, /dev/kmsg, ...)'
    const v1 = rule.key.startsWith('lxc.cgroup.')
    findings.push({
      check: 'PSP-LXC-004',
      subject: `devices ${rule.key} ${rule.rule}`,
      line: rule.line,
      message:
        `${rule.key}: ${rule.rule} lets the container open ${what}` +
        (v1
          ? ' (a cgroup v1 key: it applies when the host runs cgroup v1, use lxc.cgroup2.* and a narrower rule)'
          : ''),
      evidence: `${rule.key}: ${rule.rule}`,
      remedy: (at) => ({
        command: sedDeleteLine(at.file, lineAt(at, rule.line), rule.line),
        why: `${AT_NEXT_START(at.vmid)}; allow the one device the container needs instead (lxc.cgroup2.devices.allow: c MAJOR:MINOR rwm), which only the admin knows`,
      }),
    })
  }

  const rw = section.raw.filter(
    (r) =>
      r.applied && r.key === 'lxc.mount.auto' && /(^|\s)(proc|sys|cgroup|cgroup-full):rw(\s|$)/.test(r.value),
  )
  for (const entry of rw) {
    const mounts = entry.value.split(/\s+/).filter((m) => /^(proc|sys|cgroup|cgroup-full):rw$/.test(m))
    if (!mounts.every((m) => section.mountAuto.includes(m))) continue
    findings.push({
      check: 'PSP-LXC-005',
      subject: `mount.auto ${mounts.join(' ')}`,
      line: entry.line,
      message:
        `lxc.mount.auto ${mounts.join(' ')} mounts the host's kernel interfaces writable in the container ` +
        '(/proc/sys, /sys: kernel parameters, firmware, cgroups)',
      evidence: `lxc.mount.auto: ${entry.value}`,
      remedy: (at) => {
        const text = lineAt(at, entry.line)
        return {
          command: sedReplaceLine(
            at.file,
            text,
            text.replace(/(^|[\s:=])(proc|sys|cgroup|cgroup-full):rw(?=\s|$)/g, '$1$2:mixed'),
            entry.line,
          ),
          why: `${AT_NEXT_START(at.vmid)}; :mixed is LXC's default for an unprivileged container: writable where the container's own entries are, read-only for the host's`,
        }
      },
    })
  }

  for (const map of section.idmaps) {
    if (map.hostId !== 0 || map.count < 1) continue
    const who = map.type === 'u' ? 'uid' : 'gid'
    findings.push({
      check: 'PSP-LXC-006',
      subject: `idmap ${map.type}`,
      line: map.line,
      message:
        `${map.key}: ${map.type} ${map.containerId} ${map.hostId} ${map.count} maps container ${who} ${map.containerId} ` +
        `to the host's ${map.type === 'u' ? 'root user' : 'root group'}: an unprivileged container with a way back to host root`,
      evidence: `${map.key}: ${map.type} ${map.containerId} ${map.hostId} ${map.count}`,
      remedy: (at) => ({
        command: sedDeleteLine(at.file, lineAt(at, map.line), map.line),
        why:
          `${AT_NEXT_START(at.vmid)}; the id map must then still cover every id the container uses (PVE's default maps 0-65535 to 100000-165535): ` +
          'write the replacement map before it starts, or files stay owned by ids it cannot use',
      }),
    })
  }

  const mounts = proxyMounts(section)
  for (const m of mounts)
    if (!m.directory)
      findings.push({
        check: 'PSP-LXC-007',
        subject: `socket-file ${m.source}`,
        line: m.line,
        message:
          `${m.form} mounts ${m.source}, not the directory ${PROXY_SOCKET_DIR}: the proxy recreates its socket on every ` +
          'restart and the container keeps the old one, so Pulse loses the proxy until the container restarts',
        evidence: `${m.form}: ${m.source} -> ${m.target}`,
        remedy: (at) => ({
          command: sedReplaceLine(at.file, lineAt(at, m.line), DIRECTORY_MOUNT, m.line),
          why: `${AT_NEXT_START(at.vmid)}; Pulse in the container then finds the socket in /mnt/pulse-proxy, so point its proxy socket setting there if it named another path`,
        }),
      })
  const directories = mounts.filter((m) => m.directory)
  for (const m of directories.slice(1)) {
    const first = directories[0] as ProxyMount
    findings.push({
      check: 'PSP-LXC-008',
      subject: `duplicate ${m.form} ${m.target}`,
      line: m.line,
      message:
        `${m.form} mounts ${PROXY_SOCKET_DIR} again, on ${m.target} (first by ${first.form} at line ${first.line}` +
        (m.target === first.target
          ? '): two writers of the same mount (PVE for mpN, LXC for lxc.mount.entry), the later hides the earlier'
          : `, on ${first.target}): a leftover of an older install that gives the container a second way in`),
      evidence: `${m.form}: ${m.source} -> ${m.target}`,
      remedy: (at) => ({
        command:
          m.form === 'lxc.mount.entry'
            ? sedDeleteLine(at.file, lineAt(at, m.line), m.line)
            : `pct set ${at.vmid} --delete ${m.form}`,
        why: `${AT_NEXT_START(at.vmid)}; the first mount (line ${first.line}) stays`,
      }),
    })
  }
  return findings
}

/** A container's id and name for messages: `100 (pulse)`. */
function containerName(file: string, config: LxcConfig): string {
  const id = path.posix.basename(file).replace(/\.conf$/, '')
  const hostname = config.main.settings.hostname?.value
  return hostname ? `${id} (${hostname})` : id
}

/** Host bind mounts (mpN) of a container whose snapshots, replication or HA need them gone. */
function snapshotBlocks(file: string, config: LxcConfig, context: LxcContext): Finding[] {
  const id = path.posix.basename(file).replace(/\.conf$/, '')
  const uses = [
    ...(config.snapshots.length > 0
      ? [`it has snapshots (${config.snapshots.map((s) => s.name).join(', ')})`]
      : config.main.settings.parent
        ? [`it has snapshots (parent: ${config.main.settings.parent.value})`]
        : []),
    ...(context.snapshotUsers.has(id) ? [context.snapshotUsers.get(id) as string] : []),
  ]
  if (uses.length === 0) return []
  return config.main.mountpoints
    .filter((mp) => mp.type !== 'volume')
    .map((mp) => ({
      check: SNAPSHOT_BLOCK_CHECK,
      path: file,
      line: mp.line,
      message:
        `${mp.key} is a host path (${mp.volume}), and ${uses.join('; ')}: PVE refuses new snapshots and ` +
        'snapshot-based migration of a container with a host bind mount' +
        (proxyMounts(config.main).some((m) => m.line === mp.line)
          ? `; lxc.mount.entry: ${PROXY_SOCKET_DIR} mnt/pulse-proxy none bind,create=dir 0 0 mounts the same without blocking them`
          : ''),
      evidence: `${mp.key}: ${config.main.settings[mp.key]?.value ?? mp.volume}`,
      ...withRemedy({
        kind: 'manual',
        command: proxyMounts(config.main).some((m) => m.line === mp.line && m.directory)
          ? `pct set ${id} --delete ${mp.key} && echo '${DIRECTORY_MOUNT}' >> ${file}`
          : `pct set ${id} --delete ${mp.key}`,
        why: `the container loses the mount at its next start${
          proxyMounts(config.main).some((m) => m.line === mp.line && m.directory)
            ? ' and gets the same directory through lxc.mount.entry, which snapshots allow'
            : ': keep it and give up snapshots, or move what it shares onto a volume'
        }`,
      }),
    }))
}

/**
 * Lines of the live and pending sections that PVE does not apply as written (a missing separator,
 * a key PVE refuses, a malformed id map or mount point): the setting the admin meant is not there.
 * Snapshot sections are left alone: PVE never applies them, and rolling back rewrites the config.
 */
function unreadLines(file: ConfigFile, config: LxcConfig, name: string): Finding[] {
  const headers = config.snapshots.map((s) => s.headerLine as number)
  const pendingHeader = config.pending?.headerLine
  const inSnapshot = (line: number) => {
    const header = Math.max(-1, ...[...headers, pendingHeader ?? -1].filter((h) => h <= line))
    return header !== -1 && header !== pendingHeader
  }
  return config.diagnostics
    .filter((d) => d.severity === 'error' && !inSnapshot(d.line))
    .map((d) => ({
      check: UNREAD_LINE_CHECK,
      path: file.path,
      line: d.line,
      message: `container ${name}: PVE does not apply this line: ${d.message}`,
      evidence: nthLine(file.text, d.line).trim(),
    }))
}

/** Judge one container config: the live section, [pve:pending], and what snapshots would bring back. */
function judgeConfig(file: ConfigFile, context: LxcContext): {findings: Finding[]; mountsProxy: boolean} {
  const config = parseLxcConfig(file.text)
  const name = containerName(file.path, config)
  const live = judgeSection(config.main, true)
  const at: LxcPlace = {
    vmid: path.posix.basename(file.path).replace(/\.conf$/, ''),
    file: file.path,
    text: file.text,
  }
  const place = (f: SectionFinding, prefix: string): Finding => ({
    check: f.check,
    path: file.path,
    ...(f.line === undefined ? {} : {line: f.line}),
    message: `container ${name}${prefix}: ${f.message}`,
    ...(f.evidence === undefined ? {} : {evidence: f.evidence}),
    // Changing a container's config can stop it from starting: never automatic.
    ...(f.remedy ? withRemedy({kind: 'manual', ...f.remedy(at)}) : {}),
  })
  const findings: Finding[] = live.map((f) => place(f, ''))
  if (config.pending)
    findings.push(
      ...judgeSection(config.pending, false).map((f) =>
        place(f, ' [pve:pending] (applied at the next start)'),
      ),
    )
  const liveSubjects = new Set(live.map((f) => `${f.check} ${f.subject}`))
  for (const snapshot of config.snapshots)
    for (const f of judgeSection(snapshot, true)) {
      if (liveSubjects.has(`${f.check} ${f.subject}`)) continue
      findings.push({
        check: SNAPSHOT_CHECK,
        path: file.path,
        line: f.line ?? (snapshot.headerLine as number),
        message:
          `container ${name} [snapshot ${snapshot.name}]: a rollback to this snapshot brings back what the live ` +
          `config no longer has (${f.check}): ${f.message}`,
        ...(f.evidence === undefined ? {} : {evidence: f.evidence}),
        ...withRemedy({
          kind: 'manual',
          command: `pct delsnapshot ${at.vmid} ${snapshot.name}`,
          why: 'PVE never edits a snapshot: deleting it is the only way, and only if nobody needs to roll back to it',
        }),
      })
    }
  findings.push(...snapshotBlocks(file.path, config, context), ...unreadLines(file, config, name))
  const mountsProxy = [config.main, ...(config.pending ? [config.pending] : [])].some(
    (s) => proxyMounts(s).length > 0,
  )
  return {findings, mountsProxy}
}

/** The finding that the proxy is installed but no container mounts its socket, if so. */
function noMountFinding(context: LxcContext, configs: number, mounted: boolean): Finding[] {
  if (!context.proxyEvidence || configs === 0 || mounted) return []
  return [
    {
      check: NO_MOUNT_CHECK,
      path: LXC_DIR,
      message:
        `the proxy is installed here (${context.proxyEvidence}) but none of the ${configs} container ` +
        `configs mounts ${PROXY_SOCKET_DIR}: Pulse in a container here cannot reach it (and may keep SSH keys ` +
        'inside the container, which the proxy exists to avoid)',
      ...withRemedy({
        kind: 'manual',
        command: `echo '${DIRECTORY_MOUNT}' >> ${LXC_DIR}/<PULSE-CONTAINER-ID>.conf`,
        why: 'only the admin knows which container runs Pulse: put its id in, then restart it (pct reboot)',
      }),
    },
  ]
}

/** Every finding over a set of container configs. */
export function judgeConfigs(files: readonly ConfigFile[], context: LxcContext): Finding[] {
  const findings: Finding[] = []
  let mounted = false
  for (const file of files) {
    const judged = judgeConfig(file, context)
    findings.push(...judged.findings)
    mounted ||= judged.mountsProxy
  }
  findings.push(...noMountFinding(context, files.length, mounted))
  return findings
}

/** Replication jobs (`local: 100-0`) and HA resources (`ct: 100`): containers that need snapshots or migration. */
async function snapshotUsers(host: Host): Promise<Map<string, string>> {
  const users = new Map<string, string>()
  const replication = await host.readText(REPLICATION_CFG)
  if (replication.ok)
    for (const m of replication.value.matchAll(/^local:\s*(\d+)-\d+\s*$/gm))
      users.set(m[1] as string, `storage replication (${REPLICATION_CFG}) snapshots it`)
  const ha = await host.readText(HA_RESOURCES_CFG)
  if (ha.ok)
    for (const m of ha.value.matchAll(/^ct:\s*(\d+)\s*$/gm)) {
      const why = `HA (${HA_RESOURCES_CFG}) migrates it`
      const known = users.get(m[1] as string)
      users.set(m[1] as string, known ? `${known}; ${why}` : why)
    }
  return users
}

/** The host's view around the configs. */
export async function lxcContext(host: Host): Promise<LxcContext> {
  let proxyEvidence: string | undefined
  for (const marker of PROXY_MARKERS)
    if (await host.exists(marker)) {
      proxyEvidence = marker
      break
    }
  return {...(proxyEvidence ? {proxyEvidence} : {}), snapshotUsers: await snapshotUsers(host)}
}

/**
 * How many configs are looked up, read and judged at a time: enough to overlap a slow backend's
 * reads, few enough that a node with thousands of containers never holds them all at once (each
 * config's text and parse are dropped once it is judged; bench/memory.js).
 */
const BATCH = 64

/** The `*.conf` paths in every directory that holds container configs, or undefined when there is none. */
async function configCandidates(host: Host): Promise<{paths: string[]; unreadable: Finding[]} | undefined> {
  const nodes = await host.list(NODES_DIR)
  const dirs = [LXC_DIR, ...(nodes.ok ? nodes.value.map((n) => `${NODES_DIR}/${n}/lxc`) : [])]
  const unreadable: Finding[] = []
  let found = false
  const paths: string[] = []
  for (const dir of dirs) {
    const names = await host.list(dir)
    if (!names.ok) {
      if (!names.missing) unreadable.push(...cannotJudge(dir, names.message))
      continue
    }
    found = true
    // pmxcfs keeps only <vmid>.conf here; `lxc lint` places the file it is given under its own name.
    for (const name of names.value) if (name.endsWith('.conf')) paths.push(`${dir}/${name}`)
  }
  return found || unreadable.length > 0 ? {paths, unreadable} : undefined
}

/**
 * The configs of one batch that are regular files not seen before (a file is judged once however
 * many paths lead to it); what cannot be looked up, or is not a regular file, goes to `unreadable`.
 */
async function newConfigFiles(
  host: Host,
  batch: readonly string[],
  seen: Set<string>,
  unreadable: Finding[],
): Promise<string[]> {
  const stats = await Promise.all(batch.map((file) => host.stat(file, {follow: true})))
  const files: string[] = []
  batch.forEach((file, index) => {
    const st = stats[index] as Awaited<ReturnType<Host['stat']>>
    if (!st.ok) {
      if (!st.missing) unreadable.push(...cannotJudge(file, st.message))
      return
    }
    // A FIFO or a directory where a container config should be is said, never silently dropped.
    if (st.value.type !== 'file')
      return void unreadable.push(
        ...cannotJudge(file, `${file}: not a regular file (${KIND_NAMES[st.value.type]})`),
      )
    if (seen.has(st.value.resolved)) return
    seen.add(st.value.resolved)
    files.push(file)
  })
  return files
}

/** The undecided results of every container check for a path that cannot be read. */
const cannotJudge = (p: string, message: string): Finding[] =>
  [...SECTION_CHECKS, SNAPSHOT_BLOCK_CHECK, SNAPSHOT_CHECK, UNREAD_LINE_CHECK].map((check) => ({
    check,
    path: p,
    message,
    undecided: true,
  }))

/**
 * Every container config of the host, judged once per host for every PSP-LXC check: each batch is
 * looked up, read and judged before the next, so only a batch's texts and parses are alive at once.
 */
export const analyzeLxc = perHost(async (host: Host): Promise<Outcome<LxcAnalysis>> => {
  const candidates = await configCandidates(host)
  if (!candidates)
    return {state: 'absent', reason: `no container configs under ${LXC_DIR} or ${NODES_DIR}/*/lxc`}
  const context = await lxcContext(host)
  // Lookup failures are reported before read failures, in the order of their paths.
  const {unreadable} = candidates
  const unread: Finding[] = []
  const seen = new Set<string>()
  const judged: Finding[] = []
  let configs = 0
  let mounted = false
  for (let start = 0; start < candidates.paths.length; start += BATCH) {
    const batch = await newConfigFiles(host, candidates.paths.slice(start, start + BATCH), seen, unreadable)
    const texts = await Promise.all(batch.map((file) => host.readText(file)))
    batch.forEach((file, index) => {
      const text = texts[index] as Awaited<ReturnType<Host['readText']>>
      if (!text.ok) return void unread.push(...cannotJudge(file, text.message))
      const config = judgeConfig({path: file, text: text.value}, context)
      judged.push(...config.findings)
      mounted ||= config.mountsProxy
      configs++
    })
  }
  const findings = [...unreadable, ...unread, ...judged, ...noMountFinding(context, configs, mounted)]
  return {state: 'judged', path: LXC_DIR, configs, findings}
})
