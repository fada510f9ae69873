import type {CatalogueEntry} from '../catalogue-entry.js'

/** The PSP-UNIT checks, for src/checks/index.ts. */
export const UNIT_CHECKS: CatalogueEntry[] = []
