import type {CatalogueEntry} from '../index.js'

/** The PCP-MON checks, for src/checks/index.ts. */
export const MONITOR_CHECKS: CatalogueEntry[] = [
  {id: 'PCP-MON-001', profiles: ['pcp-monitor'], load: async () => (await import('./pcp-mon-001.js')).check},
  {id: 'PCP-MON-002', profiles: ['pcp-monitor'], load: async () => (await import('./pcp-mon-002.js')).check},
  {id: 'PCP-MON-003', profiles: ['pcp-monitor'], load: async () => (await import('./pcp-mon-003.js')).check},
  {id: 'PCP-MON-004', profiles: ['pcp-monitor'], load: async () => (await import('./pcp-mon-004.js')).check},
  {id: 'PCP-MON-005', profiles: ['pcp-monitor'], load: async () => (await import('./pcp-mon-005.js')).check},
]
