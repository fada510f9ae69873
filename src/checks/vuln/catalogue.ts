import {type CatalogueEntry, catalogueEntry as entry} from '../catalogue-entry.js'

/** The PCP-VULN checks, for src/checks/index.ts. */
export const VULN_CHECKS: CatalogueEntry[] = [
  entry('PCP-VULN-001', ['pcp-collector'], () => import('./pcp-vuln-001.js')),
  entry('PCP-VULN-002', ['pcp-collector'], () => import('./pcp-vuln-002.js')),
]
