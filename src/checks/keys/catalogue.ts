import type {CatalogueEntry} from '../catalogue-entry.js'

/** The PSP-KEYS checks, for src/checks/index.ts. */
export const KEYS_CHECKS: CatalogueEntry[] = []
