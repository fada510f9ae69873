import {type CatalogueEntry, catalogueEntry as entry} from '../catalogue-entry.js'

/** The PCP-PMPROXY checks, for src/checks/index.ts. */
export const PMPROXY_CHECKS: CatalogueEntry[] = [
  entry('PCP-PMPROXY-001', ['pcp-collector'], () => import('./pcp-pmproxy-001.js')),
  entry('PCP-PMPROXY-002', ['pcp-collector'], () => import('./pcp-pmproxy-002.js')),
  entry('PCP-PMPROXY-003', ['pcp-collector'], () => import('./pcp-pmproxy-003.js')),
  entry('PCP-PMPROXY-004', ['pcp-collector'], () => import('./pcp-pmproxy-004.js')),
  entry('PCP-PMPROXY-005', ['pcp-collector'], () => import('./pcp-pmproxy-005.js')),
]
