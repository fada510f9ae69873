import type {CatalogueEntry} from '../index.js'

/** The PCP-TLS checks, for src/checks/index.ts. */
export const TLS_CHECKS: CatalogueEntry[] = [
  {
    id: 'PCP-TLS-001',
    profiles: ['pcp-collector'],
    load: async () => (await import('./pcp-tls-001.js')).check,
  },
  {
    id: 'PCP-TLS-002',
    profiles: ['pcp-collector'],
    load: async () => (await import('./pcp-tls-002.js')).check,
  },
  {
    id: 'PCP-TLS-003',
    profiles: ['pcp-collector'],
    load: async () => (await import('./pcp-tls-003.js')).check,
  },
  {
    id: 'PCP-TLS-004',
    profiles: ['pcp-collector'],
    load: async () => (await import('./pcp-tls-004.js')).check,
  },
  {
    id: 'PCP-TLS-005',
    profiles: ['pcp-collector'],
    load: async () => (await import('./pcp-tls-005.js')).check,
  },
]
