import {parseTreeSpec, type TreeEntry, type TreeSpec} from '../../src/host/tree.js'
import {ACCOUNTS} from '../helpers/tree.js'

const P = 'pulse-sensor-proxy'

/** A host with exactly the modes and owners the seeds recommend (004 for the proxy, 000/001 for PCP). */
export const SEED_TREE = `
entries:
${ACCOUNTS}
  - {path: /var/lib/${P}, type: dir, mode: "0750", owner: ${P}}
  - {path: /var/lib/${P}/ssh, type: dir, mode: "0700", owner: ${P}}
  - {path: /var/lib/${P}/ssh/id_ed25519, mode: "0600", owner: ${P}, content: "private\\n"}
  - {path: /var/lib/${P}/ssh/id_ed25519.pub, mode: "0640", owner: ${P}, content: "ssh-ed25519 AAAA\\n"}
  - {path: /var/lib/${P}/ssh.d, type: dir, mode: "0750", owner: ${P}}
  - {path: /var/lib/${P}/ssh.d/next, type: dir, mode: "0750", owner: ${P}}
  - {path: /var/lib/${P}/ssh.d/prev, type: dir, mode: "0750", owner: ${P}}
  - {path: /var/lib/${P}/ssh.d/next/id_ed25519, mode: "0600", owner: ${P}, content: "staged\\n"}
  - {path: /run/${P}, type: dir, mode: "0775", owner: ${P}}
  - {path: /run/${P}/${P}.sock, type: socket, mode: "0777", owner: ${P}}
  - {path: /etc/pcp, type: dir}
  - {path: /etc/pcp/pmcd, type: dir}
  - path: /etc/pcp/pmcd/pmcd.conf
    mode: "0640"
    group: pcp
    content: |
      pmcd 2 dso pmcd_init /var/lib/pcp/pmdas/pmcd/pmda_pmcd.so
      [access]
      disallow ".*" : all;
      disallow ":*" : all;
      allow 10.1.2.* : fetch, maximum 20 connections;
      allow "local:*" : all;
  - path: /etc/pcp/pmcd/pmcd.conf.access
    mode: "0640"
    group: pcp
    content: |
      allow 10.1.3.* : fetch, maximum 10 connections;
  - path: /etc/pcp/pmcd/pmcd.options
    content: |
      # command-line options to pmcd, uncomment/edit lines as required
      -A
      # remote clients must present a certificate from the CA (tls.conf alone does not enforce it)
      -Q
      # listen on the monitoring network only
      -i 10.1.2.5
  - {path: /etc/default/pmcd, content: "# PMCD_LOCAL=1\\n"}
  - path: /etc/pcp/tls.conf
    content: |
      tls-ca-cert-file = /etc/pcp/tls/ca.crt
      tls-key-file = /etc/pcp/tls/server.key
      tls-cert-file = /etc/pcp/tls/server.crt
  - {path: /etc/pcp/tls, type: dir, mode: "0750", group: pcp}
  - {path: /etc/pcp/tls/ca.crt, content: "ca\\n"}
  - {path: /etc/pcp/tls/server.crt, content: "crt\\n"}
  - {path: /etc/pcp/tls/server.key, mode: "0600", owner: pcp, content: "key\\n"}
  - {path: /etc/sasl2/pmcd.conf, content: "mech_list: scram-sha-256\\nsasldb_path: /etc/pcp/passwd.db\\n"}
  - {path: /etc/pcp/passwd.db, mode: "0640", group: pcp, content: "db\\n"}
  - {path: /var/log/pcp, type: dir, mode: "0750", owner: pcp, group: adm}
  - {path: /var/log/pcp/pmcd, type: dir, mode: "0750", owner: pcp}
  - {path: /var/log/pcp/pmcd/pmcd.log, mode: "0644", owner: pcp, content: "log\\n"}
`

/** The seed tree with one entry changed (or added). */
export function seedTreeWith(change: Partial<TreeEntry> & {path: string}): TreeSpec {
  const spec = parseTreeSpec(SEED_TREE, 'seed tree')
  const index = spec.entries.findIndex((e) => e.path === change.path)
  if (index < 0) {
    spec.entries.push({type: 'file', mode: 0o644, owner: 'root', group: 'root', content: '', ...change})
  } else {
    const old = spec.entries[index] as TreeEntry
    spec.entries[index] = {
      ...old,
      ...change,
      content: (change.type ?? old.type) === 'file' ? (change.content ?? old.content ?? '') : undefined,
    }
  }
  return spec
}

/** One way to break the seed tree: a name, the change, the check that must report it, and how. */
export type Break = [string, Partial<TreeEntry> & {path: string}, string, RegExp]

const S = '/var/lib/pulse-sensor-proxy'
const R = '/run/pulse-sensor-proxy'

export const BREAKS: Break[] = [
  [
    'key readable by all',
    {path: `${S}/ssh/id_ed25519`, mode: 0o644},
    'PSP-FILE-001',
    /readable by every user: expected 0600 pulse-sensor-proxy:pulse-sensor-proxy, found 0644 pulse-sensor-proxy:pulse-sensor-proxy/,
  ],
  [
    'key readable by another group',
    {path: `${S}/ssh/id_ed25519`, mode: 0o640, group: 'alice'},
    'PSP-FILE-001',
    /readable by group alice/,
  ],
  [
    'key owned by another user',
    {path: `${S}/ssh/id_ed25519`, owner: 'alice'},
    'PSP-FILE-001',
    /owned by alice, who can read it/,
  ],
  [
    'staged key readable by others',
    {path: `${S}/ssh.d/next/id_ed25519`, mode: 0o604},
    'PSP-FILE-001',
    /readable by every user/,
  ],
  [
    'key is a directory',
    {path: `${S}/ssh/id_ed25519`, type: 'dir', mode: 0o700},
    'PSP-FILE-001',
    /is a directory, expected a regular file/,
  ],
  [
    'ssh/ writable by all',
    {path: `${S}/ssh`, mode: 0o777},
    'PSP-FILE-002',
    /writable by every user: expected 0700/,
  ],
  [
    'state dir owned by another user',
    {path: S, owner: 'alice'},
    'PSP-FILE-002',
    /owned by alice, who can change it/,
  ],
  [
    'prev/ writable by others',
    {path: `${S}/ssh.d/prev`, mode: 0o757},
    'PSP-FILE-002',
    /writable by every user/,
  ],
  [
    'public key writable by all',
    {path: `${S}/ssh/id_ed25519.pub`, mode: 0o666},
    'PSP-FILE-002',
    /writable by every user/,
  ],
  [
    'ssh/ group-readable',
    {path: `${S}/ssh`, mode: 0o750},
    'PSP-FILE-005',
    /mode 0750 is looser than the recommended 0700/,
  ],
  ['state dir 0755', {path: S, mode: 0o755}, 'PSP-FILE-005', /looser than the recommended 0750/],
  [
    'public key 0644',
    {path: `${S}/ssh/id_ed25519.pub`, mode: 0o644},
    'PSP-FILE-005',
    /0644 is looser than the recommended 0640/,
  ],
  [
    'socket dir world-writable',
    {path: R, mode: 0o777},
    'PSP-FILE-003',
    /writable by every user: expected 0775/,
  ],
  ['socket dir owned by another user', {path: R, owner: 'alice'}, 'PSP-FILE-003', /owned by alice/],
  [
    'socket replaced by a file',
    {path: `${R}/pulse-sensor-proxy.sock`, type: 'file', mode: 0o666},
    'PSP-FILE-003',
    /is a regular file, expected a socket/,
  ],
  [
    'socket owned by another user',
    {path: `${R}/pulse-sensor-proxy.sock`, owner: 'alice'},
    'PSP-FILE-003',
    /owned by alice/,
  ],
  ['socket dir 0770', {path: R, mode: 0o770}, 'PSP-FILE-004', /cannot enter it/],
  [
    'socket 0660',
    {path: `${R}/pulse-sensor-proxy.sock`, mode: 0o660},
    'PSP-FILE-004',
    /cannot connect to it/,
  ],
  [
    'pmcd.conf group-writable',
    {path: '/etc/pcp/pmcd/pmcd.conf', mode: 0o660},
    'PCP-FILE-003',
    /writable by group pcp/,
  ],
  [
    'pmcd.conf owned by pcp',
    {path: '/etc/pcp/pmcd/pmcd.conf', owner: 'pcp'},
    'PCP-FILE-003',
    /owned by pcp, who can change it/,
  ],
  [
    '/etc/pcp/pmcd world-writable',
    {path: '/etc/pcp/pmcd', mode: 0o777},
    'PCP-FILE-003',
    /writable by every user/,
  ],
  [
    'pmcd.options writable by all',
    {path: '/etc/pcp/pmcd/pmcd.options', mode: 0o666},
    'PCP-FILE-003',
    /writable by every user/,
  ],
  [
    '/etc/default/pmcd owned by alice',
    {path: '/etc/default/pmcd', owner: 'alice'},
    'PCP-FILE-003',
    /owned by alice/,
  ],
  [
    'pmcd.conf as shipped (0644)',
    {path: '/etc/pcp/pmcd/pmcd.conf', mode: 0o644, group: 'root'},
    'PCP-FILE-006',
    /0644 is looser than the recommended 0640/,
  ],
  [
    'TLS key readable by all',
    {path: '/etc/pcp/tls/server.key', mode: 0o644},
    'PCP-FILE-001',
    /readable by every user: expected 0640 pcp:pcp, found 0644 pcp:pcp/,
  ],
  [
    'TLS key pcp cannot read',
    {path: '/etc/pcp/tls/server.key', owner: 'root', group: 'root'},
    'PCP-FILE-006',
    /not readable by pcp, pmcd reads it as user pcp/,
  ],
  [
    'sasldb readable by all',
    {path: '/etc/pcp/passwd.db', mode: 0o644},
    'PCP-FILE-002',
    /readable by every user/,
  ],
  [
    'tls.conf writable by all',
    {path: '/etc/pcp/tls.conf', mode: 0o666},
    'PCP-FILE-004',
    /writable by every user/,
  ],
  [
    'CA certificate owned by alice',
    {path: '/etc/pcp/tls/ca.crt', owner: 'alice'},
    'PCP-FILE-004',
    /owned by alice/,
  ],
  ['log dir world-writable', {path: '/var/log/pcp', mode: 0o777}, 'PCP-FILE-005', /writable by every user/],
  [
    'log file world-writable',
    {path: '/var/log/pcp/pmcd/pmcd.log', mode: 0o666},
    'PCP-FILE-005',
    /writable by every user/,
  ],
  [
    'log dir as shipped (0775 pcp:pcp)',
    {path: '/var/log/pcp', mode: 0o775, group: 'pcp'},
    'PCP-FILE-006',
    /0775 is looser than the recommended 0750/,
  ],
]

/** The hardened access section of the seed tree, with one statement replaced or added. */
export function seedAccess(statements: string): string {
  return `pmcd 2 dso pmcd_init /var/lib/pcp/pmdas/pmcd/pmda_pmcd.so\n[access]\n${statements}\n`
}

const HARDENED = 'disallow ".*" : all;\ndisallow ":*" : all;\nallow "local:*" : all;'

/** pmcd.conf contents that break the seed tree's access policy, and every check that must report it. */
export const ACCESS_BREAKS: [string, string, string[]][] = [
  ['unquoted local:*', seedAccess('allow local:* : all;'), ['PCP-ACCESS-001']],
  [
    'every host may do everything',
    seedAccess('allow * : all;'),
    // Both "any other" classes, and 10.1.3.* of pmcd.conf.access, which allows only fetch itself.
    [
      'PCP-ACCESS-002',
      'PCP-ACCESS-002',
      'PCP-ACCESS-002',
      'PCP-ACCESS-003',
      'PCP-ACCESS-003',
      'PCP-ACCESS-006',
      'PCP-ACCESS-006',
    ],
  ],
  [
    'the shipped default',
    seedAccess('disallow ".*" : store;\ndisallow ":*" : store;\nallow "local:*" : all;'),
    ['PCP-ACCESS-003', 'PCP-ACCESS-003'],
  ],
  [
    'a CIDR rule',
    seedAccess(`${HARDENED}\nallow 10.1.0.0/16 : fetch, maximum 5 connections;`),
    ['PCP-ACCESS-004'],
  ],
  [
    'an unresolvable name',
    seedAccess(`${HARDENED}\nallow monitor.example.invalid : fetch;`),
    ['PCP-ACCESS-005'],
  ],
  ['no connection limit', seedAccess(`${HARDENED}\nallow 10.1.2.* : fetch;`), ['PCP-ACCESS-006']],
  ['a user rule', seedAccess(`${HARDENED}\nallow user root : fetch;`), ['PCP-ACCESS-007']],
]
