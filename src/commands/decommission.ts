import path from 'node:path'

import {Flags} from '@oclif/core'

import {BaseCommand, dryRunFlag} from '../cli/base.js'
import {
  absoluteHostPath,
  authorizedKeysFlag,
  concurrencyFlag,
  nodesFlag,
  sshFlags,
  sshSettings,
} from '../cli/node-flags.js'
import {InputError} from '../engine/errors.js'

export default class Decommission extends BaseCommand<typeof Decommission> {
  static override summary =
    'Retire pulse-sensor-proxy (unsupported since Pulse 5.1.0) across the cluster, safely'
  static override description =
    "Stops and disables the proxy's units here, removes from every node's authorized_keys each line that is the " +
    "proxy's (its markers, or one of its current, staged or previous keys; every other line kept byte for byte, " +
    'the old file kept as .pcp-harden.bak), and removes the bind mounts of /run/pulse-sensor-proxy from the main ' +
    'section of every container config (never a snapshot section). --purge also removes its state directory, keys, ' +
    'config, logs, user and group. --emergency (the compromise checklist) revokes the keys on every node first, ' +
    'concurrently, with the admin identity, then stops the service. --collect-evidence DIR first writes a tarball of ' +
    "the proxy's config, units, state listing with SHA-256, each node's authorized_keys and its journal. Nodes, " +
    'lock, journal (a rerun finishes an interrupted run), concurrency and --dry-run (plan and unified diffs, changes ' +
    'nothing) as rotate-keys. Exit: 0 done, 2 a node not reached (named; its lines are left), 3 bad input or another run holds the lock.'
  static override examples = [
    '<%= config.bin %> decommission --dry-run --nodes pve1,pve2,pve3',
    '<%= config.bin %> decommission --root /mnt/image --dry-run --purge --collect-evidence /root/evidence --nodes pve1,pve2:2222',
    '<%= config.bin %> decommission --dry-run --emergency --nodes pve1 --format json',
  ]

  static override flags = {
    nodes: nodesFlag,
    'authorized-keys': authorizedKeysFlag,
    purge: Flags.boolean({
      description: "Also remove the proxy's state directory, keys, config, logs, user and group",
      default: false,
    }),
    emergency: Flags.boolean({
      description: 'Revoke every proxy key on every node first (concurrently), then stop the service',
      default: false,
    }),
    'collect-evidence': Flags.string({
      description:
        "Before anything is removed, write a tarball of the proxy's files, listings and nodes' authorized_keys to this directory",
    }),
    ...sshFlags,
    timeout: Flags.integer({description: 'Seconds each step may take on a node', default: 60, min: 1}),
    concurrency: concurrencyFlag,
    format: Flags.string({description: 'Output format', options: ['text', 'json'], default: 'text'}),
    'dry-run': dryRunFlag,
  }

  async run(): Promise<void> {
    const {flags} = this
    const host = await this.diskHost()
    const {clusterNodes, parseNodeList} = await import('../rotate/nodes.js')
    const {decommission, planDecommission} = await import('../decommission/decommission.js')
    const {formatDecommissionReport} = await import('../decommission/format.js')
    const {chooseRenderer} = await import('../rotate/renderer.js')
    const {listrProgress} = await import('../rotate/listr-progress.js')
    const ssh = sshSettings(flags)
    absoluteHostPath('authorized-keys', flags['authorized-keys'])
    const nodes = flags.nodes ? parseNodeList(flags.nodes) : (await clusterNodes(host)).nodes
    const renderer = chooseRenderer({
      format: flags.format,
      dryRun: flags['dry-run'],
      tty: Boolean(process.stdout.isTTY),
    })
    const root = path.resolve(flags.root)
    const ctx = {
      root,
      host,
      nodes,
      ssh,
      authorizedKeys: flags['authorized-keys'],
      timeoutMs: flags.timeout * 1000,
      purge: flags.purge,
      emergency: flags.emergency,
      ...(flags['collect-evidence'] ? {evidenceDir: path.resolve(flags['collect-evidence'])} : {}),
      progress: listrProgress(renderer, flags.concurrency),
      live: root === '/',
    }
    let report
    try {
      report = await (flags['dry-run'] ? planDecommission(ctx) : decommission(ctx))
    } catch (error) {
      if (error instanceof InputError) throw error
      throw new InputError(`decommission: ${(error as Error).message}`)
    }
    process.stdout.write(formatDecommissionReport(report, flags.format as 'json' | 'text'))
    process.exitCode = report.exitCode
  }
}
