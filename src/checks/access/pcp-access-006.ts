import {firewalled} from '../firewalled.js'
import {accessCheck} from './analysis.js'

const judged = accessCheck({
  id: 'PCP-ACCESS-006',
  title: 'Remote allow rules set a connection limit',
  severity: 'low',
  profiles: ['pcp-collector'],
  tags: ['pmcd', 'access', 'availability'],
  rationale:
    'Without "maximum N connections" a remote client (or a runaway monitoring script) can hold as many pmcd ' +
    'connections as it likes, starving the monitors that matter.',
  remediation: 'allow 10.1.2.* : fetch, maximum 20 connections;',
  reference: 'pmcd(1) "ACCESS CONTROL CONFIGURATION" ("maximum N connections")',
  example: {fail: 'allow 10.1.2.* : fetch;', pass: 'allow 10.1.2.* : fetch, maximum 20 connections;'},
})

/** Its failures speak of remote clients: the firewall decides whether they can connect at all. */
export const check = firewalled({service: 'pmcd'}, judged)
