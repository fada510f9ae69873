import {Args, Flags} from '@oclif/core'

import {findEntry} from '../../checks/index.js'
import type {CheckMeta} from '../../checks/types.js'
import {BaseCommand} from '../../cli/base.js'
import {InputError} from '../../engine/errors.js'
import {EXPIRED_WAIVER} from '../../engine/waivers.js'

export default class ChecksExplain extends BaseCommand<typeof ChecksExplain> {
  static override summary = 'Explain one check: why it matters, how to fix it, an example'
  static override examples = ['<%= config.bin %> checks explain PSP-FILE-001']

  static override args = {id: Args.string({description: 'The check id, e.g. PCP-FILE-003', required: true})}
  static override flags = {
    format: Flags.string({description: 'Output format', options: ['text', 'json'], default: 'text'}),
  }

  async run(): Promise<void> {
    const {args} = await this.parse(ChecksExplain)
    const check = await lookup(args.id)
    if (this.flags.format === 'json') {
      process.stdout.write(JSON.stringify(check, null, 2) + '\n')
      return
    }
    const indent = (text: string) => text.replace(/^/gm, '    ')
    process.stdout.write(
      [
        `${check.id}: ${check.title}`,
        `  severity:  ${check.severity}`,
        `  profiles:  ${check.profiles.join(', ')}`,
        `  tags:      ${check.tags.join(', ')}`,
        `  reference: ${check.reference}`,
        '',
        '  Why:',
        indent(wrap(check.rationale)),
        '',
        '  Fix:',
        indent(wrap(check.remediation)),
        '',
        '  Fails:',
        indent(check.example.fail),
        '  Passes:',
        indent(check.example.pass),
        '',
      ].join('\n'),
    )
  }
}

async function lookup(id: string): Promise<CheckMeta> {
  if (id.toUpperCase() === EXPIRED_WAIVER.id) return EXPIRED_WAIVER
  const entry = findEntry(id)
  if (!entry) throw new InputError(`${id}: no such check (see: pcp-harden checks list)`)
  const {run: _run, ...meta} = await entry.load()
  return meta
}

function wrap(text: string, width = 96): string {
  const lines: string[] = []
  let current = ''
  for (const word of text.split(/\s+/)) {
    if (current && current.length + 1 + word.length > width) {
      lines.push(current)
      current = word
    } else current = current ? `${current} ${word}` : word
  }
  if (current) lines.push(current)
  return lines.join('\n')
}
