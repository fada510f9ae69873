import {Flags} from '@oclif/core'

import {concurrencyFlag, sshFlags} from '../cli/node-flags.js'
import {REMOTE_PROGRAMS} from '../host/remote-programs.js'

const NOT_WITH_NODES = ['sample']

/**
 * verify's fleet flags: which nodes to audit over SSH, and how (rotate-keys' ssh settings). Only
 * the read-only programs of REMOTE_PROGRAMS run on a node; nothing is written or installed there.
 */
export const fleetFlags = {
  nodes: Flags.string({
    description:
      `Audit these nodes over SSH as root instead of --root: host[:port],... (repeatable). Read-only: each ` +
      `node runs one shell that only calls ${REMOTE_PROGRAMS.join(', ')}; nothing is written or installed there`,
    multiple: true,
    exclusive: ['cluster', ...NOT_WITH_NODES],
    helpGroup: 'FLEET',
  }),
  cluster: Flags.boolean({
    description:
      "Audit the Proxmox cluster's members over SSH, as --nodes (from /etc/pve/corosync.conf, else /etc/pve/.members, under --root)",
    default: false,
    exclusive: NOT_WITH_NODES,
    helpGroup: 'FLEET',
  }),
  concurrency: concurrencyFlag,
  'node-timeout': Flags.integer({
    description: "Seconds one node's whole audit may take (connection included) before it is UNKNOWN",
    default: 120,
    min: 1,
    helpGroup: 'FLEET',
  }),
  ...sshFlags,
}

export interface FleetFlagValues {
  nodes?: string[]
  cluster: boolean
  concurrency: number
  'node-timeout': number
  identity?: string
  'known-hosts'?: string
  'ssh-option'?: string[]
  'insecure-accept-new-host-keys': boolean
  'connect-timeout': number
}

/** Whether the flags ask for a fleet audit. */
export const isFleet = (flags: Pick<FleetFlagValues, 'nodes' | 'cluster'>) =>
  flags.nodes !== undefined || flags.cluster
