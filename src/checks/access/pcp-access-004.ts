import {accessCheck} from './analysis.js'

export const check = accessCheck({
  id: 'PCP-ACCESS-004',
  title: 'No CIDR rules (pmcd ignores them)',
  severity: 'medium',
  profiles: ['pcp-collector'],
  tags: ['pmcd', 'access', 'guide-mismatch'],
  rationale:
    'pmcd has no CIDR: "10.0.0.0/8" is looked up as a host name, does not resolve, and the rule is silently ' +
    'dropped (pmcd still starts if another rule is valid). A disallow written that way protects nothing; an allow ' +
    'written that way grants nothing, and tempts someone to open more.',
  remediation:
    'Write wildcards: /8 -> 10.*, /16 -> 10.1.*, /24 -> 10.1.2.*; other prefixes as several wildcard rules',
  reference:
    'pmcd(1) ACCESS CONTROL (wildcards, no CIDR); a widely copied PCP security guide uses 10.0.0.0/8',
  example: {fail: 'disallow 10.0.0.0/8 : store;', pass: 'disallow 10.* : store;'},
})
