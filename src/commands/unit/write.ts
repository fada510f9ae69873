import {Args, Flags} from '@oclif/core'

import {BaseCommand, dryRunFlag} from '../../cli/base.js'
import {InputError} from '../../engine/errors.js'
import type {DiskBackend} from '../../host/backend.js'
import {UNIT_NAMES} from '../../render/unit-names.js'
import {escapeLines} from '../../report/escape.js'

export default class UnitWrite extends BaseCommand<typeof UnitWrite> {
  static override summary = "Write pulse-sensor-proxy's hardened units into the root's /etc/systemd/system"
  static override description =
    'Renders the hardened pulse-sensor-proxy.service (systemd-analyze security scores it 2.0 or lower), its ' +
    'lxc-access.conf drop-in (RuntimeDirectoryMode=0775, as the Pulse proxy hardening guide writes it), and the quarterly key ' +
    'rotation pulse-sensor-proxy-rotate-keys.service and .timer (running pcp-harden rotate-keys). NAMEs select ' +
    'some of them; default: all. Directives left out carry a comment saying why. Writes are atomic and keep ' +
    'NAME.pcp-harden.bak; --dry-run prints the plan and a unified diff. Then: systemctl daemon-reload.'
  static override examples = [
    '<%= config.bin %> unit write --root /mnt/image --dry-run',
    '<%= config.bin %> unit write pulse-sensor-proxy.service lxc-access.conf --binary /opt/pulse/sensor-proxy/bin/pulse-sensor-proxy --dry-run',
    '<%= config.bin %> unit write --root /mnt/image --allowed-subnets 10.1.2.0/24,10.1.3.0/24 --dry-run',
  ]

  static override strict = false
  static override args = {
    name: Args.string({description: `Units to write (default: all): ${UNIT_NAMES.join(', ')}`}),
  }

  static override flags = {
    binary: Flags.string({
      description: "The proxy's executable (ExecStart=)",
      default: '/usr/local/bin/pulse-sensor-proxy',
    }),
    user: Flags.string({description: 'The service user (User=)', default: 'pulse-sensor-proxy'}),
    group: Flags.string({description: 'The service group (Group=) [default: the user]'}),
    config: Flags.string({
      description: "The proxy's config.yaml (--config of ExecStart=)",
      default: '/etc/pulse-sensor-proxy/config.yaml',
    }),
    'allowed-subnets': Flags.string({
      description:
        'CIDRs the proxy may reach, comma-separated or repeated: adds IPAddressDeny=any and IPAddressAllow=localhost CIDR...',
      multiple: true,
    }),
    'pcp-harden': Flags.string({
      description: 'The pcp-harden executable the rotation service runs',
      default: '/usr/bin/pcp-harden',
    }),
    'dry-run': dryRunFlag,
  }

  async run(): Promise<void> {
    const {flags} = this
    const {argv} = await this.parse(UnitWrite)
    const {checkAccountName, checkCidr, checkUnitPath, renderUnits} = await import('../../render/units.js')
    const unknown = (argv as string[]).filter((n) => !(UNIT_NAMES as readonly string[]).includes(n))
    if (unknown.length > 0)
      throw new InputError(`${unknown.join(', ')}: no such unit (expected one of ${UNIT_NAMES.join(', ')})`)
    const names = UNIT_NAMES.filter((n) => argv.length === 0 || (argv as string[]).includes(n))
    const user = checkAccountName('user', flags.user)
    const options = {
      binary: checkUnitPath('binary', flags.binary),
      user,
      group: checkAccountName('group', flags.group ?? user),
      config: checkUnitPath('config', flags.config),
      allowedSubnets: (flags['allowed-subnets'] ?? [])
        .flatMap((v) => v.split(','))
        .filter((v) => v.trim() !== '')
        .map(checkCidr),
      pcpHarden: checkUnitPath('pcp-harden', flags['pcp-harden']),
    }
    const host = await this.diskHost()
    const root = (host.backend as DiskBackend).root
    const {applyPlan, formatPlan, planChanges} = await import('../../render/writer.js')
    const plan = await planChanges(
      root,
      renderUnits(names, options).map((u) => ({
        path: u.path,
        content: u.content,
        mode: 0o644,
        dirMode: 0o755,
      })),
    )
    const out = [formatPlan(plan, await host.accounts())]
    if (user === 'root')
      out.push(
        '',
        'warning: --user root: the proxy would run as root, so a flaw in it (it answers every container ' +
          'that reaches its socket) would give away the whole host; the hardening guide runs it as its ' +
          'own user, pulse-sensor-proxy',
      )
    if (flags['dry-run']) {
      out.push('', 'dry run: nothing written')
    } else if (plan.every((p) => p.action === 'unchanged')) {
      out.push('', 'the units already say this: nothing written')
    } else {
      await applyPlan(root, plan)
      out.push(
        '',
        'written (a replaced file is kept as NAME.pcp-harden.bak); apply with: systemctl daemon-reload' +
          (names.includes('pulse-sensor-proxy-rotate-keys.timer')
            ? ' && systemctl enable --now pulse-sensor-proxy-rotate-keys.timer'
            : ''),
      )
    }
    process.stdout.write(escapeLines(out.join('\n')) + '\n')
  }
}
