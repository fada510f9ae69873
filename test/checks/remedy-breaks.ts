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
  [
    "the guide's PCD_HOST in pmcd.conf and PCD_PORT in /etc/default/pmcd",
    [
      {
        path: PMCD_CONF,
        content:
          'pmcd 2 dso pmcd_init /var/lib/pcp/pmdas/pmcd/pmda_pmcd.so\nPCD_HOST=10.1.2.5\n[access]\n' +
          `${CLOSED}\nallow 10.1.2.* : fetch, maximum 20 connections;\nallow "local:*" : all;\n`,
      },
      {path: '/etc/default/pmcd', content: '# PMCD_LOCAL=1\nPCD_PORT=44321\n'},
    ],
    // Each line does nothing PCP knows: deleted, pmcd.conf's deletion checked by pmcd -v. pmcd -v rejects
    // the agents-table line ("expected domain number"): PCP-ACCESS-001, which the deletion fixes too.
    [
      ['PCP-ACCESS-001', 'none'],
      ['PCP-PMCD-008', 'edit'],
      ['PCP-PMCD-008', 'edit'],
    ],
  ],
  [
    '-i 0.0.0.0',
    [{path: '/etc/pcp/pmcd/pmcd.options', content: '-A\n-Q\n-i 0.0.0.0\n'}],
    // Which address to serve remote monitors on is the admin's: loopback only, for them to run.
    [['PCP-PMCD-003', 'manual']],
  ],
]
