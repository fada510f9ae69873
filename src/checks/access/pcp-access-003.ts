import {accessCheck} from './analysis.js'

export const check = accessCheck({
  id: 'PCP-ACCESS-003',
  title: 'Fetch is not open to every remote host',
  severity: 'medium',
  profiles: ['pcp-collector'],
  tags: ['pmcd', 'access'],
  rationale:
    'With the shipped [access] section any host that can reach port 44321 may fetch every metric: process lists ' +
    'with command lines, users, network connections, kernel details. A widely copied PCP security guide wants fetch limited to monitoring ' +
    'networks; in PCP that is a disallow for ".*" and ":*" and allows for the monitors (wildcards, not CIDR).',
  remediation:
    'disallow ".*" : all; disallow ":*" : all; allow 10.1.2.* : fetch, maximum 20 connections; allow "local:*" : all;',
  reference:
    'pmcd(1) ACCESS CONTROL; the shipped pmcd.conf [access] section; a widely copied PCP security guide',
  example: {
    fail: '[access]\ndisallow ".*" : store;\ndisallow ":*" : store;\nallow "local:*" : all;',
    pass: '[access]\ndisallow ".*" : all;\ndisallow ":*" : all;\nallow 10.1.2.* : fetch;\nallow "local:*" : all;',
  },
})
