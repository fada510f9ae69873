import {Flags} from '@oclif/core'

import {loadAll} from '../../checks/index.js'
import type {CheckMeta} from '../../checks/types.js'
import {BaseCommand} from '../../cli/base.js'
import {EXPIRED_WAIVER} from '../../engine/waivers.js'

export default class ChecksList extends BaseCommand<typeof ChecksList> {
  static override summary = 'List every check pcp-harden can run'
  static override examples = ['<%= config.bin %> checks list', '<%= config.bin %> checks list --format json']

  static override flags = {
    format: Flags.string({description: 'Output format', options: ['text', 'json'], default: 'text'}),
  }

  async run(): Promise<void> {
    const checks: CheckMeta[] = [...(await loadAll()), EXPIRED_WAIVER]
    if (this.flags.format === 'json') {
      const rows = checks.map(({id, title, severity, profiles, tags, reference}) => ({
        id,
        title,
        severity,
        profiles,
        tags,
        reference,
      }))
      process.stdout.write(JSON.stringify({checks: rows}, null, 2) + '\n')
      return
    }
    const width = Math.max(...checks.map((c) => c.id.length))
    for (const c of checks) {
      process.stdout.write(
        `${c.id.padEnd(width)}  ${c.severity.padEnd(8)}  ${c.title}  [${c.profiles.join(', ')}]\n`,
      )
    }
  }
}
