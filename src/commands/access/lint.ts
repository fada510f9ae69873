import path from 'node:path'

import {Args, Flags} from '@oclif/core'

import {severityRank} from '../../checks/types.js'
import {readArgumentFile} from '../../cli/argument-file.js'
import {BaseCommand} from '../../cli/base.js'
import {InputError} from '../../engine/errors.js'
import {EXIT_CODES, type NagiosStatus} from '../../engine/model.js'
import {accessFindings} from '../../pcp/access-findings.js'
import {accessStatements, looksLikeSeedPolicy, translateSeedPolicy} from '../../pcp/access-writer.js'
import {accessContext, type AccessLint, lintHostAccess, lintPmcdConf, PMCD_CONF} from '../../pcp/lint.js'
import {clientClasses, decide} from '../../pcp/policy.js'
import {escapeJson, escapeLines} from '../../report/escape.js'

export default class AccessLintCommand extends BaseCommand<typeof AccessLintCommand> {
  static override summary = "Lint pmcd's access control as pmcd itself reads it"
  static override description =
    'Decides whether pmcd accepts the file exactly as `pmcd -v` does (and why not, with the line), then reports ' +
    'weaknesses: remote store, fetch open to every host, CIDR rules pmcd drops, names that do not resolve, ' +
    'missing connection limits, user rules that require credentials. A host name the audited image cannot ' +
    'resolve offline (not in its /etc/hosts; `localhost` always resolves) is UNKNOWN, never invalid: pmcd asks ' +
    'the live resolver when it starts. Without FILE: the pmcd.conf (and ' +
    'pmcd.conf.access) under --root. Exit: 0 OK, 1 WARNING, 2 CRITICAL (or pmcd would reject the file), 3 UNKNOWN (undecidable offline) or bad input.'
  static override examples = [
    '<%= config.bin %> access lint',
    '<%= config.bin %> access lint --explain',
    '<%= config.bin %> access lint ./pmcd.conf --format json',
  ]

  static override args = {
    file: Args.string({description: 'A pmcd.conf to lint (a local file)', required: false}),
  }
  static override flags = {
    format: Flags.string({description: 'Output format', options: ['text', 'json'], default: 'text'}),
    explain: Flags.boolean({
      description: 'Show the effective policy: who may fetch and store, and which rule decides',
    }),
  }

  async run(): Promise<void> {
    const {args} = await this.parse(AccessLintCommand)
    const host = await this.diskHost()
    let lint: AccessLint
    if (args.file) {
      const text = await readArgumentFile(args.file)
      if (looksLikeSeedPolicy(text)) return this.lintSeedPolicy(text, args.file)
      lint = await lintPmcdConf(text, await accessContext(host, host.live), path.resolve(args.file))
    } else {
      const found = await lintHostAccess(host, host.live)
      if (!found) throw new InputError(`${PMCD_CONF}: not found under --root ${this.flags.root}`)
      if ('error' in found) throw new InputError(found.error)
      lint = found
    }
    const findings = accessFindings(lint)
    const worst = findings
      .filter((f) => !f.undecided)
      .reduce((w, f) => Math.max(w, severityRank(f.severity)), 0)
    const status: NagiosStatus =
      worst >= severityRank('high')
        ? 'CRITICAL'
        : worst >= severityRank('low')
          ? 'WARNING'
          : findings.some((f) => f.undecided)
            ? 'UNKNOWN'
            : 'OK'
    const classes =
      lint.policy &&
      clientClasses(lint.policy).map((c) => {
        const fetch = decide(lint.policy!, c.address, 'fetch')
        const store = decide(lint.policy!, c.address, 'store')
        const by = (d: typeof fetch) =>
          d.rule ? {line: d.rule.sources[0]?.line, file: d.rule.sources[0]?.file ?? lint.file} : {}
        return {
          client: c.label,
          local: c.local,
          fetch: {allowed: fetch.allowed, ...by(fetch)},
          store: {allowed: store.allowed, ...by(store)},
          maxConnections: fetch.maxConnections ?? null,
        }
      })

    if (this.flags.format === 'json') {
      const out = {
        file: lint.file,
        valid: lint.valid,
        ...(lint.undecided ? {undecided: lint.undecided} : {}),
        status,
        diagnostics: lint.diagnostics.map((d) => ({file: d.file ?? lint.file, ...d})),
        findings,
        ...(lint.policy
          ? {
              credentialsRequired: lint.policy.credentialsRequired,
              policy: classes,
              // pmcd's own access lists, as its log prints them at start ("Host access list").
              rules: lint.policy.rules.map((r) => ({
                key: r.key,
                fetch: r.ops.fetch ? (r.deny.fetch ? 'deny' : 'allow') : null,
                store: r.ops.store ? (r.deny.store ? 'deny' : 'allow') : null,
                maxConnections: r.maxConnections ?? null,
                names: [...new Set(r.sources.map((x) => x.name))],
                lines: r.sources.map((x) => x.line),
              })),
            }
          : {}),
      }
      process.stdout.write(escapeJson(JSON.stringify(out, null, 2)) + '\n')
    } else {
      const lines: string[] = []
      lines.push(
        `${lint.file}: ${
          lint.undecided
            ? `UNDECIDED offline: ${lint.undecided}`
            : lint.valid
              ? 'valid: pmcd accepts it'
              : 'INVALID: pmcd rejects it and will not start'
        }`,
      )
      for (const d of lint.diagnostics)
        lines.push(`  ${d.file ?? lint.file}:${d.line}: ${d.severity}: ${d.message}`)
      for (const f of findings)
        lines.push(
          `  [${f.undecided ? 'UNKNOWN' : f.severity.toUpperCase()}] ${f.check} ${f.file}${f.line ? `:${f.line}` : ''}: ${f.message}`,
        )
      if (findings.length === 0 && lint.valid) lines.push('  no findings')
      if (this.flags.explain && classes) {
        lines.push(
          '',
          'Effective policy (the most specific rule that speaks of an operation decides; none: allowed):',
        )
        const cell = (d: {allowed: boolean; line?: number}) =>
          `${d.allowed ? 'allowed' : 'denied'}${d.line ? ` (line ${d.line})` : ' (default)'}`
        const rows = classes.map((c) => [
          c.client,
          cell(c.fetch),
          cell(c.store),
          c.maxConnections === null ? 'unlimited' : String(c.maxConnections),
        ])
        const header = ['client', 'fetch', 'store', 'connections']
        const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] as string).length)))
        for (const row of [header, ...rows])
          lines.push(
            '  ' +
              row
                .map((v, i) => v.padEnd(widths[i] as number))
                .join('  ')
                .trimEnd(),
          )
        if (lint.policy?.credentialsRequired)
          lines.push('  (user/group rules present: TCP clients must authenticate with SASL)')
      }
      process.stdout.write(escapeLines(lines.join('\n')) + '\n')
    }
    process.exitCode = lint.valid || lint.undecided ? EXIT_CODES[status] : EXIT_CODES.CRITICAL
  }

  /**
   * A guide-style pmcd.access file (a widely copied PCP security guide): PCP never reads it. Show what each line becomes in
   * pmcd's [access] section, and what PCP cannot enforce at all.
   */
  private lintSeedPolicy(text: string, file: string): void {
    const {rules, notes: told, refusals} = translateSeedPolicy(text, file)
    const notes = [...told, ...refusals].sort((a, b) => a.line - b.line)
    const translated = rules.map((rule) => ({
      line: rule.line,
      statement: accessStatements({
        fetch: [],
        store: [],
        all: [],
        denyRemote: false,
        local: 'none',
        extra: [rule],
      })[0]?.text,
    }))
    const status: NagiosStatus = notes.length > 0 ? 'WARNING' : 'OK'
    if (this.flags.format === 'json') {
      const out = {file, kind: 'guide-policy', readByPcp: false, status, translation: translated, notes}
      process.stdout.write(escapeJson(JSON.stringify(out, null, 2)) + '\n')
    } else {
      const lines = [
        `${file}: a pmcd.access policy in the style of a widely copied PCP security guide. PCP never reads this file: the rules in it protect nothing.`,
        "What each line can be in pmcd.conf's [access] section (pcp-harden access write --policy writes it):",
        ...translated.map((t) => `  ${file}:${t.line}: ${t.statement}`),
        ...notes.map((n) => `  ${file}:${n.line}: cannot be enforced: ${n.message}`),
      ]
      process.stdout.write(escapeLines(lines.join('\n')) + '\n')
    }
    process.exitCode = EXIT_CODES[status]
  }
}
