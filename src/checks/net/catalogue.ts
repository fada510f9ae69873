import {type CatalogueEntry, catalogueEntry as entry} from '../catalogue-entry.js'

/** The PCP-NET checks (the firewalls in front of the services), for src/checks/index.ts. */
export const NET_CHECKS: CatalogueEntry[] = [
  entry('PCP-NET-001', ['pcp-collector', 'pulse-agent', 'proxmox-host'], () => import('./pcp-net-001.js')),
]
