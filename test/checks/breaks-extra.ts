import {type Break, REAL_TLS} from './seed-tree.js'

/** Breaks of the seed tree that add a file the seeds suggest but real PCP does not have. */
export const SEED_FILE_BREAKS: Break[] = [
  [
    "seed 000's pmcd.access",
    {path: '/etc/pcp/pmcd/pmcd.access', content: '# Deny all others\n10.0.0.0/8 sasl\n* reject\n'},
    'PCP-ACCESS-008',
    /^PCP never reads this file: its 2 rules protect nothing/,
  ],
  [
    'a client certificate where tls.conf names the server certificate',
    {path: '/etc/pcp/tls/server.crt', content: REAL_TLS['/etc/pcp/tls/client.crt']?.content ?? ''},
    'PCP-CERT-001',
    /serverAuth/,
  ],
]
