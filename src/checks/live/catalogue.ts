import {type CatalogueEntry, catalogueEntry as entry} from '../catalogue-entry.js'

/** The PCP-LIVE checks (the running machine only), for src/checks/index.ts. */
export const LIVE_CHECKS: CatalogueEntry[] = [
  entry('PCP-LIVE-001', ['pcp-collector'], () => import('./pcp-live-001.js')),
  entry('PCP-LIVE-002', ['pcp-collector'], () => import('./pcp-live-002.js')),
]
