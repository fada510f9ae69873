import {accessCheck} from './analysis.js'

export const check = accessCheck({
  id: 'PCP-ACCESS-005',
  title: 'Host names in access rules resolve',
  severity: 'low',
  profiles: ['pcp-collector'],
  tags: ['pmcd', 'access'],
  rationale:
    'pmcd resolves names when it reads its configuration and drops rules for names that do not resolve. Offline, ' +
    "only the image's /etc/hosts is consulted, so names known only to DNS are reported too: check them on the host.",
  remediation: 'Use addresses or wildcards, or make the name resolvable (e.g. /etc/hosts) before pmcd starts',
  reference: 'pmcd(1) "ACCESS CONTROL CONFIGURATION"',
  example: {fail: 'allow monitor.example.invalid : fetch;', pass: 'allow 10.1.2.15 : fetch;'},
})
