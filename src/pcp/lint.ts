import type {Host} from '../host/host.js'
import {hostResolver} from '../host/resolve.js'
import {type Diagnostic, parsePmcdConf, type PmcdConf} from '../parsers/pmcd-conf.js'
import {type AccessContext, type AccessPolicy, buildAccessPolicy} from './access.js'

export interface AccessLint {
  /** Whether pmcd accepts the file (`pmcd -v` exits 0). */
  valid: boolean
  /** Syntax and semantic diagnostics, in file order of discovery. */
  diagnostics: Diagnostic[]
  conf: PmcdConf
  /** Present when the syntax was valid. */
  policy?: AccessPolicy
}

/** Decide a pmcd.conf the way `pmcd -v -c FILE` does. */
export async function lintPmcdConf(text: string, ctx: AccessContext): Promise<AccessLint> {
  const conf = parsePmcdConf(text)
  if (conf.diagnostics.length > 0) return {valid: false, diagnostics: conf.diagnostics, conf}
  const policy = await buildAccessPolicy(conf, ctx)
  return {
    valid: !policy.diagnostics.some((d) => d.severity === 'error'),
    diagnostics: policy.diagnostics,
    conf,
    policy,
  }
}

/** The resolution context of the machine under --root. */
export async function accessContext(host: Host, live: boolean): Promise<AccessContext> {
  const {users, groups} = await host.accounts()
  return {resolveHost: hostResolver(host, live), users, groups}
}
