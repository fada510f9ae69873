import type {Host} from '../host/host.js'
import {hostResolver} from '../host/resolve.js'
import {type Diagnostic, parseAccessStatements, parsePmcdConf, type PmcdConf} from '../parsers/pmcd-conf.js'
import {type AccessContext, type AccessPolicy, buildAccessPolicy} from './access.js'

export const PMCD_CONF = '/etc/pcp/pmcd/pmcd.conf'
export const PMCD_CONF_ACCESS = '/etc/pcp/pmcd/pmcd.conf.access'

export interface AccessLint {
  /** The file linted (a host path, or a local path given on the command line). */
  file: string
  /** Whether pmcd accepts it (`pmcd -v` exits 0). */
  valid: boolean
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
  if (conf.diagnostics.some((d) => d.severity === 'error'))
    return {file, valid: false, diagnostics: conf.diagnostics, conf}
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
  return {
    file,
    valid: !policy.diagnostics.some((d) => d.severity === 'error'),
    diagnostics: [...conf.diagnostics, ...policy.diagnostics],
    conf,
    policy,
  }
}

/** The resolution context of the machine under --root. */
export async function accessContext(host: Host, live: boolean): Promise<AccessContext> {
  const {users, groups} = await host.accounts()
  return {resolveHost: hostResolver(host, live), users, groups}
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
