import path from 'node:path'

import type {Host} from '../../host/host.js'
import {parseSudoers, type SudoersCommand, sudoersIncludedName} from '../../parsers/sudoers.js'
import {
  type EffectiveDirective,
  findDirective,
  type LoadedUnit,
  loadUnit,
  SYSTEM_UNIT_SEARCH_PATH,
} from '../../parsers/systemd-unit.js'
import {type Finding, type Outcome, perHost} from '../family.js'
import {sedDeleteLine, shellQuote} from '../fix.js'
import {withRemedy} from '../remedy.js'
import {hostUnitSource, sourceOf} from '../unit/analysis.js'
import {DROP_IN_NAME, dropInPlan} from '../unit/remedy.js'

/** The placeholders of what only the admin (and Pulse) knows: the server's URL and this host's API token. */
export const PULSE_URL_PLACEHOLDER = '<PULSE-URL>'
export const TOKEN_PLACEHOLDER = '<API-TOKEN-FROM-PULSE>'

/** Pulse's installer, run again: it rewrites the unit, puts the token in its file and sets the user. */
function reinstall(url: string | undefined, leastPrivilege: boolean): string {
  const u = url ?? PULSE_URL_PLACEHOLDER
  return `curl -fsSL ${u}/install.sh | bash -s -- --url ${u} --token ${TOKEN_PLACEHOLDER}${leastPrivilege ? ' --least-privilege' : ''}`
}

const REINSTALL_WHY =
  `fill in ${TOKEN_PLACEHOLDER} (a new token from Pulse's settings, so the one that was exposed can be revoked)` +
  " and, when the unit does not name it, the Pulse server's URL; the installer replaces the unit, which pcp-harden never rewrites"

/** Pulse's scripts/install.sh: the unit, state directory, token, service user and sudoers file. */
export const AGENT_UNIT = 'pulse-agent.service'
export const AGENT_STATE = '/var/lib/pulse-agent'
export const AGENT_USER = 'pulse-agent'
export const AGENT_SUDOERS = '/etc/sudoers.d/pulse-agent'
const SUDOERS = '/etc/sudoers'
const SUDOERS_DIR = '/etc/sudoers.d'
/** The health and metrics listener when --health-addr is not given. */
export const DEFAULT_HEALTH_ADDR = '127.0.0.1:9191'

const TRUE = /^(1|yes|y|true|t|on)$/i
const octal = (mode: number) => mode.toString(8).padStart(4, '0')

export interface AgentAnalysis {
  unit: LoadedUnit
  fragment: string
  /** The user the service runs as. */
  user: string
  /** Whether a sudoers rule grants the service user anything. */
  grants: boolean
  /** The health and metrics listener's address (--health-addr, PULSE_HEALTH_ADDR); "" disables it. */
  healthAddr: string
}

/** ExecStart's words (the first command line), the quotes of systemd's word splitting removed. */
function execWords(unit: LoadedUnit): {words: string[]; at?: ReturnType<typeof sourceOf>} {
  const exec = findDirective(unit, 'Service', 'ExecStart')
  if (!exec) return {words: []}
  const line = exec.items[0] ?? exec.value
  const words = [...line.matchAll(/"((?:[^"\\]|\\.)*)"|'([^']*)'|(\S+)/g)].map(
    (m) => m[1] ?? m[2] ?? m[3] ?? '',
  )
  return {words, at: sourceOf(exec)}
}

/** The value of a command line flag `--name value` or `--name=value` (Go's flag package takes both, and one dash). */
function flagValue(words: string[], name: string): string | undefined {
  for (let i = 0; i < words.length; i++) {
    const m = new RegExp(`^--?${name}(?:=(.*))?$`).exec(words[i] as string)
    if (m) return m[1] ?? words[i + 1] ?? ''
  }
  return undefined
}

const hasFlag = (words: string[], name: string) =>
  words.some((w) => new RegExp(`^--?${name}(=(1|t|true|T|TRUE|True))?$`).test(w))

/** The unit's Environment= variables, each with the assignment that sets it. */
function environment(unit: LoadedUnit): Map<string, {value: string; file: string; line: number}> {
  const env = new Map<string, {value: string; file: string; line: number}>()
  const d = findDirective(unit, 'Service', 'Environment')
  for (const a of d?.contributions ?? [])
    for (const m of a.value.matchAll(/"([^"]*)"|(\S+)/g)) {
      const text = m[1] ?? m[2] ?? ''
      const eq = text.indexOf('=')
      if (eq > 0) env.set(text.slice(0, eq), {value: text.slice(eq + 1), file: a.file, line: a.line})
    }
  return env
}

/** PULSE-AGENT-004: the service user, and the finding when it is root. */
function judgeUser(
  unit: LoadedUnit,
  fragment: string,
  url: string | undefined,
): {user: string; findings: Finding[]} {
  const d = findDirective(unit, 'Service', 'User')
  const user = d && d.value !== '' ? d.value : 'root'
  if (user !== 'root' && user !== '0') return {user, findings: []}
  const at = d ? sourceOf(d) : undefined
  return {
    user: 'root',
    findings: [
      {
        check: 'PULSE-AGENT-004',
        path: at?.file ?? fragment,
        ...(at ? {line: at.line, evidence: `User=${d?.value}`} : {}),
        message:
          "the agent runs as root (the installer's default): a flaw in it, or a command Pulse sends it, acts as root on the host; " +
          "rerun Pulse's install.sh with --least-privilege (user pulse-agent, with --grant-smart / --grant-pct only if needed)",
        ...withRemedy({
          kind: 'manual',
          command: reinstall(url, true),
          why: `${REINSTALL_WHY}; add --grant-smart or --grant-pct only if the agent must read SMART data or containers`,
        }),
      },
    ],
  }
}

/** PULSE-AGENT-001: the token file is the service's alone (0600, root or the service user). */
async function judgeTokenFile(host: Host, file: string, user: string): Promise<Finding[]> {
  const st = await host.stat(file)
  if (!st.ok)
    return st.missing ? [] : [{check: 'PULSE-AGENT-001', path: file, message: st.message, undecided: true}]
  const owner = await host.ownerOf(st.value)
  const [name] = owner.split(':')
  const evidence = `${octal(st.value.mode)} ${owner}`
  const problems: string[] = []
  if (st.value.type !== 'file') problems.push(`is a ${st.value.type}, not a regular file`)
  if (name !== 'root' && name !== user)
    problems.push(`is owned by ${name}, neither root nor the service user ${user}`)
  if (st.value.mode & 0o004) problems.push('is readable by every local user')
  else if (st.value.mode & 0o040) problems.push(`is readable by group ${owner.split(':')[1]}`)
  if (st.value.mode & 0o022) problems.push('is writable by others than its owner')
  if (problems.length === 0) return []
  return [
    {
      check: 'PULSE-AGENT-001',
      path: file,
      evidence,
      message: `the agent's API token ${problems.join(' and ')}: who can read it reports to Pulse as this host (and who can write it swaps the agent's credential); chown ${user === 'root' ? 'root:root' : `${user}:${user}`} ${file} && chmod 0600 ${file}`,
      ...(st.value.type === 'file'
        ? withRemedy({
            kind: 'attrs',
            path: file,
            owner: user === 'root' ? 'root' : user,
            group: user === 'root' ? 'root' : user,
            mode: 0o600,
          })
        : {}),
    },
  ]
}

/** PULSE-AGENT-002 and 003: the token anywhere but its file. */
async function judgeTokenCopies(
  host: Host,
  unit: LoadedUnit,
  words: string[],
  at: ReturnType<typeof sourceOf> | undefined,
  env: ReturnType<typeof environment>,
  stateDir: string,
  tokenFile: string,
  url: string | undefined,
): Promise<Finding[]> {
  const findings: Finding[] = []
  const fix = `rerun Pulse's install.sh (it passes --token-file ${stateDir}/token), then rotate the token in Pulse`
  if (flagValue(words, 'token') !== undefined && at)
    findings.push({
      check: 'PULSE-AGENT-002',
      path: at.file,
      line: at.line,
      message: `ExecStart passes the API token with --token: every local user reads it in the unit file and in /proc/<pid>/cmdline; ${fix}`,
      ...withRemedy({kind: 'manual', command: reinstall(url, false), why: REINSTALL_WHY}),
    })
  const inEnv = env.get('PULSE_TOKEN')
  if (inEnv)
    findings.push({
      check: 'PULSE-AGENT-002',
      path: inEnv.file,
      line: inEnv.line,
      message: `Environment= sets PULSE_TOKEN: the unit file is readable by every local user (and systemctl show prints it); ${fix}`,
      ...withRemedy({kind: 'manual', command: reinstall(url, false), why: REINSTALL_WHY}),
    })
  const files = findDirective(unit, 'Service', 'EnvironmentFile')?.contributions ?? []
  for (const a of files) {
    const file = a.value.replace(/^-/, '').trim()
    const text = await host.readText(file)
    if (!text.ok) continue
    const line = text.value.split('\n').findIndex((l) => /^\s*(export\s+)?PULSE_TOKEN=\S/.test(l))
    if (line < 0) continue
    const st = await host.stat(file, {follow: true})
    if (st.ok && st.value.mode & 0o004)
      findings.push({
        check: 'PULSE-AGENT-002',
        path: file,
        line: line + 1,
        evidence: `${octal(st.value.mode)} ${await host.ownerOf(st.value)}`,
        message: `PULSE_TOKEN is in an environment file every local user can read (loaded by ${a.file}:${a.line}); chmod 0600 ${file}, or better ${fix}`,
        // systemd reads it as root before the service starts: 0600 takes nothing from the agent.
        ...withRemedy({kind: 'attrs', path: file, mode: 0o600}),
      })
  }
  const connection = `${stateDir}/connection.env`
  const text = await host.readText(connection)
  if (text.ok) {
    const line = text.value.split('\n').findIndex((l) => /^\s*(export\s+)?PULSE_TOKEN=\S/.test(l))
    const loaded = files.some((a) => a.value.replace(/^-/, '').trim() === connection)
    const lineText = text.value.split('\n')[line] ?? ''
    if (line >= 0)
      findings.push({
        check: 'PULSE-AGENT-003',
        path: connection,
        line: line + 1,
        message: `an old connection file still holds PULSE_TOKEN, a second copy of the secret that current installers keep only in ${stateDir}/token; delete the PULSE_TOKEN line (the installer's uninstall reads PULSE_TOKEN_FILE)`,
        // Safe only while the agent takes its token from the token file and not from this file.
        ...(!loaded && (await host.exists(tokenFile))
          ? withRemedy({
              kind: 'edit',
              path: connection,
              edits: [{op: 'delete', line: line + 1, expect: lineText}],
            })
          : withRemedy({
              kind: 'manual',
              command: sedDeleteLine(connection, lineText, line + 1),
              why: loaded
                ? `the unit loads ${connection}: the agent may take its token from it; rerun Pulse's installer first, which passes --token-file`
                : `${tokenFile} is missing: this may be the only copy of the token the agent uses`,
            })),
      })
  }
  return findings
}

/** The installer's commands for the service user: smartctl (any arguments), `pct list` and `pct df *`. */
function grantedByInstaller(c: SudoersCommand): boolean {
  if (c.negated) return true
  const runsAsRoot =
    (c.runas.length === 0 || (c.runas.length === 1 && c.runas[0] === 'root')) && c.runasGroups.length === 0
  if (!runsAsRoot || c.tags.some((t) => t !== 'NOPASSWD') || !c.command.startsWith('/')) return false
  const base = path.posix.basename(c.command)
  if (base === 'smartctl') return c.args === undefined
  return base === 'pct' && (c.args === 'list' || c.args === 'df *')
}

const describe = (c: SudoersCommand) =>
  `${c.runas.length > 0 || c.runasGroups.length > 0 ? `(${c.runas.join(',')}${c.runasGroups.length ? `:${c.runasGroups.join(',')}` : ''}) ` : ''}${c.tags.map((t) => `${t}: `).join('')}${c.command}${c.args === undefined ? '' : ` ${c.args || '""'}`}`

/** PULSE-AGENT-005: every sudoers rule that names the service user grants only what the installer grants. */
async function judgeSudoers(host: Host, user: string): Promise<{findings: Finding[]; grants: boolean}> {
  const files = [SUDOERS]
  const names = await host.list(SUDOERS_DIR)
  if (names.ok)
    files.push(
      ...names.value
        .filter(sudoersIncludedName)
        .sort()
        .map((n) => `${SUDOERS_DIR}/${n}`),
    )
  const findings: Finding[] = []
  let grants = false
  for (const file of files) {
    const text = await host.readText(file)
    if (!text.ok) {
      if (!text.missing)
        findings.push({check: 'PULSE-AGENT-005', path: file, message: text.message, undecided: true})
      continue
    }
    const parsed = parseSudoers(text.value)
    for (const e of parsed.errors)
      findings.push({check: 'PULSE-AGENT-005', path: file, line: e.line, message: e.message, undecided: true})
    const userAliases = new Set(
      parsed.entries.flatMap((e) =>
        e.kind === 'alias' && e.type === 'User_Alias' && e.members.some((m) => m === user || m === `%${user}`)
          ? [e.name]
          : [],
      ),
    )
    const cmndAliases = new Map(
      parsed.entries.flatMap((e) =>
        e.kind === 'alias' && e.type.startsWith('Cm') ? [[e.name, e.members]] : [],
      ),
    )
    for (const e of parsed.entries) {
      if (e.kind !== 'spec') continue
      if (!e.users.some((u) => u === user || u === `%${user}` || u === 'ALL' || userAliases.has(u))) continue
      grants = true
      const extra = e.privileges
        .flatMap((p) => p.commands)
        .flatMap((c) => {
          const alias = cmndAliases.get(c.command)
          if (!alias) return grantedByInstaller(c) ? [] : [describe(c)]
          return alias.some((m) => {
            const space = m.search(/\s/)
            return !grantedByInstaller({
              ...c,
              command: space < 0 ? m : m.slice(0, space),
              ...(space < 0 ? {} : {args: m.slice(space).trim()}),
            })
          })
            ? [`${describe(c)} (${alias.join(', ')})`]
            : []
        })
      if (extra.length > 0)
        findings.push({
          check: 'PULSE-AGENT-005',
          path: file,
          line: e.line,
          message: `grants ${e.users.join(',')} ${extra.join(', ')}: more than the installer's exact commands (smartctl, pct list, pct df *), so whoever takes over the agent (its binary is owned by ${user}) runs that as root; keep only the installer's lines (install.sh --grant-smart / --grant-pct writes ${AGENT_SUDOERS})`,
          ...withRemedy({
            kind: 'manual',
            // Edited as a copy whose name sudo skips (it has a dot), checked by visudo, then renamed into place.
            command: [
              `cp -p ${shellQuote(file)} ${shellQuote(`${file}.pcp-harden`)}`,
              sedDeleteLine(`${file}.pcp-harden`, text.value.split('\n')[e.line - 1] ?? '', e.line),
              `visudo -cf ${shellQuote(`${file}.pcp-harden`)}`,
              `mv ${shellQuote(`${file}.pcp-harden`)} ${shellQuote(file)}`,
            ].join(' && '),
            why: "sudoers is the admin's policy, and a broken sudoers file locks sudo: the line is removed in a copy sudo does not read, which visudo -cf checks before it replaces the file; the installer rewrites its own lines with --grant-smart / --grant-pct",
          }),
        })
    }
  }
  return {findings, grants}
}

/** The hardening the installer's unit sets (NoNewPrivileges and RestrictSUIDSGID only where it keeps them). */
function judgeHardening(unit: LoadedUnit, fragment: string, user: string, grants: boolean): Finding[] {
  const setting: Record<string, string[]> = {
    UMask: ['UMask=0077'],
    SystemCallArchitectures: ['SystemCallArchitectures=', 'SystemCallArchitectures=native'],
  }
  const linesOf = (key: string) => setting[key] ?? [`${key}=true`]
  const keys: string[] = []
  const required: [string, (d: EffectiveDirective | undefined) => boolean][] = [
    ['PrivateTmp', (d) => !!d && TRUE.test(d.value)],
    ['ProtectKernelTunables', (d) => !!d && TRUE.test(d.value)],
    ['ProtectKernelModules', (d) => !!d && TRUE.test(d.value)],
    ['ProtectControlGroups', (d) => !!d && TRUE.test(d.value)],
    ['LockPersonality', (d) => !!d && TRUE.test(d.value)],
    ['SystemCallArchitectures', (d) => !!d && d.items.length === 1 && d.items[0] === 'native'],
    ['UMask', (d) => !!d && /^0?077$/.test(d.value)],
  ]
  if (user !== 'root') {
    required.push(['RestrictSUIDSGID', (d) => !!d && TRUE.test(d.value)])
    if (!grants) required.push(['NoNewPrivileges', (d) => !!d && TRUE.test(d.value)])
  }
  const missing: string[] = []
  const findings: Finding[] = []
  for (const [key, ok] of required) {
    const d = findDirective(unit, 'Service', key)
    if (ok(d)) continue
    if (!d) {
      missing.push(key)
      continue
    }
    const at = sourceOf(d)
    // A later drop-in than pcp-harden.conf would win over it: that line is the admin's to remove.
    if (at.file === fragment || (at.file.split('/').pop() ?? '') < DROP_IN_NAME) keys.push(key)
    findings.push({
      check: 'PULSE-AGENT-006',
      path: at.file,
      line: at.line,
      evidence: `${key}=${d.value}`,
      message: `${key}=${d.value} weakens the sandbox Pulse's installer gives the agent (${key === 'UMask' ? 'UMask=0077' : key === 'SystemCallArchitectures' ? 'SystemCallArchitectures=native' : `${key}=true`})`,
    })
  }
  if (missing.length > 0)
    findings.push({
      check: 'PULSE-AGENT-006',
      path: fragment,
      message: `the effective unit lacks ${missing.join(', ')}, which Pulse's installer sets: rerun install.sh to rewrite the unit, or add them in a drop-in`,
    })
  // The installer's own values, in a drop-in: they cannot take from the agent what its installer gave it.
  const plan = dropInPlan(unit, AGENT_UNIT, [...keys, ...missing].flatMap(linesOf))
  const fixable = (f: Finding) => f.line === undefined || keys.some((k) => f.evidence?.startsWith(`${k}=`))
  return findings.map((f) => (plan && fixable(f) ? {...f, ...withRemedy(plan)} : f))
}

const isLoopback = (host: string) =>
  host === 'localhost' || host === '::1' || host === '[::1]' || /^127\.\d+\.\d+\.\d+$/.test(host)

/** PULSE-AGENT-008 and 009: the listener's address and remote commands. */
function judgeSurface(
  words: string[],
  at: ReturnType<typeof sourceOf> | undefined,
  env: ReturnType<typeof environment>,
  fragment: string,
): Finding[] {
  const findings: Finding[] = []
  const where = (envName: string) => {
    const e = env.get(envName)
    return e ? {path: e.file, line: e.line} : at ? {path: at.file, line: at.line} : {path: fragment}
  }
  const flag = flagValue(words, 'health-addr')
  const addr = flag ?? env.get('PULSE_HEALTH_ADDR')?.value ?? DEFAULT_HEALTH_ADDR
  const hostPart = addr.replace(/:\d*$/, '')
  if (addr !== '' && !isLoopback(hostPart))
    findings.push({
      check: 'PULSE-AGENT-008',
      ...(flag === undefined
        ? where('PULSE_HEALTH_ADDR')
        : at
          ? {path: at.file, line: at.line}
          : {path: fragment}),
      evidence: addr,
      message: `the agent's health and metrics listener is on ${addr}, not loopback: any host that can reach it reads the agent's /metrics without a password; set --health-addr ${DEFAULT_HEALTH_ADDR}`,
    })
  const envCommands = env.get('PULSE_ENABLE_COMMANDS')
  if (hasFlag(words, 'enable-commands') || (envCommands && TRUE.test(envCommands.value)))
    findings.push({
      check: 'PULSE-AGENT-009',
      ...(hasFlag(words, 'enable-commands') && at
        ? {path: at.file, line: at.line}
        : where('PULSE_ENABLE_COMMANDS')),
      message:
        "remote commands are enabled (--enable-commands): whoever controls the Pulse server, or an account on it allowed to run Patrol actions, runs commands on this host as the agent's user; turn it off unless you use them",
    })
  return findings
}

/** The unified agent as Pulse's installer sets it up, judged once per host. */
export const analyzeAgent = perHost(async (host: Host): Promise<Outcome<AgentAnalysis>> => {
  const unit = await loadUnit(AGENT_UNIT, hostUnitSource(host), SYSTEM_UNIT_SEARCH_PATH)
  const unreadable = unit.diagnostics.find((d) => d.message.startsWith('cannot read'))
  if (unreadable) return {state: 'error', path: unreadable.file, message: unreadable.message}
  if (unit.state === 'not-found') return {state: 'absent', reason: `no ${AGENT_UNIT} unit`}
  if (unit.state === 'masked') return {state: 'absent', reason: `${AGENT_UNIT} is masked (${unit.fragment})`}
  const fragment = unit.fragment as string
  if (unit.state === 'error')
    return {state: 'error', path: fragment, message: 'systemd refuses to load the unit'}
  const {words, at} = execWords(unit)
  const env = environment(unit)
  const stateDir = flagValue(words, 'state-dir') ?? AGENT_STATE
  const tokenFile = flagValue(words, 'token-file') ?? `${stateDir}/token`
  const url = flagValue(words, 'url')
  const {user, findings} = judgeUser(unit, fragment, url)
  const sudoers = await judgeSudoers(host, user === 'root' ? AGENT_USER : user)
  findings.push(
    ...(await judgeTokenFile(host, tokenFile, user)),
    ...(await judgeTokenCopies(host, unit, words, at, env, stateDir, tokenFile, url)),
    ...sudoers.findings,
    ...judgeHardening(unit, fragment, user, sudoers.grants),
    ...judgeSurface(words, at, env, fragment),
  )
  const healthAddr =
    flagValue(words, 'health-addr') ?? env.get('PULSE_HEALTH_ADDR')?.value ?? DEFAULT_HEALTH_ADDR
  return {state: 'judged', findings, unit, fragment, user, grants: sudoers.grants, healthAddr}
})
