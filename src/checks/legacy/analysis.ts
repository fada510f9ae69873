import path from 'node:path'

import type {Host} from '../../host/host.js'
import {
  type AuthorizedKeysEntry,
  authorizedKeysEntries,
  parseAuthorizedKeys,
} from '../../parsers/authorized-keys.js'
import {parseLxcConfig} from '../../parsers/lxc-conf.js'
import {loadUnit, SYSTEM_UNIT_SEARCH_PATH} from '../../parsers/systemd-unit.js'
import {type Finding, type Outcome, perHost} from '../family.js'
import {sedDeleteLine} from '../fix.js'
import {withRemedy} from '../remedy.js'
import {hostUnitSource} from '../unit/analysis.js'
import {MOVED_ASIDE} from '../unit/remedy.js'
import {authorizedKeysFiles} from './keys-files.js'

export const PROXY_NAME = 'pulse-sensor-proxy'
export const PROXY_UNIT = `${PROXY_NAME}.service`
export const PROXY_STATE = `/var/lib/${PROXY_NAME}`
export const PROXY_CONFIG_DIR = `/etc/${PROXY_NAME}`
export const PROXY_SOCKET_DIR = `/run/${PROXY_NAME}`
/** The HTTPS mode's bearer token (Pulse's scripts/uninstall-sensor-proxy.sh). */
export const HTTP_TOKEN = `${PROXY_CONFIG_DIR}/.http-auth-token`
/** Where the installers put the daemon. */
export const PROXY_BINARIES = [`/usr/local/bin/${PROXY_NAME}`, `/opt/pulse/sensor-proxy/bin/${PROXY_NAME}`]
/** The directories of the proxy's key pairs: the active one, and rotation's staged and previous ones. */
export const KEY_DIRS = [`${PROXY_STATE}/ssh`, `${PROXY_STATE}/ssh.d/next`, `${PROXY_STATE}/ssh.d/prev`]
/** The helper units the installer added beside the service, and the cleanup script they run. */
export const HELPER_UNITS = [
  `${PROXY_NAME}-selfheal.timer`,
  `${PROXY_NAME}-selfheal.service`,
  'pulse-sensor-cleanup.path',
  'pulse-sensor-cleanup.service',
]
export const CLEANUP_SCRIPT = '/usr/local/bin/pulse-sensor-cleanup.sh'
/** The installer's and the rotation's markers, and the comment every writer gave the key. */
export const LINE_MARKERS = ['# pulse-managed-key', '# pulse-proxy-key']
const ENABLED_LINK = `/etc/systemd/system/multi-user.target.wants/${PROXY_UNIT}`

/** Whether an authorized_keys line is one the proxy's writers made (by marker or comment). */
export function markedAsProxy(entry: AuthorizedKeysEntry): boolean {
  if (entry.kind === 'comment') return false
  const comment = entry.kind === 'key' ? entry.comment : entry.text
  return comment.includes(PROXY_NAME) || LINE_MARKERS.some((m) => entry.text.includes(m))
}

export interface LegacyAnalysis {
  /** The paths that show the proxy is installed or enabled (empty: it is not). */
  installed: string[]
}

interface LeftoverKey {
  path: string
  /** The id of its public key, when the .pub beside it can be read. */
  id?: string
  fingerprint?: string
}

/** The private keys left in the proxy's key directories. */
async function leftoverKeys(host: Host): Promise<LeftoverKey[]> {
  const keys: LeftoverKey[] = []
  for (const dir of KEY_DIRS) {
    const names = await host.list(dir)
    if (!names.ok) continue
    for (const name of names.value.filter((n) => n.startsWith('id_') && !n.endsWith('.pub')).sort()) {
      const file = `${dir}/${name}`
      const pub = await host.readText(`${file}.pub`)
      const entry = pub.ok ? parseAuthorizedKeys(pub.value).entries.find((e) => e.kind === 'key') : undefined
      keys.push(
        entry?.kind === 'key'
          ? {path: file, id: entry.key.id, fingerprint: entry.key.fingerprint}
          : {path: file},
      )
    }
  }
  return keys
}

/** Why the proxy counts as installed here: its unit, its daemon, or the link that enables it. */
async function installedEvidence(host: Host): Promise<string[]> {
  const evidence: string[] = []
  const unit = await loadUnit(PROXY_UNIT, hostUnitSource(host), SYSTEM_UNIT_SEARCH_PATH)
  if (unit.state !== 'not-found' && unit.state !== 'masked' && unit.fragment) evidence.push(unit.fragment)
  for (const binary of PROXY_BINARIES) if (await host.exists(binary)) evidence.push(binary)
  if ((await host.stat(ENABLED_LINK)).ok) evidence.push(ENABLED_LINK)
  return evidence
}

const sshKeygenFix = (file: string) => `shred -u ${file} ${file}.pub`

/** decommission retires the proxy on every node of the cluster (over SSH), its --dry-run shows how first. */
const DECOMMISSION = 'pcp-harden decommission --dry-run && pcp-harden decommission --purge'

const manual = (command: string, why: string) => withRemedy({kind: 'manual', command, why})

/** The private keys left behind, and whether their public keys still log in somewhere. */
function keyFindings(keys: LeftoverKey[], authorized: Map<string, string[]>): Finding[] {
  return keys.map((key) => {
    const where = key.id === undefined ? undefined : authorized.get(key.id)
    if (where && where.length > 0)
      return {
        check: 'PULSE-LEGACY-002',
        path: key.path,
        ...(key.fingerprint ? {evidence: key.fingerprint} : {}),
        message:
          `a private key of the removed proxy whose public key still logs in as root (${where.join(', ')}): ` +
          `whoever reads or copies this file has a root login there; remove those lines (pcp-harden decommission), then ${sshKeygenFix(key.path)}`,
        ...manual(
          `${DECOMMISSION} && ${sshKeygenFix(key.path)}`,
          "the key still logs in on the nodes: decommission removes its lines there (over SSH, with the admin's key) before the key itself goes",
        ),
      }
    return {
      check: 'PULSE-LEGACY-003',
      path: key.path,
      ...(key.fingerprint ? {evidence: key.fingerprint} : {}),
      message:
        (key.id === undefined
          ? 'a private key of the removed proxy with no readable .pub beside it, so whether a node still authorizes it was not checked: '
          : 'a private key of the removed proxy that no authorized_keys file under the root accepts any more: ') +
        `a node that still authorizes it (or a restored backup) gives its holder a root login; ${sshKeygenFix(key.path)}`,
      ...manual(
        sshKeygenFix(key.path),
        "destroying a key cannot be undone: check first that no other node's authorized_keys still has it (pcp-harden decommission --dry-run lists them)",
      ),
    }
  })
}

/** Every authorized_keys line of the proxy's (by marker, comment or a leftover key), with where its key is authorized. */
async function lineFindings(
  host: Host,
  keys: LeftoverKey[],
): Promise<{findings: Finding[]; authorized: Map<string, string[]>}> {
  const leftoverIds = new Set(keys.flatMap((k) => (k.id ? [k.id] : [])))
  const authorized = new Map<string, string[]>()
  const findings: Finding[] = []
  const {files, unreadable} = await authorizedKeysFiles(host)
  for (const message of unreadable)
    findings.push({
      check: 'PULSE-LEGACY-004',
      path: message.split(':')[0] as string,
      message,
      undecided: true,
    })
  // Without leftover keys only marked lines count, and their marks are in the raw text: the
  // other lines are not parsed.
  const wanted =
    leftoverIds.size > 0
      ? undefined
      : (raw: string) => raw.includes(PROXY_NAME) || LINE_MARKERS.some((m) => raw.includes(m))
  for (const file of files)
    for (const entry of authorizedKeysEntries(file.text, wanted)) {
      if (entry.kind === 'comment') continue
      if (entry.kind === 'key' && leftoverIds.has(entry.key.id)) {
        const list = authorized.get(entry.key.id) ?? []
        list.push(`${file.path}:${entry.line}`)
        authorized.set(entry.key.id, list)
      }
      const byKey = entry.key !== undefined && leftoverIds.has(entry.key.id)
      if (!markedAsProxy(entry) && !byKey) continue
      findings.push({
        check: 'PULSE-LEGACY-004',
        path: file.path,
        line: entry.line,
        ...(entry.key ? {evidence: entry.key.fingerprint} : {}),
        message:
          `a line of the removed proxy's key (${byKey ? 'a key left in ' + PROXY_STATE : "marked as the proxy's"})` +
          `${entry.kind === 'ignored' ? ', which sshd ignores as written' : `: whoever holds a copy of the key logs in as ${file.user}`}` +
          '; if the proxy still runs on another node, retire it there with pcp-harden decommission, otherwise delete the line',
        ...manual(
          sedDeleteLine(file.path, entry.text, entry.line),
          "the file may be cluster-wide (Proxmox links root's into /etc/pve/priv): if the proxy still runs on another node, retire it there with pcp-harden decommission instead",
        ),
      })
    }
  return {findings, authorized}
}

/** Helper units and the cleanup script the installer added, still on disk. */
async function helperFindings(host: Host): Promise<Finding[]> {
  const findings: Finding[] = []
  for (const name of HELPER_UNITS)
    for (const dir of SYSTEM_UNIT_SEARCH_PATH) {
      const file = `${dir}/${name}`
      if (!(await host.exists(file))) continue
      findings.push({
        check: 'PULSE-LEGACY-005',
        path: file,
        message: `the proxy's ${name} is still installed: it ${name.includes('selfheal') ? 'keeps trying to restart and reinstall the removed proxy' : 'watches for the removed proxy'}; systemctl disable --now ${name} && rm ${file} && systemctl daemon-reload`,
        ...manual(
          `systemctl disable --now ${name} && rm ${file} && systemctl daemon-reload`,
          'the unit may be running: systemctl stops and disables it before its file goes',
        ),
      })
    }
  if (await host.exists(CLEANUP_SCRIPT))
    findings.push({
      check: 'PULSE-LEGACY-005',
      path: CLEANUP_SCRIPT,
      message: `the proxy's cleanup script is still installed: rm ${CLEANUP_SCRIPT}`,
      // Out of PATH and of its units' reach, kept for whoever wants to read it.
      ...withRemedy({kind: 'move', path: CLEANUP_SCRIPT, to: MOVED_ASIDE}),
    })
  return findings
}

const NODES_DIR = '/etc/pve/nodes'
const LXC_DIR = '/etc/pve/lxc'

/** `/var/run` is `/run`; trailing slashes change nothing. */
const hostDir = (p: string) => {
  const clean = path.posix.normalize(p).replace(/(.)\/+$/, '$1')
  return clean === '/var/run' || clean.startsWith('/var/run/') ? clean.slice(4) : clean
}
const mountsSocketDir = (source: string) =>
  hostDir(source) === PROXY_SOCKET_DIR || hostDir(source).startsWith(`${PROXY_SOCKET_DIR}/`)

/** Container configs whose live (main) section still bind-mounts the proxy's socket directory. */
async function lxcFindings(host: Host): Promise<Finding[]> {
  const nodes = await host.list(NODES_DIR)
  const dirs = [LXC_DIR, ...(nodes.ok ? nodes.value.map((n) => `${NODES_DIR}/${n}/lxc`) : [])]
  const seen = new Set<string>()
  const findings: Finding[] = []
  for (const dir of dirs) {
    const names = await host.list(dir)
    if (!names.ok) continue
    for (const name of names.value.filter((n) => n.endsWith('.conf')).sort()) {
      const file = `${dir}/${name}`
      const st = await host.stat(file, {follow: true})
      if (!st.ok || st.value.type !== 'file' || seen.has(st.value.resolved)) continue
      seen.add(st.value.resolved)
      const text = await host.readText(file)
      if (!text.ok) {
        findings.push({check: 'PULSE-LEGACY-006', path: file, message: text.message, undecided: true})
        continue
      }
      // Every component of a path that normalises to the socket directory is in its text: a config
      // that never names the proxy mounts nothing of it, and is not parsed.
      if (!text.value.includes(PROXY_NAME)) continue
      const {main} = parseLxcConfig(text.value)
      const vmid = name.replace(/\.conf$/, '')
      const textLines = text.value.split('\n')
      const lines = [
        ...main.mountpoints
          .filter((mp) => mp.type === 'bind' && mountsSocketDir(mp.volume))
          .map((mp) => ({line: mp.line, command: `pct set ${vmid} --delete ${mp.key}`})),
        ...main.mountEntries
          .filter((e) => mountsSocketDir(e.source))
          .map((e) => ({line: e.line, command: sedDeleteLine(file, textLines[e.line - 1] ?? '', e.line)})),
      ].sort((a, b) => a.line - b.line)
      for (const {line, command} of lines)
        findings.push({
          ...manual(
            command,
            'the container sees the change at its next start; Proxmox writes /etc/pve through its cluster file system, so the change is made there by hand',
          ),
          check: 'PULSE-LEGACY-006',
          path: file,
          line,
          message: `the container still bind-mounts ${PROXY_SOCKET_DIR}, which nothing serves any more (a host-path mpN also blocks snapshots); pcp-harden decommission removes the line (snapshot sections are left as they are)`,
        })
    }
  }
  return findings
}

/** The HTTPS mode's token, and the service account. */
async function residueFindings(host: Host): Promise<Finding[]> {
  const findings: Finding[] = []
  if (await host.exists(HTTP_TOKEN))
    findings.push({
      check: 'PULSE-LEGACY-007',
      path: HTTP_TOKEN,
      message: `the bearer token of the proxy's HTTPS mode is still on disk: nothing accepts it any more, but it is a secret nobody needs; shred -u ${HTTP_TOKEN}`,
      ...manual(`shred -u ${HTTP_TOKEN}`, 'destroying a secret cannot be undone'),
    })
  const {users, groups} = await host.accounts()
  const user = users.find((u) => u.name === PROXY_NAME)
  if (user)
    findings.push({
      check: 'PULSE-LEGACY-008',
      path: '/etc/passwd',
      line: user.line,
      message: `the proxy's account ${PROXY_NAME} (uid ${user.id}) is still there: files it owns stay owned, and a later account given its uid would own them; userdel ${PROXY_NAME}`,
      ...manual(
        `userdel ${PROXY_NAME}`,
        `files it still owns would belong to the next account given uid ${user.id}: list them first (find / -xdev -uid ${user.id} -ls) and remove or re-own them`,
      ),
    })
  const group = groups.find((g) => g.name === PROXY_NAME)
  if (group)
    findings.push({
      check: 'PULSE-LEGACY-008',
      path: '/etc/group',
      line: group.line,
      message: `the proxy's group ${PROXY_NAME} (gid ${group.id}) is still there; groupdel ${PROXY_NAME} (after userdel)`,
      ...manual(
        `groupdel ${PROXY_NAME}`,
        "groupdel refuses a group that is still a user's primary group: userdel the account first",
      ),
    })
  return findings
}

/**
 * The proxy as Pulse left it: installed (unsupported since Pulse 5.1.0), or removed with something
 * left behind. Leftovers are judged only where the proxy is no longer installed; while it is, its
 * keys, lines and mounts are the PSP checks' business.
 */
export const analyzeLegacy = perHost(async (host: Host): Promise<Outcome<LegacyAnalysis>> => {
  const installed = await installedEvidence(host)
  const findings: Finding[] = []
  if (installed.length > 0) {
    const enabled = installed.includes(ENABLED_LINK)
    findings.push({
      check: 'PULSE-LEGACY-001',
      path: installed[0] as string,
      evidence: installed.join(', '),
      message:
        `pulse-sensor-proxy is ${enabled ? 'enabled' : 'installed'} here: Pulse deprecated it in 5.0.0 and removed it in 5.1.0, so a flaw found in it ` +
        "now stays open in a service that holds a root SSH key to every node; retire it with pcp-harden decommission, then run Pulse's unified agent (install.sh --least-privilege)",
      ...manual(
        DECOMMISSION,
        "retiring the proxy stops temperature readings until Pulse's unified agent (install.sh --least-privilege) replaces it; decommission works on every node over SSH with the admin's key",
      ),
    })
    return {state: 'judged', installed, findings}
  }
  const keys = await leftoverKeys(host)
  const lines = await lineFindings(host, keys)
  findings.push(
    ...keyFindings(keys, lines.authorized),
    ...lines.findings,
    ...(await helperFindings(host)),
    ...(await lxcFindings(host)),
    ...(await residueFindings(host)),
  )
  return {state: 'judged', installed, findings}
})
