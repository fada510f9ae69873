import {type CatalogueEntry, catalogueEntry as entry} from '../catalogue-entry.js'

/** The PSP-KEYS checks, for src/checks/index.ts. */
export const KEYS_CHECKS: CatalogueEntry[] = [
  entry('PSP-KEYS-001', ['pulse-proxy', 'proxmox-host'], () => import('./psp-keys-001.js')),
  entry('PSP-KEYS-002', ['pulse-proxy', 'proxmox-host'], () => import('./psp-keys-002.js')),
  entry('PSP-KEYS-003', ['pulse-proxy', 'proxmox-host'], () => import('./psp-keys-003.js')),
  entry('PSP-KEYS-004', ['pulse-proxy', 'proxmox-host'], () => import('./psp-keys-004.js')),
  entry('PSP-KEYS-005', ['pulse-proxy', 'proxmox-host'], () => import('./psp-keys-005.js')),
  entry('PSP-KEYS-006', ['pulse-proxy', 'proxmox-host'], () => import('./psp-keys-006.js')),
  entry('PSP-KEYS-007', ['pulse-proxy', 'proxmox-host'], () => import('./psp-keys-007.js')),
  entry('PSP-KEYS-008', ['pulse-proxy', 'proxmox-host'], () => import('./psp-keys-008.js')),
  entry('PSP-KEYS-009', ['pulse-proxy', 'proxmox-host'], () => import('./psp-keys-009.js')),
  entry('PSP-KEYS-010', ['pulse-proxy'], () => import('./psp-keys-010.js')),
  entry('PSP-KEYS-011', ['pulse-proxy'], () => import('./psp-keys-011.js')),
  entry('PSP-KEYS-012', ['pulse-proxy'], () => import('./psp-keys-012.js')),
]
