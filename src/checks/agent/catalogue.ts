import {type CatalogueEntry, catalogueEntry as entry} from '../catalogue-entry.js'

/** The PULSE-AGENT checks (Pulse's unified agent), for src/checks/index.ts. */
export const AGENT_CHECKS: CatalogueEntry[] = [
  entry('PULSE-AGENT-001', ['pulse-agent'], () => import('./pulse-agent-001.js')),
  entry('PULSE-AGENT-002', ['pulse-agent'], () => import('./pulse-agent-002.js')),
  entry('PULSE-AGENT-003', ['pulse-agent'], () => import('./pulse-agent-003.js')),
  entry('PULSE-AGENT-004', ['pulse-agent'], () => import('./pulse-agent-004.js')),
  entry('PULSE-AGENT-005', ['pulse-agent'], () => import('./pulse-agent-005.js')),
  entry('PULSE-AGENT-006', ['pulse-agent'], () => import('./pulse-agent-006.js')),
  entry('PULSE-AGENT-007', ['pulse-agent'], () => import('./pulse-agent-007.js')),
  entry('PULSE-AGENT-008', ['pulse-agent'], () => import('./pulse-agent-008.js')),
  entry('PULSE-AGENT-009', ['pulse-agent'], () => import('./pulse-agent-009.js')),
]
