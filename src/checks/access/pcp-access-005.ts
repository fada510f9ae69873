import {accessCheck} from './analysis.js'

export const check = accessCheck({
  id: 'PCP-ACCESS-005',
  title: 'Host names in access rules resolve',
  severity: 'low',
  profiles: ['pcp-collector'],
  tags: ['pmcd', 'access'],
  rationale:
    'pmcd resolves names when it reads its configuration and drops rules for names that do not resolve. pmcd ' +
    "takes `localhost` to mean its own host name, which always resolves. Offline, only the image's /etc/hosts can " +
    'be read: a name it does not list (and that is not a ".invalid" name or no host name at all, such as a CIDR) ' +
    'is reported as undecidable (UNKNOWN), never as failing: check it on the live host.',
  remediation: 'Use addresses or wildcards, or make the name resolvable (e.g. /etc/hosts) before pmcd starts',
  reference: 'pmcd(1) "ACCESS CONTROL CONFIGURATION"',
  example: {fail: 'allow monitor.example.invalid : fetch;', pass: 'allow 10.1.2.15 : fetch;'},
})
