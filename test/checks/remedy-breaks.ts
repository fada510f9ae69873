import type {TreeEntry} from '../../src/host/tree.js'
import {seedAccess} from './seed-tree.js'

type Change = Partial<TreeEntry> & {path: string}

const PMCD_CONF = '/etc/pcp/pmcd/pmcd.conf'
const CLOSED = 'disallow ".*" : all;\ndisallow ":*" : all;'

/**
 * Breaks of the seed tree whose findings have an exact remedy that no other break list reaches: a
 * name, the changes, and each failing check with the kind of remedy it must carry ('none' when the
 * choice is the admin's alone and no exact command exists).
 */
export const REMEDY_BREAKS: [string, [Change, ...Change[]], [string, string][]][] = [
  [
    'store allowed to the monitoring network',
    [
      {
        path: PMCD_CONF,
        content: seedAccess(
          `${CLOSED}\nallow 10.1.2.* : all, maximum 20 connections;\nallow "local:*" : all;`,
        ),
      },
    ],
    [['PCP-ACCESS-002', 'manual']],
  ],
  [
    'a CIDR deny inside an allowed network',
    [
      {
        path: PMCD_CONF,
        content: seedAccess(
          `${CLOSED}\nallow 10.1.2.* : fetch, maximum 20 connections;\ndisallow 10.1.2.66/32 : all;\nallow "local:*" : all;`,
        ),
      },
    ],
    [['PCP-ACCESS-004', 'manual']],
  ],
  [
    'no [access] section in pmcd.conf',
    [{path: PMCD_CONF, content: 'pmcd 2 dso pmcd_init /var/lib/pcp/pmdas/pmcd/pmda_pmcd.so\n'}],
    [
      ['PCP-ACCESS-002', 'manual'],
      ['PCP-ACCESS-002', 'manual'],
      ['PCP-ACCESS-002', 'manual'],
      ['PCP-ACCESS-003', 'manual'],
      ['PCP-ACCESS-003', 'manual'],
    ],
  ],
]
