import {type CatalogueEntry, catalogueEntry as entry} from '../catalogue-entry.js'

/** The PULSE-LEGACY checks, for src/checks/index.ts. */
export const LEGACY_CHECKS: CatalogueEntry[] = [
  entry('PULSE-LEGACY-001', ['pulse-proxy'], () => import('./pulse-legacy-001.js')),
  entry(
    'PULSE-LEGACY-002',
    ['pulse-proxy', 'pulse-agent', 'proxmox-host'],
    () => import('./pulse-legacy-002.js'),
  ),
  entry(
    'PULSE-LEGACY-003',
    ['pulse-proxy', 'pulse-agent', 'proxmox-host'],
    () => import('./pulse-legacy-003.js'),
  ),
  entry(
    'PULSE-LEGACY-004',
    ['pulse-proxy', 'pulse-agent', 'proxmox-host'],
    () => import('./pulse-legacy-004.js'),
  ),
  entry(
    'PULSE-LEGACY-005',
    ['pulse-proxy', 'pulse-agent', 'proxmox-host'],
    () => import('./pulse-legacy-005.js'),
  ),
  entry(
    'PULSE-LEGACY-006',
    ['pulse-proxy', 'pulse-agent', 'proxmox-host'],
    () => import('./pulse-legacy-006.js'),
  ),
  entry(
    'PULSE-LEGACY-007',
    ['pulse-proxy', 'pulse-agent', 'proxmox-host'],
    () => import('./pulse-legacy-007.js'),
  ),
  entry(
    'PULSE-LEGACY-008',
    ['pulse-proxy', 'pulse-agent', 'proxmox-host'],
    () => import('./pulse-legacy-008.js'),
  ),
]
