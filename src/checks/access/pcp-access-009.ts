import {accessCheck} from './analysis.js'

export const check = accessCheck({
  id: 'PCP-ACCESS-009',
  title: 'Every access rule changes something',
  severity: 'low',
  profiles: ['pcp-collector'],
  tags: ['pmcd', 'access'],
  rationale:
    'pmcd allows every operation no rule denies and lets the most specific rule decide, whatever the order of the ' +
    'lines. A rule like "allow 10.1.2.* : fetch;" restricts nothing unless ".*" is denied fetch: every host may fetch ' +
    'anyway, while the file reads as if only 10.1.2.* could. A deny under a broader deny is dead weight that ' +
    'misleads the next reader.',
  remediation:
    'Deny first for everyone (disallow ".*" : all; disallow ":*" : all;), then allow the monitors; delete rules that change nothing.',
  reference: 'pmcd(1) ACCESS CONTROL (precedence)',
  example: {
    fail: '[access]\nallow 10.1.2.* : fetch;          # every host may fetch anyway\nallow "local:*" : all;',
    pass: '[access]\ndisallow ".*" : all;\ndisallow ":*" : all;\nallow 10.1.2.* : fetch;\nallow "local:*" : all;',
  },
})
