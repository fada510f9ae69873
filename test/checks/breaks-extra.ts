import type {Break} from './seed-tree.js'

/** Breaks of the seed tree that add a file the seeds suggest but real PCP does not have. */
export const SEED_FILE_BREAKS: Break[] = [
  [
    "seed 000's pmcd.access",
    {path: '/etc/pcp/pmcd/pmcd.access', content: '# Deny all others\n10.0.0.0/8 sasl\n* reject\n'},
    'PCP-ACCESS-008',
    /^PCP never reads this file: its 2 rules protect nothing/,
  ],
]
