import path from 'node:path'

import {Flags} from '@oclif/core'

import {InputError} from '../engine/errors.js'

/**
 * The flags of the commands that work on every cluster node through an admin SSH session
 * (rotate-keys, decommission), defined once, and the ssh settings they give.
 */
export const nodesFlag = Flags.string({
  description:
    "Nodes as host[:port],... (repeatable) [default: the cluster's members from /etc/pve/corosync.conf, else /etc/pve/.members]",
  multiple: true,
})

export const authorizedKeysFlag = Flags.string({
  description: "The authorized_keys file on every node (root's)",
  default: '/root/.ssh/authorized_keys',
})

/** How the admin's ssh reaches the nodes. */
export const sshFlags = {
  identity: Flags.string({
    description: "The admin's SSH private key [default: ssh's own (~/.ssh/id_ed25519, ...) and the agent]",
  }),
  'known-hosts': Flags.string({description: "A known_hosts file to use instead of the user's own"}),
  'ssh-option': Flags.string({description: 'An extra ssh option K=V (repeatable)', multiple: true}),
  'insecure-accept-new-host-keys': Flags.boolean({
    description: 'StrictHostKeyChecking=accept-new instead of yes (trust nodes never seen before)',
    default: false,
  }),
  'connect-timeout': Flags.integer({description: 'Seconds ssh waits to connect', default: 10, min: 1}),
}

export const concurrencyFlag = Flags.integer({description: 'Nodes handled at once', default: 8, min: 1})

interface SshFlagValues {
  identity?: string
  'known-hosts'?: string
  'ssh-option'?: string[]
  'insecure-accept-new-host-keys': boolean
  'connect-timeout': number
}

/** The admin session's ssh settings from the flags; a malformed --ssh-option is bad input. */
export function sshSettings(flags: SshFlagValues) {
  for (const option of flags['ssh-option'] ?? [])
    if (!/^[A-Za-z]+=\S/.test(option)) throw new InputError(`--ssh-option ${option}: not K=V`)
  return {
    identity: flags.identity,
    knownHosts: flags['known-hosts'],
    options: [
      ...(flags['insecure-accept-new-host-keys'] ? ['StrictHostKeyChecking=accept-new'] : []),
      ...(flags['ssh-option'] ?? []),
    ],
    connectTimeout: flags['connect-timeout'],
  }
}

/** A host path flag (--key-dir, --authorized-keys) must be absolute. */
export function absoluteHostPath(flag: string, value: string): string {
  if (!path.posix.isAbsolute(value)) throw new InputError(`--${flag} ${value}: not an absolute path`)
  return value
}
