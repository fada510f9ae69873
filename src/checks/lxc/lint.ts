import path from 'node:path'

import type {Severity} from '../types.js'
import {runAudit} from '../../engine/audit.js'
import type {Report} from '../../engine/model.js'
import {Host} from '../../host/host.js'
import {MemoryBackend} from '../../host/tree.js'
import {LXC_DIR, NO_MOUNT_CHECK} from './analysis.js'
import {LXC_CHECKS} from './catalogue.js'

/**
 * The PSP-LXC checks on one config file, as verify reports them: the file is judged as the only
 * config of a Proxmox host, and the report names it where verify would name /etc/pve/lxc. The
 * check of the whole host (PSP-LXC-010: no container mounts the proxy) does not apply to one file.
 */
export async function lintLxcConfig(
  file: string,
  text: string,
  options: {failOn: Severity; tool: {name: string; version: string}; now?: Date},
): Promise<Report> {
  const placed = `${LXC_DIR}/${path.posix.basename(file).replace(/\.conf$/, '')}.conf`
  const backend = new MemoryBackend(
    {entries: [{path: placed, type: 'file', mode: 0o640, owner: 'root', group: 'root', content: text}]},
    file,
  )
  const report = await runAudit(new Host(backend), {
    rootLabel: file,
    profiles: ['proxmox-host'],
    only: LXC_CHECKS.map((e) => e.id).filter((id) => id !== NO_MOUNT_CHECK),
    failOn: options.failOn,
    waivers: [],
    now: options.now ?? new Date(),
    tool: options.tool,
  })
  for (const result of report.results)
    if (result.path === placed || result.path === LXC_DIR) result.path = file
  return report
}
