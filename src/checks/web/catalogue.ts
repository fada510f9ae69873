import {type CatalogueEntry, catalogueEntry as entry} from '../catalogue-entry.js'

/** The PCP-WEB checks (nginx in front of pmproxy), for src/checks/index.ts. */
export const WEB_CHECKS: CatalogueEntry[] = [
  entry('PCP-WEB-001', ['pcp-collector'], () => import('./pcp-web-001.js')),
  entry('PCP-WEB-002', ['pcp-collector'], () => import('./pcp-web-002.js')),
  entry('PCP-WEB-003', ['pcp-collector'], () => import('./pcp-web-003.js')),
]
