import {withRemedy} from '../remedy.js'
import type {CheckResult} from '../types.js'
import {localIntentLost, pmcdCheck, SEED_BINDING_LINE} from './analysis.js'

export const check = pmcdCheck(
  {
    id: 'PCP-PMCD-002',
    title: 'No settings that rc_pmcd silently skips',
    severity: 'low',
    profiles: ['pcp-collector'],
    tags: ['pmcd', 'options'],
    rationale:
      'rc_pmcd uses only the lines of pmcd.options whose first character is "-", and only the lines of ' +
      '/etc/default/pmcd (/etc/sysconfig/pmcd) that start with PMCD or PCP. An indented option, an "export NAME=value" ' +
      'or a lower-case name is dropped without a word: the setting the admin sees is not the one pmcd runs with.',
    remediation:
      'Start option lines in column 1 ("-i 10.1.2.5", not "  -i 10.1.2.5"); write environment lines as NAME=value ' +
      'from column 1, without "export"; or delete the line.',
    reference:
      'rc_pmcd (/etc/init.d/pmcd): sed -e "/^[^-]/d" and awk "/^PMCD/||/^PCP/"; pmcd(1) FILES (pmcd.options)',
    example: {
      fail: '# /etc/pcp/pmcd/pmcd.options\n-A\n    -i 10.1.2.5',
      pass: '# /etc/pcp/pmcd/pmcd.options\n-A\n-i 10.1.2.5',
    },
  },
  (setup) => {
    const {options, env} = setup
    const localLine = localIntentLost(env)?.line
    const skipped = (path: string, lines: {line: number; text: string}[], rule: string): CheckResult[] =>
      lines
        .filter((l) => !SEED_BINDING_LINE.test(l.text) && !(path === env.path && l.line === localLine))
        .map((l): CheckResult => ({
          status: 'fail',
          path,
          line: l.line,
          message: `rc_pmcd skips "${l.text.trim()}": ${rule}`,
          // pmcd runs without the line today: deleting it changes nothing pmcd does, only what the
          // admin reads. To make it count instead, rewrite it from column 1 (the remediation).
          ...withRemedy({kind: 'edit', path, edits: [{op: 'delete', line: l.line, expect: l.text}]}),
        }))
    const results = [
      ...skipped(options.path, options.ignored, 'it uses only lines whose first character is "-"'),
      ...skipped(env.path, env.ignored, 'it uses only lines that start with PMCD or PCP'),
    ]
    if (results.length === 0) results.push({status: 'pass', path: options.path, message: 'ok'})
    return results
  },
)
