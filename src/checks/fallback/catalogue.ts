import {type CatalogueEntry, catalogueEntry as entry} from '../catalogue-entry.js'

/** The PULSE-SSH checks (the SSH fallback of Pulse's temperatures), for src/checks/index.ts. */
export const FALLBACK_CHECKS: CatalogueEntry[] = [
  entry('PULSE-SSH-001', ['proxmox-host', 'pulse-agent', 'pulse-proxy'], () => import('./pulse-ssh-001.js')),
  entry('PULSE-SSH-002', ['proxmox-host', 'pulse-agent', 'pulse-proxy'], () => import('./pulse-ssh-002.js')),
  entry('PULSE-SSH-003', ['proxmox-host', 'pulse-agent', 'pulse-proxy'], () => import('./pulse-ssh-003.js')),
]
