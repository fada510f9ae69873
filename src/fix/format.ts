import type {AccountDb} from '../host/accounts.js'
import {formatPlan} from '../render/writer.js'
import type {FixItem, FixOutcome} from './plan.js'

const where = (item: FixItem) =>
  `${item.check}${item.path ? ` ${item.path}${item.line ? `:${item.line}` : ''}` : ''}`

/**
 * The fix as text: the remedies planned (each with the command that does the same by hand), the
 * writer's plan and diffs, the remedies skipped and why, the failures that are not automatic with
 * their exact command, and the services to restart.
 */
export function formatFix(outcome: FixOutcome, accounts: AccountDb, options: {dryRun: boolean}): string {
  const out: string[] = []
  const count = outcome.planned.length
  out.push(
    count === 0
      ? 'Fix: no automatic remedy to apply.'
      : `Fix: ${count} automatic remed${count === 1 ? 'y' : 'ies'}${options.dryRun ? ' (dry run: nothing is changed)' : ''}:`,
  )
  for (const p of outcome.planned) out.push(`  ${where(p)}`, `    ${p.command}`)
  for (const v of outcome.validated) out.push(`  ${v.path}: accepted by ${v.by.join(', ')}`)
  if (outcome.plan.length > 0) out.push('', formatPlan(outcome.plan, accounts))
  if (outcome.skipped.length > 0) {
    out.push('', `Skipped (${outcome.skipped.length}):`)
    for (const s of outcome.skipped)
      out.push(`  ${where(s)}: ${s.reason}`, `    by hand, once checked: ${s.command}`)
  }
  if (outcome.manual.length > 0) {
    out.push('', `Not automatic (${outcome.manual.length}):`)
    for (const m of outcome.manual) {
      out.push(`  ${where(m)}: ${m.message}`)
      out.push(m.command ? `    ${m.command}  (${m.why})` : `    ${m.why}`)
      if (m.command && m.restart && m.restart.length > 0) out.push(`    then: ${restartCommand(m.restart)}`)
    }
  }
  if (outcome.restart.length > 0)
    out.push(
      '',
      `Restart after ${options.dryRun ? 'applying' : 'this fix'}: ${restartCommand(outcome.restart)}`,
    )
  return `${out.join('\n')}\n`
}

/** systemctl's commands for a remedy's restarts: daemon-reload first when a unit changed. */
function restartCommand(restart: readonly string[]): string {
  const units = restart.filter((u) => u !== 'daemon-reload')
  const reload = restart.includes('daemon-reload') ? 'systemctl daemon-reload' : ''
  return [reload, units.length > 0 ? `systemctl restart ${units.join(' ')}` : ''].filter(Boolean).join(' && ')
}
