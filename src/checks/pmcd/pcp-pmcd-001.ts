import {type FixPlan, withRemedy} from '../remedy.js'
import type {CheckResult} from '../types.js'
import {pmcdCheck} from './analysis.js'
import {RESTART_PMCD} from './remedies.js'

/**
 * A trailing comment moved to a line of its own above the setting: the line then says to rc_pmcd what
 * it says to the admin. Other mistakes need the admin to say what was meant, so they carry no remedy.
 */
function commentOnItsOwnLine(path: string, line: number, raw: string | undefined): FixPlan | undefined {
  const match = raw === undefined ? null : /^(\S[^#]*?)[ \t]+(#.*)$/.exec(raw)
  if (!match || raw === undefined) return undefined
  return {
    kind: 'edit',
    path,
    edits: [{op: 'replace', line, expect: raw, text: `${match[2]}\n${match[1]}`}],
    restart: RESTART_PMCD,
  }
}

export const check = pmcdCheck(
  {
    id: 'PCP-PMCD-001',
    title: 'pmcd starts with its options and environment as written',
    severity: 'high',
    profiles: ['pcp-collector'],
    tags: ['pmcd', 'options'],
    rationale:
      'rc_pmcd passes the lines of pmcd.options that start with "-" to pmcd as they are: a trailing "# comment" ' +
      'becomes arguments, and pmcd exits with its usage on them, as on an unknown option (-a, -k, and in PCP 6 -C), ' +
      'a missing argument or a bad value. The environment file is run through "export" word by word: on Debian, a ' +
      'trailing comment or "NAME = value" makes dash exit and rc_pmcd stops. -U with a user the host does not have ' +
      'stops pmcd after it binds. Some mistakes do not stop pmcd but change what it does: quotes are kept, -i wants a ' +
      'numeric address, -c moves pmcd.conf elsewhere. A collector that does not start after the next restart is an ' +
      'outage, and one hardened with options it never got is not hardened.',
    remediation:
      'One option per line, starting in column 1, with comments on lines of their own; no quotes. Check with: ' +
      'pmcd --verify $(sed -e "/^[^-]/d" /etc/pcp/pmcd/pmcd.options)',
    reference: 'pmcd(1); rc_pmcd (/etc/init.d/pmcd); pmcd(1)',
    example: {
      fail: '# /etc/pcp/pmcd/pmcd.options\n-A\n-i 10.1.2.5   # monitoring network only',
      pass: '# /etc/pcp/pmcd/pmcd.options\n-A\n# monitoring network only\n-i 10.1.2.5',
    },
  },
  (setup) => {
    const {options, env, unknownUser} = setup
    const trailing = (message: string, path: string, line: number, lines: readonly string[]) => {
      const remedy = message.startsWith('a trailing comment')
        ? commentOnItsOwnLine(path, line, lines[line - 1])
        : undefined
      return remedy ? withRemedy(remedy) : {}
    }
    const results: CheckResult[] = options.problems.map((p) => ({
      status: 'fail',
      path: options.path,
      line: p.line,
      message: p.severity === 'error' ? p.message : `pmcd starts, but ${p.message}`,
      ...trailing(p.message, options.path, p.line, setup.optionLines),
    }))
    if (unknownUser)
      results.push({
        status: 'fail',
        path: options.path,
        line: unknownUser.line,
        message: `-U ${unknownUser.name}: there is no such user in /etc/passwd, so pmcd cannot switch to it and exits after binding its ports`,
      })
    for (const p of env.problems)
      results.push({
        status: 'fail',
        path: env.path,
        line: p.line,
        message: p.message,
        ...trailing(p.message, env.path, p.line, env.lines),
      })
    if (results.length === 0) results.push({status: 'pass', path: options.path, message: 'ok'})
    return results
  },
)
