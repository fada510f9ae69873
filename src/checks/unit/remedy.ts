/*
 * The remedy of the proxy unit's findings: one drop-in, /etc/systemd/system/pulse-sensor-proxy.service.d/
 * pcp-harden.conf, that sets what the findings miss (the unit file itself, which Pulse's installer
 * wrote, is never edited). Every finding the drop-in can fix carries the same drop-in, so applying one
 * or all of them gives one file. Each value is one Pulse's own installer gave the proxy (4.x
 * scripts/install-sensor-proxy.sh), so the drop-in cannot take away what the service needs: the
 * sockets it uses (AF_NETLINK for its own addresses), its state directory and the corosync IPC under
 * ProtectSystem=strict, and its peers' real uids (PrivateUsers=false keeps SO_PEERCRED working).
 */

import {sedDeleteLine, shellQuote} from '../fix.js'
import {type FixPlan, remedyCommand} from '../remedy.js'
import type {Finding} from '../family.js'
import type {LoadedUnit} from '../../parsers/systemd-unit.js'

export const DROP_IN_NAME = 'pcp-harden.conf'

/** Where a remedy moves a file that must go but may still be worth reading (0700 root:root). */
export const MOVED_ASIDE = '/var/backups/pcp-harden'

/** The lines that set each directive to its hardened value; a list is reset first, so nothing earlier widens it. */
const HARDENED: Readonly<Record<string, readonly string[]>> = {
  NoNewPrivileges: ['NoNewPrivileges=true'],
  // With the paths the proxy writes: its keys (rotation), its log directory, and corosync's IPC (pvecm).
  ProtectSystem: [
    'ProtectSystem=strict',
    'ReadWritePaths=/var/lib/pulse-sensor-proxy',
    'ReadWritePaths=-/var/log/pulse/sensor-proxy',
    'ReadWritePaths=-/run/corosync',
  ],
  // The installer's value: /home, /root and /run/user stay unwritable, and readable as before.
  ProtectHome: ['ProtectHome=read-only'],
  PrivateTmp: ['PrivateTmp=true'],
  SystemCallFilter: ['SystemCallFilter=', 'SystemCallFilter=@system-service'],
  CapabilityBoundingSet: ['CapabilityBoundingSet='],
  RestrictAddressFamilies: [
    'RestrictAddressFamilies=',
    'RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6 AF_NETLINK',
  ],
  ProtectKernelTunables: ['ProtectKernelTunables=true'],
  ProtectKernelModules: ['ProtectKernelModules=true'],
  ProtectKernelLogs: ['ProtectKernelLogs=true'],
  ProtectControlGroups: ['ProtectControlGroups=true'],
  ProtectClock: ['ProtectClock=true'],
  PrivateDevices: ['PrivateDevices=true'],
  RestrictSUIDSGID: ['RestrictSUIDSGID=true'],
  LockPersonality: ['LockPersonality=true'],
  RestrictRealtime: ['RestrictRealtime=true'],
  RestrictNamespaces: ['RestrictNamespaces=true'],
  SystemCallArchitectures: ['SystemCallArchitectures=', 'SystemCallArchitectures=native'],
  RuntimeDirectoryMode: ['RuntimeDirectoryMode=0775'],
  PrivateUsers: ['PrivateUsers=false'],
}

/**
 * The pcp-harden.conf drop-in of a unit in /etc/systemd/system that sets `lines` in [Service]: created,
 * or appended to when it exists (the admin's lines in it stay), then daemon-reload and a restart.
 */
export function dropInPlan(
  unit: LoadedUnit,
  unitName: string,
  lines: readonly string[],
): FixPlan | undefined {
  if (lines.length === 0) return undefined
  const path = `/etc/systemd/system/${unitName}.d/${DROP_IN_NAME}`
  const restart = ['daemon-reload', unitName]
  return unit.files.some((f) => f.path === path)
    ? {
        kind: 'edit',
        path,
        edits: [{op: 'append', text: `[Service]\n${lines.join('\n')}\n`}],
        validate: 'systemd-unit',
        restart,
      }
    : {
        kind: 'create',
        path,
        content: `# Written by pcp-harden: the hardening the unit lacked (systemd.exec(5))\n[Service]\n${lines.join('\n')}\n`,
        mode: 0o644,
        owner: 'root',
        group: 'root',
        validate: 'systemd-unit',
        restart,
      }
}

/** A unit finding with the directives it is about (what the drop-in must set to fix it). */
export type UnitFinding = Finding & {keys?: string[]}

const basename = (path: string) => path.slice(path.lastIndexOf('/') + 1)

/**
 * Attach remedies to the proxy unit's findings. `dropInDir` is the unit's directory of drop-ins under
 * /etc/systemd/system. A finding whose line sits in a drop-in that sorts after pcp-harden.conf
 * (which would win over it) gets the exact deletion of that line instead, as a manual step: that
 * file is the admin's own. CapabilityBoundingSet= is left out while the service runs as root (a root
 * service without CAP_DAC_OVERRIDE could no longer read the proxy-owned key).
 */
export function attachUnitRemedies(
  unit: LoadedUnit,
  unitName: string,
  findings: UnitFinding[],
  runsAsProxyUser: boolean,
  lineText: (path: string, line: number) => string | undefined,
): void {
  const late = (f: UnitFinding) =>
    f.line !== undefined && f.path !== unit.fragment && basename(f.path) > DROP_IN_NAME
  const fixable = (f: UnitFinding) =>
    f.keys !== undefined &&
    f.keys.length > 0 &&
    !late(f) &&
    (runsAsProxyUser || !f.keys.includes('CapabilityBoundingSet'))
  const keys = [...new Set(findings.filter(fixable).flatMap((f) => f.keys as string[]))]
  const lines = Object.keys(HARDENED)
    .filter((k) => keys.includes(k))
    .flatMap((k) => HARDENED[k] as string[])
  const plan = dropInPlan(unit, unitName, lines)
  for (const f of findings) {
    if (plan && fixable(f)) {
      f.remedy = plan
      f.fix = remedyCommand(plan)
      continue
    }
    const text = late(f) ? lineText(f.path, f.line as number) : undefined
    if (text !== undefined) {
      const command = `${sedDeleteLine(f.path, text, f.line)} && systemctl daemon-reload && systemctl restart ${unitName}`
      f.remedy = {
        kind: 'manual',
        command,
        why: `${basename(f.path)} is applied after ${DROP_IN_NAME} and is the admin's own drop-in: remove its line, then the unit's and pcp-harden's settings apply`,
      }
      f.fix = command
    }
  }
}

/**
 * PSP-UNIT-001: running the proxy as its own user is a drop-in too, but not an automatic one: the
 * user must exist and own the proxy's key and state first, or the service stops polling.
 */
export function userRemedy(unitName: string): FixPlan {
  const dir = `/etc/systemd/system/${unitName}.d`
  const body = '[Service]\nDynamicUser=false\nUser=pulse-sensor-proxy\nGroup=pulse-sensor-proxy\n'
  return {
    kind: 'manual',
    command:
      `id pulse-sensor-proxy && chown -R pulse-sensor-proxy:pulse-sensor-proxy /var/lib/pulse-sensor-proxy && ` +
      `install -d ${dir} && printf '%s' ${shellQuote(body)} >> ${dir}/${DROP_IN_NAME} && ` +
      `systemctl daemon-reload && systemctl restart ${unitName}`,
    why:
      'the service changes user: the user pulse-sensor-proxy must exist (useradd --system --user-group --no-create-home ' +
      '--shell /usr/sbin/nologin pulse-sensor-proxy) and own /var/lib/pulse-sensor-proxy, or the proxy can no longer read its key',
  }
}
