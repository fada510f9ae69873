import {type AuditOptions, runAudit} from '../../src/engine/audit.js'
import {type Host} from '../../src/host/host.js'

/**
 * verify's audit of a host as the tests run it: every failure counts (fail-on low), no waivers,
 * judged now; the caller says which root, which profiles and, if it likes, which checks.
 */
export function auditHost(
  host: Host,
  options: Pick<AuditOptions, 'rootLabel' | 'profiles' | 'only' | 'skip'>,
) {
  return runAudit(host, {
    ...options,
    failOn: 'low',
    waivers: [],
    now: new Date(),
    tool: {name: 'pcp-harden', version: 'test'},
  })
}
