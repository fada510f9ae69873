import type {CatalogueEntry} from '../index.js'

/** The PCP-PMPROXY checks, for src/checks/index.ts. */
export const PMPROXY_CHECKS: CatalogueEntry[] = [
  {
    id: 'PCP-PMPROXY-001',
    profiles: ['pcp-collector'],
    load: async () => (await import('./pcp-pmproxy-001.js')).check,
  },
  {
    id: 'PCP-PMPROXY-002',
    profiles: ['pcp-collector'],
    load: async () => (await import('./pcp-pmproxy-002.js')).check,
  },
  {
    id: 'PCP-PMPROXY-003',
    profiles: ['pcp-collector'],
    load: async () => (await import('./pcp-pmproxy-003.js')).check,
  },
  {
    id: 'PCP-PMPROXY-004',
    profiles: ['pcp-collector'],
    load: async () => (await import('./pcp-pmproxy-004.js')).check,
  },
  {
    id: 'PCP-PMPROXY-005',
    profiles: ['pcp-collector'],
    load: async () => (await import('./pcp-pmproxy-005.js')).check,
  },
]
