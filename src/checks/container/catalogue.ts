import type {CatalogueEntry} from '../catalogue-entry.js'

/** The PSP-CT checks, for src/checks/index.ts. */
export const CONTAINER_CHECKS: CatalogueEntry[] = []
