import {type CatalogueEntry, catalogueEntry as entry} from '../catalogue-entry.js'

/** pmcd's options, environment, binding and authentication, for the catalogue in ../index.ts. */
export const PMCD_CHECKS: CatalogueEntry[] = [
  entry('PCP-PMCD-001', ['pcp-collector'], () => import('./pcp-pmcd-001.js')),
  entry('PCP-PMCD-002', ['pcp-collector'], () => import('./pcp-pmcd-002.js')),
  entry('PCP-PMCD-003', ['pcp-collector'], () => import('./pcp-pmcd-003.js')),
  entry('PCP-PMCD-004', ['pcp-collector'], () => import('./pcp-pmcd-004.js')),
  entry('PCP-PMCD-005', ['pcp-collector'], () => import('./pcp-pmcd-005.js')),
  entry('PCP-PMCD-006', ['pcp-collector'], () => import('./pcp-pmcd-006.js')),
  entry('PCP-PMCD-007', ['pcp-collector'], () => import('./pcp-pmcd-007.js')),
  entry('PCP-PMCD-008', ['pcp-collector'], () => import('./pcp-pmcd-008.js')),
  entry('PCP-PMCD-009', ['pcp-collector'], () => import('./pcp-pmcd-009.js')),
  // Judged from the same pmcd set-up (its /etc/sasl2/pmcd.conf).
  entry('PCP-SASL-001', ['pcp-collector'], () => import('../sasl/pcp-sasl-001.js')),
]
