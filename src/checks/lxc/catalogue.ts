import {type CatalogueEntry, catalogueEntry as entry} from '../catalogue-entry.js'

/** The PSP-LXC checks, for src/checks/index.ts. */
export const LXC_CHECKS: CatalogueEntry[] = [
  entry('PSP-LXC-001', ['proxmox-host'], () => import('./psp-lxc-001.js')),
  entry('PSP-LXC-002', ['proxmox-host'], () => import('./psp-lxc-002.js')),
  entry('PSP-LXC-003', ['proxmox-host'], () => import('./psp-lxc-003.js')),
  entry('PSP-LXC-004', ['proxmox-host'], () => import('./psp-lxc-004.js')),
  entry('PSP-LXC-005', ['proxmox-host'], () => import('./psp-lxc-005.js')),
  entry('PSP-LXC-006', ['proxmox-host'], () => import('./psp-lxc-006.js')),
  entry('PSP-LXC-007', ['proxmox-host'], () => import('./psp-lxc-007.js')),
  entry('PSP-LXC-008', ['proxmox-host'], () => import('./psp-lxc-008.js')),
  entry('PSP-LXC-009', ['proxmox-host'], () => import('./psp-lxc-009.js')),
  entry('PSP-LXC-010', ['proxmox-host'], () => import('./psp-lxc-010.js')),
  entry('PSP-LXC-011', ['proxmox-host'], () => import('./psp-lxc-011.js')),
  entry('PSP-LXC-012', ['proxmox-host'], () => import('./psp-lxc-012.js')),
]
