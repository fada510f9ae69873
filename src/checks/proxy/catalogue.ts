import type {CatalogueEntry} from '../catalogue-entry.js'

/** The PSP-ACCOUNT and PSP-CONF checks, for src/checks/index.ts. */
export const PROXY_CHECKS: CatalogueEntry[] = []
