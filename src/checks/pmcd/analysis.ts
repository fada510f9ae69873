import type {Host} from '../../host/host.js'
import {atoi, type PmcdEnv, pmcdLocal, readPmcdEnv} from '../../parsers/pmcd-env.js'
import {
  classifyInterface,
  type InterfaceKind,
  type PmcdOptions,
  readPmcdOptions,
} from '../../parsers/pmcd-options.js'
import {readSaslConf, type SaslConf} from '../../parsers/sasl-conf.js'
import {readTlsConf, TLS_CONF_PATH, type TlsConf} from '../../parsers/tls-conf.js'
import {type AccessLint, PMCD_CONF} from '../../pcp/lint.js'
import {type ClientClass, clientClasses, decide, type Operation} from '../../pcp/policy.js'
import {installedPcp} from '../../vuln/installed.js'
import {analyzeAccess} from '../access/analysis.js'
import {perHost} from '../family.js'
import type {Check, CheckMeta, CheckResult} from '../types.js'
import {ipFamily} from '../../net/ip.js'

/** One address pmcd listens on, and what put it there (an -i option, or PMCD_LOCAL). */
export interface Listener {
  address: string
  kind: InterfaceKind
  path: string
  line?: number
}

/** A client that is not local and that pmcd's access rules let fetch or store. */
export interface RemoteAccess {
  client: ClientClass
  op: Operation
  /** Where the rule that allows it is; none when no rule speaks of it (then pmcd allows it). */
  rule?: {file: string; line: number}
}

/** pmcd as the rc script starts it: options, environment, access rules, TLS and SASL. */
export interface PmcdSetup {
  options: PmcdOptions
  /** pmcd.options' lines as written (line N at index N - 1), for remedies that name the text they edit. */
  optionLines: string[]
  env: PmcdEnv
  access: AccessLint
  /** pmcd.conf's lines as written. */
  confLines: string[]
  tls: TlsConf
  sasl: SaslConf
  /** The -i addresses, and loopback when PMCD_LOCAL is on; none means every interface. */
  listeners: Listener[]
  /** The last -U, when the root's /etc/passwd has no such user (pmcd cannot switch to it and exits). */
  unknownUser?: {name: string; line: number}
  /** Why pmcd does not start as configured, if it does not. */
  startFailure?: string
  /** The remote clients the access rules let fetch or store (one entry per client: fetch, else store). */
  remotes: RemoteAccess[]
}

type Analysis = PmcdSetup | {file: string; error: string} | undefined

/** The root's pmcd setup, read once per host however many checks ask; undefined without pmcd.conf. */
export const analyzePmcd = perHost((host: Host): Promise<Analysis> => readSetup(host))

async function readSetup(host: Host): Promise<Analysis> {
  const accessAnalysis = await analyzeAccess(host)
  if (!accessAnalysis || 'error' in accessAnalysis) return accessAnalysis
  const access = accessAnalysis.lint
  const conf = await host.readText(PMCD_CONF)
  // Options valid in the installed pmcd are never unknown (PCP 7's -C and -M).
  const installed = await installedPcp(host)
  const options = await readPmcdOptions(
    host,
    undefined,
    installed.state === 'found' ? installed.pcp.upstream : undefined,
  )
  if ('error' in options) return {file: options.path, error: options.error}
  const optionsText = await host.readText(options.path)
  const env = await readPmcdEnv(host)
  if ('error' in env) return {file: env.path, error: env.error}
  const tls = await readTlsConf(host, env.variables.get('PCP_TLSCONF_PATH')?.value ?? TLS_CONF_PATH)
  const sasl = await readSaslConf(host)

  const listeners: Listener[] = options.options
    .filter((o) => o.letter === 'i')
    .map((o) => {
      const address = o.value ?? ''
      return {address, kind: classifyInterface(address), path: options.path, line: o.line}
    })
  const local = pmcdLocal(env)
  // pmcd adds loopback after the -i options when PMCD_LOCAL is on (main() in pmcd.c).
  if (local.on)
    listeners.push({address: 'INADDR_LOOPBACK', kind: 'loopback', path: env.path, line: local.line})

  const user = options.options.filter((o) => o.letter === 'U').at(-1)
  const {users} = await host.accounts()
  const unknownUser =
    user && users.length > 0 && !users.some((u) => u.name === user.value)
      ? {name: user.value ?? '', line: user.line}
      : undefined

  const startFailure = !access.valid
    ? `pmcd rejects ${access.file} (PCP-ACCESS-001)`
    : options.problems.some((p) => p.severity === 'error') || unknownUser
      ? `pmcd does not start with ${options.path} (PCP-PMCD-001)`
      : env.problems.some((p) => p.severity === 'error')
        ? `rc_pmcd stops on ${env.path} (PCP-PMCD-001)`
        : undefined

  return {
    options,
    optionLines: optionsText.ok ? optionsText.value.split('\n') : [],
    env,
    access,
    confLines: conf.ok ? conf.value.split('\n') : [],
    tls,
    sasl,
    listeners,
    ...(unknownUser ? {unknownUser} : {}),
    ...(startFailure ? {startFailure} : {}),
    remotes: remoteAccess(access),
  }
}

function remoteAccess(access: AccessLint): RemoteAccess[] {
  const policy = access.policy
  if (!policy) return []
  return clientClasses(policy)
    .filter((c) => !c.local)
    .flatMap((client) => {
      for (const op of ['fetch', 'store'] as const) {
        const decision = decide(policy, client.address, op)
        if (!decision.allowed) continue
        const source = decision.rule?.sources[0]
        return [
          {client, op, ...(source ? {rule: {file: source.file ?? access.file, line: source.line}} : {})},
        ]
      }
      return []
    })
}

/** pmcd listens on every interface: no -i and PMCD_LOCAL off, or an -i for the wildcard address. */
export function listensEverywhere(setup: PmcdSetup): boolean {
  return setup.listeners.length === 0 || setup.listeners.some((l) => l.kind === 'any')
}

const familyOf = (address: string): 4 | 6 => (ipFamily(address.replace(/%.*$/, '')) === 6 ? 6 : 4)

/** The address families of the remote hosts that can reach pmcd (none when it listens on loopback only). */
function networkFamilies(setup: PmcdSetup): Set<4 | 6> {
  if (setup.listeners.length === 0) return new Set([4, 6])
  const families = new Set<4 | 6>()
  for (const listener of setup.listeners) {
    if (listener.address === 'INADDR_ANY') {
      families.add(4)
      families.add(6)
    } else if (listener.kind === 'any' || listener.kind === 'address')
      families.add(familyOf(listener.address))
  }
  return families
}

/** A remote client that can reach pmcd and that its rules let fetch or store, if there is one. */
export function remoteClients(setup: PmcdSetup): RemoteAccess | undefined {
  const families = networkFamilies(setup)
  return setup.remotes.find((r) => families.has(familyOf(r.client.address)))
}

/** `any other IPv4 host may fetch (allowed by pmcd.conf line 9)`. */
export function describeRemote(remote: RemoteAccess): string {
  const why = remote.rule
    ? `allowed by ${remote.rule.file} line ${remote.rule.line}`
    : 'no access rule speaks of it, so pmcd allows it'
  return `${remote.client.label} may ${remote.op} (${why})`
}

/** pmcd gets the option with this letter (`Q` for -Q and --remotecert). */
export function hasOption(setup: PmcdSetup, letter: string): boolean {
  return setup.options.options.some((o) => o.letter === letter)
}

/** A widely copied PCP security guide's `PCD_HOST=` and `PCD_PORT=` lines: settings PCP does not have. */
export const SEED_BINDING_LINE = /^\s*(PCD_HOST|PCD_PORT)\s*=/

/** What a written PMCD_LOCAL value means to the admin: a non-zero number, or yes/true/on. */
function meansOn(written: string): boolean {
  const bare = written.replace(/["']/g, '').trim()
  return (/^[+-]?\d+$/.test(bare) && Number(bare) !== 0) || /^(yes|true|on|y)$/i.test(bare)
}

/**
 * The line that means PMCD_LOCAL=1 (the last one that speaks of it) when pmcd does not get it,
 * and why: rc_pmcd skips the line, the quotes stay, the shell splits it, or atoi reads 0.
 */
export function localIntentLost(env: PmcdEnv): {line: number; why: string} | undefined {
  if (pmcdLocal(env).on) return undefined
  let last: {line: number; raw: string; written: string} | undefined
  env.lines.forEach((raw, index) => {
    const match = /^\s*(?:export\s+)?PMCD_LOCAL\s*=(.*)$/.exec(raw)
    if (match) last = {line: index + 1, raw, written: (match[1] ?? '').replace(/\s#.*$/, '').trim()}
  })
  if (!last || !meansOn(last.written)) return undefined
  const set = env.variables.get('PMCD_LOCAL')
  const exported = set?.line === last.line ? set.value.trim() : undefined
  const why = !last.raw.startsWith('PMCD')
    ? 'rc_pmcd uses only lines that start with PMCD or PCP, and skips this one'
    : exported !== last.written
      ? 'the shell splits the line at its spaces, so PMCD_LOCAL does not get the value written'
      : /["']/.test(exported)
        ? `the quotes are kept: pmcd gets PMCD_LOCAL=${exported} and reads it as the number ${atoi(exported)}`
        : `pmcd reads PMCD_LOCAL as a number (atoi), and "${exported}" is ${atoi(exported)}`
  return {line: last.line, why}
}

/** A check over pmcd's setup; `needsStart`: it judges a running pmcd, so it skips one that does not start. */
export function pmcdCheck(
  meta: CheckMeta,
  judge: (setup: PmcdSetup, host: Host) => CheckResult[] | Promise<CheckResult[]>,
  needsStart = false,
): Check {
  return {
    ...meta,
    async run(host) {
      const setup = await analyzePmcd(host)
      if (!setup) return [{status: 'skip', message: `not applicable: no ${PMCD_CONF} under the root`}]
      if ('error' in setup) return [{status: 'error', path: setup.file, message: setup.error}]
      if (needsStart && setup.startFailure)
        return [{status: 'skip', path: setup.options.path, message: `not applicable: ${setup.startFailure}`}]
      return judge(setup, host)
    },
  }
}
