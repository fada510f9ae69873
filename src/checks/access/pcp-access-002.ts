import {accessCheck} from './analysis.js'

export const check = accessCheck({
  id: 'PCP-ACCESS-002',
  title: 'Remote hosts may not store',
  severity: 'critical',
  profiles: ['pcp-collector'],
  tags: ['pmcd', 'access'],
  rationale:
    'A store changes metric values and agent state (pmstore): agents act on it, some run as root. pmcd allows every ' +
    'operation no rule speaks of, so a remote host may store unless a rule at its level denies it. The shipped ' +
    'default denies store to ".*" and ":*"; removing those lines, or an [access] section without them, opens it.',
  remediation: 'Add: disallow ".*" : store; disallow ":*" : store;  (and allow store only to "local:*")',
  reference:
    'pmcd(1) ACCESS CONTROL (precedence; the shipped pmcd.conf [access] section); __pmAccAddClient in src/libpcp/src/access.c',
  example: {
    fail: '[access]\nallow * : all;',
    pass: '[access]\ndisallow ".*" : store;\ndisallow ":*" : store;\nallow "local:*" : all;',
  },
})
