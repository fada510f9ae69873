import type {Host} from '../host/host.js'
import {hostResolver, localhostResolver} from '../host/resolve.js'
import {type Diagnostic, parseAccessStatements, parsePmcdConf, type PmcdConf} from '../parsers/pmcd-conf.js'
import {type AccessContext, type AccessPolicy, buildAccessPolicy} from './access.js'

export const PMCD_CONF = '/etc/pcp/pmcd/pmcd.conf'
export const PMCD_CONF_ACCESS = '/etc/pcp/pmcd/pmcd.conf.access'

export interface AccessLint {
  /** The file linted (a host path, or a local path given on the command line). */
  file: string
  /**
   * Whether pmcd accepts it (`pmcd -v` exits 0). When `undecided`, the verdict for the likely case
   * (every name the image cannot resolve resolves on the live host).
   */
  valid: boolean
  /** Set when the verdict depends on names an offline image cannot resolve: why. */
  undecided?: string
  /** Syntax and semantic diagnostics, in the order pmcd meets them. */
  diagnostics: Diagnostic[]
  conf: PmcdConf
  /** Present when the syntax was valid. */
  policy?: AccessPolicy
}

/**
 * Decide a pmcd.conf the way `pmcd -v -c FILE` does; `extra` holds pmcd.conf.access, whose bare
 * statements continue the [access] section.
 */
export async function lintPmcdConf(
  text: string,
  ctx: AccessContext,
  file = PMCD_CONF,
  extra?: {text: string; file: string},
): Promise<AccessLint> {
  const conf = parsePmcdConf(text)
  if (conf.diagnostics.some((d) => d.severity === 'error')) {
    // pmcd judges each statement as it reads it: a problem in one before the syntax error comes first.
    const before = await buildAccessPolicy({...conf, accessLine: undefined}, ctx, 'drop')
    const first = before.diagnostics.filter((d) => d.severity === 'error')
    return {file, valid: false, diagnostics: [...first, ...conf.diagnostics], conf}
  }
  if (extra) {
    const more = parseAccessStatements(extra.text, extra.file)
    if (more.diagnostics.length > 0) return {file, valid: false, diagnostics: more.diagnostics, conf}
    if (more.statements.length === 0) {
      // pmcd reads the extra file as an access section of its own: it needs a statement too.
      const line = extra.text.split('\n').length
      const message = 'no valid statements in [access] section'
      return {file, valid: false, diagnostics: [{file: extra.file, line, severity: 'error', message}], conf}
    }
    conf.statements.push(...more.statements)
    conf.accessLine ??= 0
  }
  const policy = await buildAccessPolicy(conf, ctx)
  const valid = !policy.diagnostics.some((d) => d.severity === 'error')
  let undecided: string | undefined
  if (policy.diagnostics.some((d) => d.severity === 'unknown')) {
    // The same file, with every such name failing to resolve: a different verdict means that the
    // live host's resolver decides whether pmcd starts.
    const dropped = await buildAccessPolicy(conf, ctx, 'drop')
    if (dropped.diagnostics.some((d) => d.severity === 'error') === valid)
      undecided = valid
        ? `pmcd starts only if one of the names it cannot check offline resolves when pmcd starts`
        : `pmcd rejects it if the names it cannot check offline resolve when pmcd starts`
  }
  return {
    file,
    valid,
    ...(undecided ? {undecided} : {}),
    diagnostics: [...conf.diagnostics, ...policy.diagnostics],
    conf,
    policy,
  }
}

/** The resolution context of the machine under --root. */
export async function accessContext(host: Host, live: boolean): Promise<AccessContext> {
  const {users, groups} = await host.accounts()
  return {resolveHost: hostResolver(host, live), localhost: localhostResolver(host, live), users, groups}
}

/** The root's pmcd.conf (and pmcd.conf.access), linted; undefined when there is no pmcd.conf. */
export async function lintHostAccess(
  host: Host,
  live: boolean,
): Promise<AccessLint | {file: string; error: string} | undefined> {
  const text = await host.readText(PMCD_CONF)
  if (!text.ok) return text.missing ? undefined : {file: PMCD_CONF, error: text.message}
  const extra = await host.readText(PMCD_CONF_ACCESS)
  if (!extra.ok && !extra.missing) return {file: PMCD_CONF_ACCESS, error: extra.message}
  return lintPmcdConf(
    text.value,
    await accessContext(host, live),
    PMCD_CONF,
    extra.ok ? {text: extra.value, file: PMCD_CONF_ACCESS} : undefined,
  )
}
