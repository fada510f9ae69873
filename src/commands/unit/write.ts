import path from 'node:path'

import {Args, Flags} from '@oclif/core'

import {BaseCommand, dryRunFlag} from '../../cli/base.js'
import {InputError} from '../../engine/errors.js'
import type {DiskBackend} from '../../host/backend.js'
import {DEFAULT_TEXTFILE_DIR, UNIT_NAMES} from '../../render/unit-names.js'
import {escapeLines} from '../../report/escape.js'

/** A Prometheus job name as it goes into a label matcher: no quotes or backslashes. */
function checkJobName(value: string): string {
  if (!/^[A-Za-z0-9_.:-]+$/.test(value))
    throw new InputError(`--proxy-job ${JSON.stringify(value)}: expected a job name like pulse-sensor-proxy`)
  return value
}

export default class UnitWrite extends BaseCommand<typeof UnitWrite> {
  static override summary = "Write pulse-sensor-proxy's hardened units into the root's /etc/systemd/system"
  static override description =
    'Renders the hardened pulse-sensor-proxy.service (systemd-analyze security scores it 2.0 or lower), its ' +
    'lxc-access.conf drop-in (RuntimeDirectoryMode=0775, as the Pulse proxy hardening guide writes it), and the quarterly key ' +
    'rotation pulse-sensor-proxy-rotate-keys.service and .timer (running pcp-harden rotate-keys). NAMEs select ' +
    'some of them; default: all. Directives left out carry a comment saying why. Writes are atomic and keep ' +
    'NAME.pcp-harden.bak; --dry-run prints the plan and a unified diff. Then: systemctl daemon-reload. ' +
    '--audit-timer writes pcp-harden-audit.service and .timer instead: an hourly pcp-harden verify into ' +
    "node_exporter's textfile directory; --alert-rules FILE writes Prometheus alerting rules (the Pulse " +
    "proxy hardening guide's and alerts on pcp-harden's own metrics)."
  static override examples = [
    '<%= config.bin %> unit write --root /mnt/image --dry-run',
    '<%= config.bin %> unit write pulse-sensor-proxy.service lxc-access.conf --binary /opt/pulse/sensor-proxy/bin/pulse-sensor-proxy --dry-run',
    '<%= config.bin %> unit write --root /mnt/image --allowed-subnets 10.1.2.0/24,10.1.3.0/24 --dry-run',
    '<%= config.bin %> unit write --root /mnt/image --audit-timer --alert-rules /etc/prometheus/pcp-harden.rules.yml --dry-run',
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
    'audit-timer': Flags.boolean({
      description: 'Write pcp-harden-audit.service and .timer: verify every hour into --textfile-dir',
      default: false,
    }),
    'textfile-dir': Flags.string({
      description: "node_exporter's textfile collector directory the audit writes pcp_harden.prom into",
      default: DEFAULT_TEXTFILE_DIR,
    }),
    'alert-rules': Flags.string({
      description: 'Write Prometheus alerting rules (Pulse proxy and pcp-harden alerts) to this host path',
    }),
    'proxy-job': Flags.string({
      description: "--alert-rules: the Prometheus job that scrapes the proxy's /metrics",
      default: 'pulse-sensor-proxy',
    }),
    'dry-run': dryRunFlag,
  }

  async run(): Promise<void> {
    const {flags} = this
    const {argv} = await this.parse(UnitWrite)
    const {checkAccountName, checkCidr, checkUnitPath, renderAlertRules, renderAuditUnits, renderUnits} =
      await import('../../render/units.js')
    const unknown = (argv as string[]).filter((n) => !(UNIT_NAMES as readonly string[]).includes(n))
    if (unknown.length > 0)
      throw new InputError(`${unknown.join(', ')}: no such unit (expected one of ${UNIT_NAMES.join(', ')})`)
    const extras = flags['audit-timer'] || flags['alert-rules'] !== undefined
    const names = UNIT_NAMES.filter((n) => (argv.length === 0 ? !extras : (argv as string[]).includes(n)))
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
    const textfileDir = path.posix.normalize(checkUnitPath('textfile-dir', flags['textfile-dir']))
    const rulesPath = flags['alert-rules']
    const files = [
      ...renderUnits(names, options),
      ...(flags['audit-timer'] ? renderAuditUnits({pcpHarden: options.pcpHarden, textfileDir}) : []),
      ...(rulesPath === undefined
        ? []
        : [
            {
              path: path.posix.normalize(checkUnitPath('alert-rules', rulesPath)),
              // Stale after the hourly audit was missed twice.
              content: renderAlertRules({proxyJob: checkJobName(flags['proxy-job']), staleSeconds: 3 * 3600}),
            },
          ]),
    ]
    const plan = await planChanges(
      root,
      files.map((u) => ({path: u.path, content: u.content, mode: 0o644, dirMode: 0o755})),
      flags['audit-timer'] ? [{path: textfileDir, mode: 0o755, keepExisting: true}] : [],
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
            : '') +
          (flags['audit-timer'] ? ' && systemctl enable --now pcp-harden-audit.timer' : ''),
      )
    }
    process.stdout.write(escapeLines(out.join('\n')) + '\n')
  }
}
