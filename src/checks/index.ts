import {AGENT_CHECKS} from './agent/catalogue.js'
import {CERT_CHECKS} from './cert/catalogue.js'
import {CONTAINER_CHECKS} from './container/catalogue.js'
import {FALLBACK_CHECKS} from './fallback/catalogue.js'
import {KEYS_CHECKS} from './keys/catalogue.js'
import {LEGACY_CHECKS} from './legacy/catalogue.js'
import {LIVE_CHECKS} from './live/catalogue.js'
import {LXC_CHECKS} from './lxc/catalogue.js'
import {MONITOR_CHECKS} from './monitor/catalogue.js'
import {NET_CHECKS} from './net/catalogue.js'
import {PMCD_CHECKS} from './pmcd/catalogue.js'
import {PMPROXY_CHECKS} from './pmproxy/catalogue.js'
import {PROXY_CHECKS} from './proxy/catalogue.js'
import {TLS_CHECKS} from './tls/catalogue.js'
import {UNIT_CHECKS} from './unit/catalogue.js'
import {VULN_CHECKS} from './vuln/catalogue.js'
import {WEB_CHECKS} from './web/catalogue.js'
import {type CatalogueEntry, catalogueEntry as entry} from './catalogue-entry.js'
import type {Check} from './types.js'

export type {CatalogueEntry} from './catalogue-entry.js'

/**
 * The catalogue: every check by id, with the profiles it applies to, loaded only when it runs.
 * A test keeps the profiles here equal to the ones in each module.
 */
export const CATALOGUE: readonly CatalogueEntry[] = [
  entry('PCP-ACCESS-001', ['pcp-collector'], () => import('./access/pcp-access-001.js')),
  entry('PCP-ACCESS-002', ['pcp-collector'], () => import('./access/pcp-access-002.js')),
  entry('PCP-ACCESS-003', ['pcp-collector'], () => import('./access/pcp-access-003.js')),
  entry('PCP-ACCESS-004', ['pcp-collector'], () => import('./access/pcp-access-004.js')),
  entry('PCP-ACCESS-005', ['pcp-collector'], () => import('./access/pcp-access-005.js')),
  entry('PCP-ACCESS-006', ['pcp-collector'], () => import('./access/pcp-access-006.js')),
  entry('PCP-ACCESS-007', ['pcp-collector'], () => import('./access/pcp-access-007.js')),
  entry('PCP-ACCESS-008', ['pcp-collector'], () => import('./access/pcp-access-008.js')),
  entry('PCP-ACCESS-009', ['pcp-collector'], () => import('./access/pcp-access-009.js')),
  ...PMCD_CHECKS,
  ...TLS_CHECKS,
  ...PMPROXY_CHECKS,
  ...MONITOR_CHECKS,
  ...CERT_CHECKS,
  ...VULN_CHECKS,
  ...LIVE_CHECKS,
  ...WEB_CHECKS,
  ...NET_CHECKS,
  entry('PCP-FILE-001', ['pcp-collector'], () => import('./files/pcp-file-001.js')),
  entry('PCP-FILE-002', ['pcp-collector'], () => import('./files/pcp-file-002.js')),
  entry('PCP-FILE-003', ['pcp-collector'], () => import('./files/pcp-file-003.js')),
  entry('PCP-FILE-004', ['pcp-collector'], () => import('./files/pcp-file-004.js')),
  entry('PCP-FILE-005', ['pcp-collector'], () => import('./files/pcp-file-005.js')),
  entry('PCP-FILE-006', ['pcp-collector'], () => import('./files/pcp-file-006.js')),
  entry('PCP-FILE-007', ['pcp-collector'], () => import('./files/pcp-file-007.js')),
  entry('PSP-FILE-001', ['pulse-proxy'], () => import('./files/psp-file-001.js')),
  entry('PSP-FILE-002', ['pulse-proxy'], () => import('./files/psp-file-002.js')),
  entry('PSP-FILE-003', ['pulse-proxy'], () => import('./files/psp-file-003.js')),
  entry('PSP-FILE-004', ['pulse-proxy'], () => import('./files/psp-file-004.js')),
  entry('PSP-FILE-005', ['pulse-proxy'], () => import('./files/psp-file-005.js')),
  ...PROXY_CHECKS,
  ...UNIT_CHECKS,
  ...KEYS_CHECKS,
  ...LXC_CHECKS,
  ...CONTAINER_CHECKS,
  ...LEGACY_CHECKS,
  ...FALLBACK_CHECKS,
  ...AGENT_CHECKS,
]

export function findEntry(id: string): CatalogueEntry | undefined {
  const wanted = id.toUpperCase()
  return CATALOGUE.find((e) => e.id === wanted)
}

export function loadAll(): Promise<Check[]> {
  return Promise.all(CATALOGUE.map((e) => e.load()))
}
