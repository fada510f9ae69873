import {withRemedy} from '../remedy.js'
import {localIntentLost, pmcdCheck} from './analysis.js'

export const check = pmcdCheck(
  {
    id: 'PCP-PMCD-004',
    title: 'PMCD_LOCAL=1 reaches pmcd where it is written',
    severity: 'high',
    profiles: ['pcp-collector'],
    tags: ['pmcd', 'network'],
    rationale:
      'PMCD_LOCAL=1 in /etc/default/pmcd (/etc/sysconfig/pmcd) makes pmcd listen on loopback only. rc_pmcd exports ' +
      'the line as it is, and pmcd reads the value with atoi: PMCD_LOCAL="1" keeps its quotes and reads as 0, as do ' +
      '"yes" and "true"; an indented or "export PMCD_LOCAL=1" line is skipped; "PMCD_LOCAL = 1" is split into words. ' +
      'Each silently leaves pmcd listening on every interface while the file says local only.',
    remediation: 'Write exactly PMCD_LOCAL=1, from column 1, with no quotes, spaces or trailing comment.',
    reference:
      'pmcd(1) ENVIRONMENT (PMCD_LOCAL); rc_pmcd (/etc/init.d/pmcd); src/pmcd/src/pmcd.c main(): atoi(getenv("PMCD_LOCAL"))',
    example: {
      fail: '# /etc/default/pmcd\nPMCD_LOCAL="1"',
      pass: '# /etc/default/pmcd\nPMCD_LOCAL=1',
    },
  },
  ({env}) => {
    const lost = localIntentLost(env)
    if (!lost) return [{status: 'pass', path: env.path, message: 'ok'}]
    return [
      {
        status: 'fail',
        path: env.path,
        line: lost.line,
        message: `this line means PMCD_LOCAL=1 (loopback only), but pmcd does not get it: ${lost.why}`,
        ...withRemedy({
          kind: 'edit',
          path: env.path,
          edits: [
            {op: 'replace', line: lost.line, expect: env.lines[lost.line - 1] ?? '', text: 'PMCD_LOCAL=1'},
          ],
          restart: ['pmcd.service'],
        }),
      },
    ]
  },
)
