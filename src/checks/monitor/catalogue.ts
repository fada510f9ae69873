import {type CatalogueEntry, catalogueEntry as entry} from '../catalogue-entry.js'

/** The PCP-MON checks, for src/checks/index.ts. */
export const MONITOR_CHECKS: CatalogueEntry[] = [
  entry('PCP-MON-001', ['pcp-monitor'], () => import('./pcp-mon-001.js')),
  entry('PCP-MON-002', ['pcp-monitor'], () => import('./pcp-mon-002.js')),
  entry('PCP-MON-003', ['pcp-monitor'], () => import('./pcp-mon-003.js')),
  entry('PCP-MON-004', ['pcp-monitor'], () => import('./pcp-mon-004.js')),
  entry('PCP-MON-005', ['pcp-monitor'], () => import('./pcp-mon-005.js')),
]
