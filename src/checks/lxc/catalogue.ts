import type {CatalogueEntry} from '../catalogue-entry.js'

/** The PSP-LXC checks, for src/checks/index.ts. */
export const LXC_CHECKS: CatalogueEntry[] = []
