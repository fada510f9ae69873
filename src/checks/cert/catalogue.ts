import {type CatalogueEntry, catalogueEntry as entry} from '../catalogue-entry.js'

/** The PCP-CERT checks, for src/checks/index.ts. */
export const CERT_CHECKS: CatalogueEntry[] = [
  entry('PCP-CERT-001', ['pcp-collector'], () => import('./pcp-cert-001.js')),
]
