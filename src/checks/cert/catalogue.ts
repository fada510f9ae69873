import type {CatalogueEntry} from '../index.js'

/** The PCP-CERT checks, for src/checks/index.ts. */
export const CERT_CHECKS: CatalogueEntry[] = [
  {
    id: 'PCP-CERT-001',
    profiles: ['pcp-collector'],
    load: async () => (await import('./pcp-cert-001.js')).check,
  },
]
