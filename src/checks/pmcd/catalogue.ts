import type {CatalogueEntry} from '../index.js'
import type {Check} from '../types.js'

const entry = (id: string, load: () => Promise<{check: Check}>): CatalogueEntry => ({
  id,
  profiles: ['pcp-collector'],
  load: async () => (await load()).check,
})

/** pmcd's options, environment, binding and authentication, for the catalogue in ../index.ts. */
export const PMCD_CHECKS: CatalogueEntry[] = [
  entry('PCP-PMCD-001', () => import('./pcp-pmcd-001.js')),
  entry('PCP-PMCD-002', () => import('./pcp-pmcd-002.js')),
  entry('PCP-PMCD-003', () => import('./pcp-pmcd-003.js')),
  entry('PCP-PMCD-004', () => import('./pcp-pmcd-004.js')),
  entry('PCP-PMCD-005', () => import('./pcp-pmcd-005.js')),
  entry('PCP-PMCD-006', () => import('./pcp-pmcd-006.js')),
  entry('PCP-PMCD-007', () => import('./pcp-pmcd-007.js')),
  entry('PCP-PMCD-008', () => import('./pcp-pmcd-008.js')),
  entry('PCP-PMCD-009', () => import('./pcp-pmcd-009.js')),
]
