import {type CatalogueEntry, catalogueEntry as entry} from '../catalogue-entry.js'

/** The PSP-CT checks, for src/checks/index.ts. */
export const CONTAINER_CHECKS: CatalogueEntry[] = [
  entry('PSP-CT-001', ['pulse-container'], () => import('./psp-ct-001.js')),
  entry('PSP-CT-002', ['pulse-container'], () => import('./psp-ct-002.js')),
  entry('PSP-CT-003', ['pulse-container'], () => import('./psp-ct-003.js')),
]
