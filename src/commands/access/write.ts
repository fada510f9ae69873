import {writeFile} from 'node:fs/promises'
import path from 'node:path'

import {Flags} from '@oclif/core'

import {readArgumentFile} from '../../cli/argument-file.js'
import {BaseCommand, dryRunFlag} from '../../cli/base.js'
import {InputError} from '../../engine/errors.js'
import {pmcdVerify} from '../../exec/pmcd.js'
import {makeScratchDir, removeScratchDir} from '../../exec/scratch.js'
import type {DiskBackend} from '../../host/backend.js'
import {parsePmcdConf} from '../../parsers/pmcd-conf.js'
import {
  type AccessSpec,
  accessStatements,
  spliceAccessSection,
  translateSeedPolicy,
} from '../../pcp/access-writer.js'
import {accessContext, lintPmcdConf, PMCD_CONF, PMCD_CONF_ACCESS} from '../../pcp/lint.js'
import {clientClasses, decide} from '../../pcp/policy.js'
import {escapeLines} from '../../report/escape.js'

export default class AccessWrite extends BaseCommand<typeof AccessWrite> {
  static override summary = "Write pmcd's [access] section from flags or a pmcd.access-style policy"
  static override description =
    'Renders the [access] section (remote hosts denied unless allowed; CIDR turned into the wildcards pmcd ' +
    'understands) and splices it into pmcd.conf, keeping the agents table and its comments byte for byte. The ' +
    'result is checked as pmcd -v checks it (and by pmcd -v itself on a live machine) before anything is written; ' +
    'the write is atomic and keeps pmcd.conf.pcp-harden.bak. Restart pmcd to apply it.'
  static override examples = [
    '<%= config.bin %> access write --allow-fetch 10.1.2.0/24 --max-connections 20 --dry-run',
    '<%= config.bin %> access write --allow-fetch monitor1.example.com --allow-all 10.1.9.7',
    '<%= config.bin %> access write --policy pmcd.access --dry-run',
  ]

  static override flags = {
    'allow-fetch': Flags.string({
      description: 'Host, address, wildcard or CIDR that may fetch (repeatable)',
      multiple: true,
    }),
    'allow-store': Flags.string({
      description: 'Host, address, wildcard or CIDR that may store (repeatable)',
      multiple: true,
    }),
    'allow-all': Flags.string({
      description: 'Host, address, wildcard or CIDR that may fetch and store (repeatable)',
      multiple: true,
    }),
    'max-connections': Flags.integer({description: 'Connection limit of every remote allow rule', min: 1}),
    'deny-remote': Flags.boolean({
      description:
        "Deny remote hosts every operation no rule allows (--no-deny-remote: keep pmcd's default: allowed)",
      default: true,
      allowNo: true,
    }),
    local: Flags.string({
      description: 'What local clients may do',
      options: ['all', 'fetch', 'none'],
      default: 'all',
    }),
    policy: Flags.string({
      description:
        'A pmcd.access policy file as a widely copied PCP security guide writes it (HOST cert|sasl|reject [readonly] ...) to translate',
    }),
    file: Flags.string({
      description: 'The pmcd.conf to write (a host path under --root)',
      default: PMCD_CONF,
    }),
    'dry-run': dryRunFlag,
  }

  async run(): Promise<void> {
    const {flags} = this
    const host = await this.diskHost()
    const original = await host.readText(flags.file)
    if (!original.ok)
      throw new InputError(`${flags.file}: ${original.missing ? 'not found under --root' : original.message}`)
    const stat = await host.stat(flags.file, {follow: true})
    if (!stat.ok) throw new InputError(stat.message)

    const spec: AccessSpec = {
      fetch: flags['allow-fetch'] ?? [],
      store: flags['allow-store'] ?? [],
      all: flags['allow-all'] ?? [],
      ...(flags['max-connections'] === undefined ? {} : {maxConnections: flags['max-connections']}),
      denyRemote: flags['deny-remote'],
      local: flags.local as AccessSpec['local'],
    }
    const notes: string[] = []
    if (flags.policy) {
      const text = await readArgumentFile(flags.policy, `--policy ${flags.policy}`)
      const translated = translateSeedPolicy(text, flags.policy)
      const refused = translated.refusals[0]
      if (refused) throw new InputError(`${flags.policy}:${refused.line}: ${refused.message}`)
      const cert = translated.rules.find((r) => r.auth === 'cert')
      if (cert) {
        // A "cert" line may become an allow rule only where pmcd already asks remote clients for a certificate.
        const {readPmcdOptions, PMCD_OPTIONS_PATH} = await import('../../parsers/pmcd-options.js')
        const options = await readPmcdOptions(host)
        if ('error' in options || !options.options.some((o) => o.letter === 'Q'))
          throw new InputError(
            `${flags.policy}:${cert.line}: "cert" lets ${cert.names.join(', ')} in only with a client certificate, which pmcd ` +
              `asks for only with -Q (of every remote client), and ${PMCD_OPTIONS_PATH} has no -Q: refusing to write a rule ` +
              'that would let it in without one. Add -Q (TLS set up first), or make the line "sasl" or "reject"',
          )
      }
      const sasl = translated.rules.find((r) => r.auth === 'sasl')
      if (sasl)
        spec.credentials = `${flags.policy} line ${sasl.line} asks for SASL: pmcd cannot ask it of some hosts only, so every client must authenticate`
      spec.extra = translated.rules
      notes.push(
        `${flags.policy}: PCP never reads a pmcd.access file; its rules are written as [access] statements.`,
      )
      for (const note of translated.notes) notes.push(`${flags.policy}:${note.line}: ${note.message}`)
    }
    if (
      spec.fetch.length + spec.store.length + spec.all.length + (spec.extra?.length ?? 0) === 0 &&
      spec.local === 'none'
    )
      throw new InputError(
        'nothing would be allowed to anyone: give --allow-fetch, --allow-all, --policy or --local',
      )

    const {renderTemplate} = await import('../../render/templates.js')
    const section = renderTemplate('pmcd-access', {statements: accessStatements(spec)})
    const conf = parsePmcdConf(original.value)
    const written = spliceAccessSection(original.value, section, conf.accessLine)

    // Checked as pmcd -v checks it, with pmcd.conf.access as pmcd would read it.
    const extraText = await host.readText(PMCD_CONF_ACCESS)
    const extra =
      flags.file === PMCD_CONF && extraText.ok ? {text: extraText.value, file: PMCD_CONF_ACCESS} : undefined
    const lint = await lintPmcdConf(written, await accessContext(host, host.live), flags.file, extra)
    if (!lint.valid) {
      const first = lint.diagnostics.find((d) => d.severity === 'error')
      throw new InputError(
        `pmcd would reject the result: ${first?.file ?? flags.file}:${first?.line}: ${first?.message}`,
      )
    }
    if (host.live) await this.checkWithPmcd(written)

    const root = (host.backend as DiskBackend).root
    const {applyPlan, formatPlan, planChanges} = await import('../../render/writer.js')
    const plan = await planChanges(root, [
      {
        path: flags.file,
        content: written,
        mode: stat.value.mode,
        owner: stat.value.uid,
        group: stat.value.gid,
      },
    ])
    const out: string[] = [formatPlan(plan, await host.accounts())]
    if (notes.length > 0) out.push('', ...notes)
    if (lint.policy) {
      out.push('', 'Effective policy:')
      for (const c of clientClasses(lint.policy)) {
        const word = (op: 'fetch' | 'store') =>
          decide(lint.policy!, c.address, op).allowed ? op : `no ${op}`
        out.push(`  ${c.label}: ${word('fetch')}, ${word('store')}`)
      }
    }
    if (flags['dry-run']) {
      out.push('', 'dry run: nothing written')
    } else if (plan.every((p) => p.action === 'unchanged')) {
      out.push('', `${flags.file} already says this: nothing written`)
    } else {
      await applyPlan(root, plan)
      out.push(
        '',
        `wrote ${flags.file} (previous version: ${flags.file}.pcp-harden.bak); restart pmcd to apply it`,
      )
    }
    process.stdout.write(escapeLines(out.join('\n')) + '\n')
  }

  /** The live machine's pmcd must accept the result too. */
  private async checkWithPmcd(text: string): Promise<void> {
    const dir = makeScratchDir('pcp-harden-')
    try {
      const file = path.join(dir, 'pmcd.conf')
      await writeFile(file, text, {mode: 0o600})
      const verdict = await pmcdVerify(file)
      if (verdict && !verdict.ok) {
        const why = verdict.output.split('\n').find((l) => l.includes('config[')) ?? verdict.output.trim()
        throw new InputError(`pmcd -v rejects the result: ${why}`)
      }
    } finally {
      await removeScratchDir(dir)
    }
  }
}
