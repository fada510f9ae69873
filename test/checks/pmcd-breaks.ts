import type {TreeEntry, TreeSpec} from '../../src/host/tree.js'
import {seedTreeWith} from './seed-tree.js'

type Change = Partial<TreeEntry> & {path: string}

/** The seed tree with several entries changed (or added). */
export function seedTreeWithAll([first, ...rest]: readonly [Change, ...Change[]]): TreeSpec {
  const spec = seedTreeWith(first)
  for (const change of rest) {
    const entry = seedTreeWith(change).entries.find((e) => e.path === change.path) as TreeEntry
    const index = spec.entries.findIndex((e) => e.path === change.path)
    if (index < 0) spec.entries.push(entry)
    else spec.entries[index] = entry
  }
  return spec
}

const OPTIONS = '/etc/pcp/pmcd/pmcd.options'
const options = (content: string): Change => ({path: OPTIONS, content})

/**
 * Ways to break the seed tree's pmcd: a name, the changes, every PCP-PMCD check that must fail
 * (and nothing else in the catalogue), and the message of the first.
 */
export const PMCD_BREAKS: [string, [Change, ...Change[]], string[], RegExp][] = [
  [
    'a trailing comment in pmcd.options',
    [options('-A\n-Q   # certificates from our CA\n-i 10.1.2.5\n')],
    ['PCP-PMCD-001'],
    /^a trailing comment: rc_pmcd does not strip it, so pmcd gets "#" .* "pmcd --verify" fails/,
  ],
  [
    'an indented option',
    [options('-A\n-Q\n-i 10.1.2.5\n    -t 10\n')],
    ['PCP-PMCD-002'],
    /^rc_pmcd skips "-t 10": it uses only lines whose first character is "-"$/,
  ],
  [
    'no -i: every interface',
    [options('-A\n-Q\n')],
    ['PCP-PMCD-003'],
    /^pmcd listens on every interface \(no -i in .*\) while 10\.1\.2\.\* \(10\.1\.2\.0\/24\) may fetch \(allowed by \/etc\/pcp\/pmcd\/pmcd\.conf line 5\)$/,
  ],
  [
    'PMCD_LOCAL in quotes',
    [{path: '/etc/default/pmcd', content: 'PMCD_LOCAL="1"\n'}],
    ['PCP-PMCD-004'],
    /the quotes are kept: pmcd gets PMCD_LOCAL="1" and reads it as the number 0$/,
  ],
  [
    'neither -Q nor -S',
    [options('-A\n-i 10.1.2.5\n')],
    ['PCP-PMCD-005', 'PCP-PMCD-006'],
    /may fetch .* without authenticating: .* has neither -Q \(client certificate\) nor -S \(credentials\)/,
  ],
  [
    'TLS set up, -S but no -Q',
    [options('-A\n-S\n-i 10.1.2.5\n')],
    ['PCP-PMCD-006'],
    /^TLS is set up but not enforced: .* has no -Q, so remote clients still connect in plaintext/,
  ],
  [
    'PLAIN without -Q',
    [
      options('-A\n-S\n-i 10.1.2.5\n'),
      {
        path: '/etc/sasl2/pmcd.conf',
        content: 'mech_list: plain scram-sha-256\nsasldb_path: /etc/pcp/passwd.db\n',
      },
    ],
    ['PCP-PMCD-006', 'PCP-PMCD-007'],
    /^TLS is set up but not enforced/,
  ],
  [
    "SASL ANONYMOUS, with -Q and the seed tree's closed access policy",
    [
      {
        path: '/etc/sasl2/pmcd.conf',
        content: 'mech_list: anonymous scram-sha-256\nsasldb_path: /etc/pcp/passwd.db\n',
      },
    ],
    ['PCP-SASL-001'],
    /^mech_list offers anonymous: a client authenticates with no password/,
  ],
  [
    'SASL ANONYMOUS with -S: the credentials pmcd requires protect nothing',
    [
      options('-A\n-Q\n-S\n-i 10.1.2.5\n'),
      {path: '/etc/sasl2/pmcd.conf', content: 'mech_list: ANONYMOUS\nsasldb_path: /etc/pcp/passwd.db\n'},
    ],
    ['PCP-SASL-001'],
    /^mech_list offers ANONYMOUS: any client that can connect authenticates with no password/,
  ],
  [
    "seed 000's -x no_exec",
    [options('-A\n-Q\n-i 10.1.2.5\n-x no_exec\n')],
    ['PCP-PMCD-008'],
    /^not a PCP setting: -x is the file for pmcd's fatal start-up messages: "-x no_exec" writes them to \/var\/log\/pcp\/pmcd\/no_exec/,
  ],
  [
    '-U root',
    [options('-A\n-Q\n-i 10.1.2.5\n-U root\n')],
    ['PCP-PMCD-009'],
    /^-U root: pmcd keeps running as root/,
  ],
]
