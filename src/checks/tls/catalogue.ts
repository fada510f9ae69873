import {type CatalogueEntry, catalogueEntry as entry} from '../catalogue-entry.js'

/** The PCP-TLS checks, for src/checks/index.ts. */
export const TLS_CHECKS: CatalogueEntry[] = [
  entry('PCP-TLS-001', ['pcp-collector'], () => import('./pcp-tls-001.js')),
  entry('PCP-TLS-002', ['pcp-collector'], () => import('./pcp-tls-002.js')),
  entry('PCP-TLS-003', ['pcp-collector'], () => import('./pcp-tls-003.js')),
  entry('PCP-TLS-004', ['pcp-collector'], () => import('./pcp-tls-004.js')),
  entry('PCP-TLS-005', ['pcp-collector'], () => import('./pcp-tls-005.js')),
]
