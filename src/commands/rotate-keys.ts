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
import type {KeyStore} from '../rotate/keystore.js'
import {escapeJson, escapeLines} from '../report/escape.js'

export default class RotateKeys extends BaseCommand<typeof RotateKeys> {
  static override summary = "Rotate pulse-sensor-proxy's SSH key on every cluster node, safely"
  static override description =
    "The Pulse proxy hardening guide's staged rotation as one command: preflight (a lock, the active key, every node reachable with the " +
    'admin identity), stage a new ed25519 key in ssh.d/next, push its restricted line (from=, the forced command, ' +
    'no forwarding, no pty) to every node with an atomic remote replace, verify it as the proxy connects, swap ' +
    'ssh/ and ssh.d/next locally, then remove the old key from every node. A failure on any node removes the new ' +
    'key everywhere and keeps the active one. --rollback makes ssh.d/prev active again; an interrupted run is ' +
    'finished or undone by the next one (journal ssh.d/rotation.json). --dry-run only reads. Exit: 0 done, 1 done ' +
    'but the old key is left on some node, 2 failed (undone, or nothing changed), 3 bad input or another run holds the lock.'
  static override examples = [
    '<%= config.bin %> rotate-keys --dry-run --nodes pve1,pve2,pve3',
    '<%= config.bin %> rotate-keys --root /mnt/image --dry-run --nodes pve1,pve2:2222 --from 10.0.0.0/24',
    '<%= config.bin %> rotate-keys --rollback --dry-run --nodes pve1 --format json',
  ]

  static override flags = {
    nodes: nodesFlag,
    'key-dir': Flags.string({
      description: "The proxy's state directory (a host path): ssh/id_ed25519 is the active key",
      default: '/var/lib/pulse-sensor-proxy',
    }),
    'authorized-keys': authorizedKeysFlag,
    'forced-command': Flags.string({
      description: 'The command the key may run on a node',
      default: 'sensors -j',
    }),
    from: Flags.string({
      description:
        "Source addresses/CIDR of the line's from= (repeatable) [default: allowed_source_subnets of /etc/pulse-sensor-proxy/config.yaml; when empty, this machine's own addresses /32 and /128]",
      multiple: true,
    }),
    ...sshFlags,
    timeout: Flags.integer({
      description: 'Seconds each step may take on a node (a read, a write, the verification)',
      default: 60,
      min: 1,
    }),
    concurrency: concurrencyFlag,
    'keep-old': Flags.boolean({
      description: 'Leave the old key on the nodes until a later run',
      default: false,
    }),
    rollback: Flags.boolean({
      description: 'Make ssh.d/prev active again and remove the rolled-back key',
      default: false,
    }),
    format: Flags.string({description: 'Output format', options: ['text', 'json'], default: 'text'}),
    'dry-run': dryRunFlag,
  }

  async run(): Promise<void> {
    const {flags} = this
    const host = await this.diskHost()
    const {clusterNodes, parseNodeList, sourceSubnets} = await import('../rotate/nodes.js')
    const ssh = sshSettings(flags)
    absoluteHostPath('key-dir', flags['key-dir'])
    absoluteHostPath('authorized-keys', flags['authorized-keys'])
    const nodes = flags.nodes ? parseNodeList(flags.nodes) : (await clusterNodes(host)).nodes
    // The first nodes' handshakes start now, while the rest of the run loads and takes the lock:
    // reading nothing yet, on as many nodes as the preflight takes at once.
    const {AdminSessions} = await import('../rotate/remote.js')
    const admin = new AdminSessions(ssh)
    for (const node of nodes.slice(0, flags.concurrency)) admin.connect(node, flags['authorized-keys'])
    let report
    let store: KeyStore | undefined
    try {
      const {KeyStore} = await import('../rotate/keystore.js')
      store = new KeyStore(path.resolve(flags.root), path.posix.normalize(flags['key-dir']))
      const {rotateKeys, rollbackKeys, planRotation} = await import('../rotate/rotate.js')
      const {chooseRenderer} = await import('../rotate/renderer.js')
      const {listrProgress} = await import('../rotate/listr-progress.js')
      const renderer = chooseRenderer({
        format: flags.format,
        dryRun: flags['dry-run'],
        tty: Boolean(process.stdout.isTTY),
      })
      const ctx = {
        store,
        nodes,
        ssh,
        authorizedKeys: flags['authorized-keys'],
        forcedCommand: flags['forced-command'],
        from: await sourceSubnets(host, flags.from ?? []),
        timeoutMs: flags.timeout * 1000,
        keepOld: flags['keep-old'],
        progress: listrProgress(renderer, flags.concurrency),
        admin,
      }
      report = await (flags['dry-run']
        ? planRotation(ctx, flags.rollback)
        : flags.rollback
          ? rollbackKeys(ctx)
          : rotateKeys(ctx))
    } catch (error) {
      if (error instanceof InputError) throw error
      throw new InputError(`rotate-keys: ${(error as Error).message}`)
    } finally {
      // The run closes the sessions itself; this is for a run that failed before it started. The
      // key directory's descriptors are closed here, not left to the garbage collector (which
      // warns on stderr when it runs before the process ends).
      await admin.close()
      await store?.close()
    }
    const {formatRotateReport} = await import('../rotate/format.js')
    const formatted = formatRotateReport(report, flags.format as 'json' | 'text')
    process.stdout.write(flags.format === 'json' ? escapeJson(formatted) : escapeLines(formatted))
    process.exitCode = report.exitCode
  }
}
