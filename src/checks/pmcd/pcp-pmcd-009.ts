import {type FixPlan, withRemedy} from '../remedy.js'
import type {CheckResult} from '../types.js'
import {pmcdCheck} from './analysis.js'
import {deleteOptionLine} from './remedies.js'

export const check = pmcdCheck(
  {
    id: 'PCP-PMCD-009',
    title: 'pmcd drops root: no -U root, no foreground',
    severity: 'medium',
    profiles: ['pcp-collector'],
    tags: ['pmcd', 'privileges'],
    rationale:
      'rc_pmcd starts pmcd as root; as a daemon pmcd switches to user pcp (-U) once its ports are open. Every ' +
      'client, remote ones included, talks to that process, so a flaw in its PDU handling is a flaw in a root ' +
      'process when -U root is given. The same holds in the foreground: pmcd switches user only as a daemon. ' +
      'rc_pmcd removes a plain "-f", but not "-Af" or "--foreground"; with those pmcd stays root and the rc script ' +
      'waits on it instead of returning.',
    remediation:
      "Remove -U root (pmcd's default user is pcp; the shipped pmcd.options only mentions it in a comment) and any " +
      '-f combined with other letters or written --foreground.',
    reference: 'pmcd(1); pmcd(1) -U, -f; rc_pmcd',
    example: {
      fail: '# /etc/pcp/pmcd/pmcd.options\n-A\n-U root',
      pass: '# /etc/pcp/pmcd/pmcd.options\n-A',
    },
  },
  (setup) => {
    const {options} = setup
    // A line that holds only -U root goes: pmcd then switches to its own user (PCP_USER, pcp) as shipped.
    const alone = (line: number) =>
      /^\s*(-U\s*root|--username[=\s]\s*root)\s*$/.test(setup.optionLines[line - 1] ?? '')
    const results: CheckResult[] = []
    const user = options.options.filter((o) => o.letter === 'U').at(-1)
    if (user?.value === 'root')
      results.push({
        status: 'fail',
        path: options.path,
        line: user.line,
        message: `${user.name} root: pmcd keeps running as root, and every client talks to a root process`,
        ...(alone(user.line) ? withRemedy(deleteOptionLine(setup, user.line) as FixPlan) : {}),
      })
    for (const option of options.options.filter((o) => o.letter === 'f'))
      results.push({
        status: 'fail',
        path: options.path,
        line: option.line,
        message:
          `${option.name} survives rc_pmcd, which removes only a separate "-f": pmcd stays in the foreground as ` +
          'root (it switches to its user only as a daemon) and the rc script waits on it',
      })
    if (results.length === 0) results.push({status: 'pass', path: options.path, message: 'ok'})
    return results
  },
  true,
)
