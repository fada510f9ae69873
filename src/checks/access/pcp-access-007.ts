import {accessCheck} from './analysis.js'

export const check = accessCheck({
  id: 'PCP-ACCESS-007',
  title: 'User and group rules do not silently lock out TCP clients',
  severity: 'medium',
  profiles: ['pcp-collector'],
  tags: ['pmcd', 'access', 'sasl'],
  rationale:
    'Any user or group statement switches pmcd to credentials-required mode, as -S does: every TCP client must then ' +
    'authenticate with SASL, and unix-socket clients are identified by their uid. Monitors without credentials stop ' +
    'working, and PLAIN/LOGIN over plaintext connections send passwords in the clear.',
  remediation:
    'Use host rules, or configure SASL (/etc/sasl2/pmcd.conf) and TLS (-Q) for every monitor before adding user rules',
  reference:
    'pmcd(1) ACCESS CONTROL (user and group rules) and -S; ParseAccess in src/pmcd/src/config.c (PM_SERVER_FEATURE_CREDS_REQD)',
  example: {fail: 'allow user pcpmon : fetch;', pass: 'allow 10.1.2.* : fetch;'},
})
