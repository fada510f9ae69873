/*
 * Remedies for pmcd's access findings. Which hosts may connect is a choice only the admin can make,
 * so each is `manual`; but its command is exact for the file and line found, and it is offered only
 * after the changed file has been judged again as pmcd would (lintPmcdConf): pmcd still accepts it,
 * the finding is gone, no other finding appears, and no client may do anything it may not do today.
 */

import {type AccessFinding, accessFindings} from '../../pcp/access-findings.js'
import type {AccessContext} from '../../pcp/access.js'
import {type AccessLint, lintPmcdConf, PMCD_CONF, PMCD_CONF_ACCESS} from '../../pcp/lint.js'
import {clientClasses, decide} from '../../pcp/policy.js'
import {applyLineEdits} from '../line-edits.js'
import {RESTART_PMCD} from '../pmcd/remedies.js'
import {type FixPlan, type LineEdit, remedyCommand} from '../remedy.js'

/** pmcd.conf and pmcd.conf.access as written. */
export interface AccessTexts {
  conf: string
  extra?: string
}

/** How many connections a new limit allows: an example bound the admin sizes to the monitors. */
const EXAMPLE_LIMIT = 20

const keyOf = (f: AccessFinding) => `${f.check} ${f.file}: ${f.message}`

/** A one-line statement: `allow HOSTS : OPS;`, with what is around the op list kept as written. */
const STATEMENT = /^(\s*(?:allow|disallow)\s+(?:"[^"]*"|[^:;#"])+?\s*:\s*)([^;#]+?)(\s*;\s*(?:#.*)?)$/

/** What `edits` of `file` would leave: pmcd's verdict and our findings, or undefined when pmcd would reject it. */
async function relint(
  texts: AccessTexts,
  ctx: AccessContext,
  file: string,
  edits: readonly LineEdit[],
): Promise<{lint: AccessLint; findings: AccessFinding[]} | undefined> {
  const conf = file === PMCD_CONF ? applyLineEdits(texts.conf, edits) : texts.conf
  const extra =
    file === PMCD_CONF_ACCESS && texts.extra !== undefined ? applyLineEdits(texts.extra, edits) : texts.extra
  if (conf === undefined || (texts.extra !== undefined && extra === undefined)) return undefined
  const lint = await lintPmcdConf(
    conf,
    ctx,
    PMCD_CONF,
    extra === undefined ? undefined : {text: extra, file: PMCD_CONF_ACCESS},
  )
  if (!lint.valid || lint.undecided || !lint.policy) return undefined
  return {lint, findings: accessFindings(lint)}
}

/**
 * The first remote client that may fetch or store, as the pmcd checks name it in their messages
 * (PCP-PMCD-003, -005, -006, -007): a change that names another one there changes their findings.
 */
function firstRemote(lint: AccessLint): string {
  const policy = lint.policy
  if (!policy) return ''
  for (const c of clientClasses(policy).filter((x) => !x.local))
    for (const op of ['fetch', 'store'] as const) {
      const d = decide(policy, c.address, op)
      if (d.allowed)
        return `${c.label} ${op} ${d.rule?.sources[0]?.file ?? ''}:${d.rule?.sources[0]?.line ?? ''}`
    }
  return ''
}

/** No client class may fetch or store after the change what it may not today. */
function grantsNoMore(before: AccessLint, after: AccessLint): boolean {
  const [old, now] = [before.policy, after.policy]
  if (!old || !now) return false
  if (old.credentialsRequired && !now.credentialsRequired) return false
  const classes = [...clientClasses(old), ...clientClasses(now)]
  return classes.every((c) =>
    (['fetch', 'store'] as const).every(
      (op) => !decide(now, c.address, op).allowed || decide(old, c.address, op).allowed,
    ),
  )
}

type Change = {edits: LineEdit[]; why: string}

const DENY_STORE = 'disallow ".*" : store;\ndisallow ":*" : store;'

/** The wildcard that stands for a remote "any other" class in a finding's message. */
const anyOther = (message: string) =>
  message.startsWith('any other IPv6') ? '":*"' : message.startsWith('any other IPv4') ? '".*"' : undefined

/**
 * The candidate changes for one finding, most specific first, before they are judged: the line edits
 * and why they are the admin's to run.
 */
function candidates(
  finding: AccessFinding,
  lines: readonly string[],
  lint: AccessLint,
  conf: string,
): Change[] {
  // Statements added at the end of pmcd.conf need an [access] header when pmcd.conf has none of its own.
  const header = /^\s*\[access\]/m.test(conf) ? '' : '[access]\n'
  const line = finding.line
  const text = line === undefined ? undefined : lines[line - 1]
  const statement = text === undefined ? null : STATEMENT.exec(text)
  const atRule = line !== undefined && line !== lint.conf.accessLine && text !== undefined && statement
  switch (finding.check) {
    case 'PCP-ACCESS-002': {
      const why =
        "which hosts may store is the admin's choice; this takes store from the hosts found and grants nothing"
      // No rule speaks of store for them: deny it to every remote host, after every statement (pmcd
      // decides by how specific a rule is, not by its place, so no line above moves).
      const deny: Change = {edits: [{op: 'append', text: `${header}${DENY_STORE}`}], why}
      if (!atRule || !/^\s*allow\b/.test(text)) return [deny]
      // The rule that allows store keeps only fetch (or goes, commented out, when it allowed nothing else).
      const ops = (statement[2] as string).split(',').map((o) => o.trim())
      const kept = ops.flatMap((o) => (/^all$/i.test(o) ? ['fetch'] : /^store$/i.test(o) ? [] : [o]))
      const rewritten = kept.some((o) => /^fetch$/i.test(o))
        ? `${statement[1]}${kept.join(', ')}${statement[3]}`
        : `# ${text}`
      const rewrite: LineEdit = {op: 'replace', line, expect: text, text: rewritten}
      return [
        {edits: [rewrite], why},
        {edits: [rewrite, ...deny.edits], why},
      ]
    }
    case 'PCP-ACCESS-003': {
      if (!anyOther(finding.message)) return []
      const why =
        "which networks may fetch is the admin's choice: this denies every remote host that no more specific " +
        'allow names; add "allow NETWORK : fetch, maximum N connections;" for the monitors first'
      // Both families at once (a host reaches pmcd over either): a disallow of the same hosts for store
      // only is widened in place, else one is added at the end.
      const edits: LineEdit[] = []
      const added: string[] = []
      for (const host of ['".*"', '":*"']) {
        const pattern = new RegExp(`^\\s*disallow\\s+${host.replace(/[.*]/g, '\\$&')}\\s*:\\s*$`)
        const index = lines.findIndex((raw) => pattern.test(STATEMENT.exec(raw)?.[1] ?? ''))
        const m = index < 0 ? null : STATEMENT.exec(lines[index] as string)
        if (m)
          edits.push({
            op: 'replace',
            line: index + 1,
            expect: lines[index] as string,
            text: `${m[1]}all${m[3]}`,
          })
        else added.push(`disallow ${host} : all;`)
      }
      if (added.length > 0) edits.push({op: 'append', text: `${header}${added.join('\n')}`})
      return [{edits, why}]
    }
    case 'PCP-ACCESS-004': {
      const match = /^(\S+) is CIDR.*; write (.+)$/.exec(finding.message)
      if (!match || !atRule || text.split(match[1] as string).length !== 2) return []
      const [, cidr = '', wildcards = ''] = match
      return [
        {
          edits: [{op: 'replace', line, expect: text, text: text.replace(cidr, wildcards)}],
          why: 'the rule was written for a network; pmcd ignores it today, so the admin confirms that network is meant',
        },
      ]
    }
    case 'PCP-ACCESS-006': {
      if (!atRule) return []
      const rewritten = `${statement[1]}${statement[2]}, maximum ${EXAMPLE_LIMIT} connections${statement[3]}`
      return [
        {
          edits: [{op: 'replace', line, expect: text, text: rewritten}],
          why: `${EXAMPLE_LIMIT} is an example bound: size it to the monitors that connect, or pmcd refuses the ones beyond it`,
        },
      ]
    }
    case 'PCP-ACCESS-009': {
      if (!atRule) return []
      // Commented out, not deleted: the admin meant something by it, and no other line moves.
      return [
        {
          edits: [{op: 'replace', line, expect: text, text: `# ${text}`}],
          why:
            'the rule changes no decision, so commenting it out changes nothing pmcd does; what it was meant to ' +
            'restrict needs a disallow rule that only the admin can write',
        },
      ]
    }
    default:
      return []
  }
}

/**
 * The manual remedy for one access finding, when an exact one exists: judged as pmcd would judge
 * the changed file (it must accept it, the finding must go, no other may appear, nothing may be
 * granted that is not today). undefined otherwise: the finding's message and the check's
 * remediation say what the admin must decide.
 */
export async function accessRemedy(
  finding: AccessFinding,
  lint: AccessLint,
  findings: readonly AccessFinding[],
  texts: AccessTexts,
  ctx: AccessContext,
): Promise<FixPlan | undefined> {
  if (finding.undecided || !lint.policy) return undefined
  const file = finding.file === PMCD_CONF_ACCESS && texts.extra !== undefined ? PMCD_CONF_ACCESS : PMCD_CONF
  const source = file === PMCD_CONF ? texts.conf : (texts.extra as string)
  const before = new Set(findings.map(keyOf))
  for (const change of candidates(finding, source.split('\n'), lint, texts.conf)) {
    // What is appended goes to pmcd.conf, whose [access] section comes last.
    const target = change.edits.some((e) => e.op === 'append') ? PMCD_CONF : file
    const after = await relint(texts, ctx, target, change.edits)
    if (!after || !grantsNoMore(lint, after.lint)) continue
    const remote = firstRemote(after.lint)
    if (remote !== '' && remote !== firstRemote(lint)) continue
    const now = after.findings.map(keyOf)
    if (now.includes(keyOf(finding)) || now.some((k) => !before.has(k))) continue
    const plan: FixPlan = {kind: 'edit', path: target, edits: change.edits, validate: 'pmcd-conf'}
    return {kind: 'manual', command: remedyCommand(plan), why: change.why, restart: RESTART_PMCD}
  }
  return undefined
}
