import {accessCheck} from './analysis.js'

export const check = accessCheck({
  id: 'PCP-ACCESS-001',
  title: 'pmcd accepts its configuration',
  severity: 'high',
  profiles: ['pcp-collector'],
  tags: ['pmcd', 'access'],
  rationale:
    'pmcd refuses to start on a pmcd.conf it cannot parse: a syntax error, an unquoted IPv6 or local:* name, a wildcard ' +
    'that is not last, an unknown user or group, two rules that clash, or an [access] section left with no usable ' +
    'statement, or a name whose every entry clashes with an earlier rule (pmcd keeps the earlier one when only some clash). A collector that does not start after the next restart is an outage; one that was hardened with a ' +
    'file pmcd rejects is not hardened at all. pcp-harden decides validity exactly as `pmcd -v` does.',
  remediation:
    'Fix the line reported (pcp-harden access lint explains it), then check with: pmcd -v -c /etc/pcp/pmcd/pmcd.conf',
  reference:
    'pmcd(1) ACCESS CONTROL and -v; ParseAccessSpec in src/pmcd/src/config.c and __pmAccAddHost in ' +
    'src/libpcp/src/access.c (performancecopilot/pcp)',
  example: {
    fail: '[access]\nallow local:* : all;      # unquoted: bad access specifier',
    pass: '[access]\nallow "local:*" : all;',
  },
})
