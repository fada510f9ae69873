import {type CatalogueEntry, catalogueEntry as entry} from '../catalogue-entry.js'

/** The PSP-UNIT checks, for src/checks/index.ts. */
export const UNIT_CHECKS: CatalogueEntry[] = [
  entry('PSP-UNIT-001', ['pulse-proxy'], () => import('./psp-unit-001.js')),
  entry('PSP-UNIT-002', ['pulse-proxy'], () => import('./psp-unit-002.js')),
  entry('PSP-UNIT-003', ['pulse-proxy'], () => import('./psp-unit-003.js')),
  entry('PSP-UNIT-004', ['pulse-proxy'], () => import('./psp-unit-004.js')),
  entry('PSP-UNIT-005', ['pulse-proxy'], () => import('./psp-unit-005.js')),
  entry('PSP-UNIT-006', ['pulse-proxy'], () => import('./psp-unit-006.js')),
  entry('PSP-UNIT-007', ['pulse-proxy'], () => import('./psp-unit-007.js')),
  entry('PSP-UNIT-008', ['pulse-proxy'], () => import('./psp-unit-008.js')),
]
