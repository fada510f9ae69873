import {MONITOR_CHECKS} from '../../src/checks/monitor/catalogue.js'
import {PMPROXY_CHECKS} from '../../src/checks/pmproxy/catalogue.js'
import {TLS_CHECKS} from '../../src/checks/tls/catalogue.js'
import type {CheckResult} from '../../src/checks/types.js'
import {Host} from '../../src/host/host.js'
import {MemoryBackend, type TreeSpec} from '../../src/host/tree.js'

/** The catalogue entries of the PCP-TLS, PCP-PMPROXY and PCP-MON checks. */
export const CONFIG_CHECKS = [...TLS_CHECKS, ...PMPROXY_CHECKS, ...MONITOR_CHECKS]

/** Every result of those checks on an in-memory host, each with its check id. */
export async function runConfigChecks(spec: TreeSpec): Promise<(CheckResult & {check: string})[]> {
  const host = new Host(new MemoryBackend(spec, 'test'))
  const checks = await Promise.all(CONFIG_CHECKS.map((entry) => entry.load()))
  const results = await Promise.all(
    checks.map(async (check) => (await check.run(host)).map((r) => ({...r, check: check.id}))),
  )
  return results.flat()
}
