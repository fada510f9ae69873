import {type CatalogueEntry, catalogueEntry as entry} from '../catalogue-entry.js'

const P = ['pulse-proxy'] as const

/**
 * The PSP-ACCOUNT and PSP-CONF checks, and the proxy's PSP-FILE checks beyond the permission tree
 * (rotation staging, unexpected files, cron jobs), for src/checks/index.ts.
 */
export const PROXY_CHECKS: CatalogueEntry[] = [
  entry('PSP-FILE-006', P, () => import('../files/psp-file-006.js')),
  entry('PSP-FILE-007', P, () => import('../files/psp-file-007.js')),
  entry('PSP-FILE-008', P, () => import('../files/psp-file-008.js')),
  entry('PSP-FILE-009', P, () => import('../files/psp-file-009.js')),
  entry('PSP-ACCOUNT-001', P, () => import('./psp-account-001.js')),
  entry('PSP-ACCOUNT-002', P, () => import('./psp-account-002.js')),
  entry('PSP-ACCOUNT-003', P, () => import('./psp-account-003.js')),
  entry('PSP-ACCOUNT-004', P, () => import('./psp-account-004.js')),
  entry('PSP-ACCOUNT-005', P, () => import('./psp-account-005.js')),
  entry('PSP-CONF-001', P, () => import('./psp-conf-001.js')),
  entry('PSP-CONF-002', P, () => import('./psp-conf-002.js')),
  entry('PSP-CONF-003', P, () => import('./psp-conf-003.js')),
  entry('PSP-CONF-004', P, () => import('./psp-conf-004.js')),
  entry('PSP-CONF-005', P, () => import('./psp-conf-005.js')),
  entry('PSP-CONF-006', P, () => import('./psp-conf-006.js')),
  entry('PSP-CONF-007', P, () => import('./psp-conf-007.js')),
  entry('PSP-CONF-008', P, () => import('./psp-conf-008.js')),
  entry('PSP-CONF-009', P, () => import('./psp-conf-009.js')),
  entry('PSP-CONF-010', P, () => import('./psp-conf-010.js')),
]
