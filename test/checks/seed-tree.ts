import {parseTreeSpec, type TreeEntry, type TreeSpec} from '../../src/host/tree.js'
import {realTlsFiles, treeEntries} from '../cert/real-certs.js'
import {ACCOUNTS} from '../helpers/tree.js'
import {PULSE_ENTRIES, type PulseBreak} from './pulse/index.js'

/**
 * Real certificates and keys where the seed tree's tls.conf files name them, made when the tests
 * start (certificates expire, so no tree can keep them as fixtures), as `cert init --ca-dir
 * /root/pcp-ca` and `cert issue --user alice` leave them.
 */
export const REAL_TLS = await realTlsFiles()

const P = 'pulse-sensor-proxy'

/**
 * A host with exactly the modes and owners the seeds recommend (004 for the proxy, 000/001 for PCP),
 * a pmproxy kept on loopback, and a monitoring user (alice) whose clients require TLS and verify
 * the collector, all in real PCP syntax.
 */
export const SEED_TREE = `
entries:
${ACCOUNTS}
  - {path: /var/lib/${P}, type: dir, mode: "0750", owner: ${P}}
  - {path: /var/lib/${P}/ssh, type: dir, mode: "0700", owner: ${P}}
  - {path: /var/lib/${P}/ssh/id_ed25519, mode: "0600", owner: ${P}, content: "private\\n"}
  - {path: /var/lib/${P}/ssh/id_ed25519.pub, mode: "0640", owner: ${P}, content: "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIH7XxADo17SBmSlnA1Gnx3Hk/1Oit/sqdY/gOegFu8id pulse-sensor-proxy\\n"}
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
      tls-client-key-file = /etc/pcp/tls/client.key
      tls-client-cert-file = /etc/pcp/tls/client.crt
  - {path: /etc/pcp/tls, type: dir, mode: "0750", group: pcp}
  - {path: /etc/sasl2/pmcd.conf, content: "mech_list: scram-sha-256\\nsasldb_path: /etc/pcp/passwd.db\\n"}
  - {path: /etc/pcp/passwd.db, mode: "0640", group: pcp, content: "db\\n"}
  - {path: /var/log/pcp, type: dir, mode: "0750", owner: pcp, group: adm}
  - {path: /var/log/pcp/pmcd, type: dir, mode: "0750", owner: pcp}
  - {path: /var/log/pcp/pmcd/pmcd.log, mode: "0644", owner: pcp, content: "log\\n"}
  - {path: /var/log/pcp/pmproxy, type: dir, mode: "0750", owner: pcp}
  - {path: /etc/pcp/pmproxy, type: dir}
  - path: /etc/pcp/pmproxy/pmproxy.conf
    content: |
      # pmproxy has no bind setting: PMPROXY_LOCAL=1 in /etc/default/pmproxy keeps it on loopback
      [pmproxy]
      # TLS as configured in /etc/pcp/tls.conf
      secure.enabled = true

      [redis]
      servers = localhost:6379
  - {path: /etc/default/pmproxy, content: "PMPROXY_LOCAL=1\\n"}
  - path: /etc/nginx/sites-enabled/pcp
    content: |
      # pmproxy's REST API behind a login; pmproxy itself stays on loopback (PMPROXY_LOCAL=1)
      server {
          listen 443 ssl;
          server_name pcp1.example.com;
          ssl_certificate /etc/ssl/certs/pcp1.pem;
          ssl_certificate_key /etc/ssl/private/pcp1.key;
          add_header Strict-Transport-Security "max-age=31536000" always;
          location /pmapi/ {
              auth_basic "PCP";
              auth_basic_user_file /etc/nginx/pcp.htpasswd;
              proxy_pass http://127.0.0.1:44322;
          }
      }
  - {path: /etc/nginx/pcp.htpasswd, mode: "0640", content: "alice:$apr1$x$y\\n"}
  - path: /var/lib/dpkg/status
    content: |
      Package: pcp
      Status: install ok installed
      Architecture: amd64
      Version: 6.3.1-1
  - path: /etc/profile.d/pcp-tls.sh
    content: |
      # PCP clients require TLS
      export PCP_SECURE_SOCKETS=enforce
  - {path: /home/alice, type: dir, mode: "0750", owner: alice}
  - path: /home/alice/.profile
    owner: alice
    content: |
      export PCP_TLSCONF_PATH="$HOME/.pcp/tls.conf"
  - {path: /home/alice/.pcp, type: dir, mode: "0700", owner: alice}
  - path: /home/alice/.pcp/tls.conf
    owner: alice
    content: |
      tls-ca-cert-file = /home/alice/.pcp/tls/ca.crt
      tls-client-cert-file = /home/alice/.pcp/tls/client.crt
      tls-client-key-file = /home/alice/.pcp/tls/client.key
      tls-verify-clients = true
  - {path: /home/alice/.pcp/tls, type: dir, mode: "0700", owner: alice}
${treeEntries(REAL_TLS).trimEnd()}
${PULSE_ENTRIES}
`

/** The seed tree with entries changed (or added), in order. */
export function seedTreeWith(...changes: (Partial<TreeEntry> & {path: string})[]): TreeSpec {
  return changeTree(parseTreeSpec(SEED_TREE, 'seed tree'), changes)
}

/** The seed tree as a break leaves it: entries removed first, then entries changed or added. */
export function seedTreeBroken(brk: Pick<PulseBreak, 'with' | 'without'>): TreeSpec {
  return changeTree(seedTreeWithout(...(brk.without ?? [])), brk.with ?? [])
}

function changeTree(spec: TreeSpec, changes: readonly (Partial<TreeEntry> & {path: string})[]): TreeSpec {
  for (const change of changes) {
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
  }
  return spec
}

/** The seed tree without some entries (and whatever lies below them). */
export function seedTreeWithout(...paths: string[]): TreeSpec {
  const spec = parseTreeSpec(SEED_TREE, 'seed tree')
  spec.entries = spec.entries.filter((e) => !paths.some((p) => e.path === p || e.path.startsWith(`${p}/`)))
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
    /readable by every user: whoever reads it logs in to every cluster node .*; expected 0600 pulse-sensor-proxy:pulse-sensor-proxy, found 0644 pulse-sensor-proxy:pulse-sensor-proxy/,
  ],
  [
    'key readable by another group',
    {path: `${S}/ssh/id_ed25519`, mode: 0o640, group: 'alice'},
    'PSP-FILE-001',
    /readable by the members of group alice/,
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
    /writable by every user: .*; expected 0700/,
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
    /writable by every user: .*; expected 0775/,
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
    /writable by the members of group pcp: .* runs code as root/,
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
    /readable by every user: whoever reads it can impersonate .*; expected 0640 pcp:pcp, found 0644 pcp:pcp/,
  ],
  [
    'TLS key pcp cannot read',
    {path: '/etc/pcp/tls/server.key', owner: 'root', group: 'root'},
    'PCP-FILE-006',
    /not readable by pcp: pmcd reads it as user pcp and will not start; expected 0640 root:pcp, found 0600 root:root/,
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
    'an old server key left in the TLS directory',
    {
      path: '/etc/pcp/tls/old-server.key',
      mode: 0o600,
      owner: 'pcp',
      group: 'pcp',
      content: '-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEIBk\n-----END PRIVATE KEY-----\n',
    },
    'PCP-FILE-007',
    /^a private key no tls.conf names/,
  ],
  [
    "TLS directory owned by pcp (as PCP's guide leaves it): low, with the reason",
    {path: '/etc/pcp/tls', owner: 'pcp'},
    'PCP-FILE-004',
    /^owned by pcp, who can change it: .*pmcd and pmproxy already run as pcp and read the TLS key as pcp/,
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
      // "allow * : all" is what pmcd does with no rule at all.
      'PCP-ACCESS-009',
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
  [
    'an allow that restricts nothing',
    seedAccess(
      'disallow ".*" : store;\ndisallow ":*" : store;\nallow 10.9.9.* : fetch;\nallow "local:*" : all;',
    ),
    ['PCP-ACCESS-003', 'PCP-ACCESS-003', 'PCP-ACCESS-006', 'PCP-ACCESS-009'],
  ],
]

/** The content of a file of the seed tree. */
function seedContent(path: string): string {
  return parseTreeSpec(SEED_TREE, 'seed tree').entries.find((e) => e.path === path)?.content ?? ''
}

const TLS_CONF = '/etc/pcp/tls.conf'
const SEED_TLS_CONF = seedContent(TLS_CONF)
const PMPROXY_CONF = '/etc/pcp/pmproxy/pmproxy.conf'
const SEED_PMPROXY_CONF = seedContent(PMPROXY_CONF)
const PROFILE_D = '/etc/profile.d/pcp-tls.sh'
const ALICE_TLS = '/home/alice/.pcp/tls.conf'
const ALICE_CLIENT = seedContent(ALICE_TLS).replace('tls-verify-clients = true\n', '')

/**
 * Ways to break the seed tree's TLS, pmproxy and monitor configuration: a name, the change, and
 * every check that must report it (PCP-TLS, PCP-PMPROXY and PCP-MON checks).
 */
export const CONFIG_BREAKS: [string, Partial<TreeEntry> & {path: string}, string[]][] = [
  [
    'tls-cipher-list instead of tls-ciphers',
    {path: TLS_CONF, content: `${SEED_TLS_CONF}tls-cipher-list = HIGH:!aNULL\n`},
    ['PCP-TLS-001'],
  ],
  [
    'a value cut at a blank',
    {path: TLS_CONF, content: `${SEED_TLS_CONF}tls-ciphers = HIGH !aNULL\n`},
    ['PCP-TLS-001'],
  ],
  [
    'a CA that does not exist',
    {path: TLS_CONF, content: SEED_TLS_CONF.replace('/etc/pcp/tls/ca.crt', '/etc/pcp/tls/other-ca.crt')},
    ['PCP-TLS-002'],
  ],
  [
    'weak ciphers',
    {path: TLS_CONF, content: `${SEED_TLS_CONF}tls-ciphers = ALL:RC4:3DES\n`},
    ['PCP-TLS-003'],
  ],
  ['no newline after the last line', {path: TLS_CONF, content: SEED_TLS_CONF.trimEnd()}, ['PCP-TLS-004']],
  ['a line PCP ignores', {path: TLS_CONF, content: `${SEED_TLS_CONF}enable = yes\n`}, ['PCP-TLS-005']],
  [
    'pmproxy on every interface',
    {path: '/etc/default/pmproxy', content: '# PMPROXY_LOCAL=1\n'},
    ['PCP-PMPROXY-001'],
  ],
  [
    'PMPROXY_LOCAL quoted',
    {path: '/etc/default/pmproxy', content: 'PMPROXY_LOCAL="1"\n'},
    ['PCP-PMPROXY-001'],
  ],
  [
    'a Redis password every user can read',
    {path: PMPROXY_CONF, content: `${SEED_PMPROXY_CONF}password = s3cret\n`},
    ['PCP-PMPROXY-002'],
  ],
  [
    "a pmproxy.conf in the rc script's directory",
    {
      path: '/var/log/pcp/pmproxy/pmproxy.conf',
      owner: 'pcp',
      group: 'pcp',
      content: '[pmproxy]\nsecure.enabled = false\n',
    },
    ['PCP-PMPROXY-003'],
  ],
  [
    'a legacy certificate that does not exist',
    {
      path: PMPROXY_CONF,
      content: SEED_PMPROXY_CONF.replace('\n\n', '\ncertificates = /etc/pcp/pmproxy/pmproxy.crt\n\n'),
    },
    ['PCP-PMPROXY-004'],
  ],
  [
    'http.enabled = false',
    {path: PMPROXY_CONF, content: SEED_PMPROXY_CONF.replace('\n\n', '\nhttp.enabled = false\n\n')},
    ['PCP-PMPROXY-005'],
  ],
  [
    'PCP_SECURE_SOCKETS relaxed',
    {path: PROFILE_D, content: 'export PCP_SECURE_SOCKETS=relaxed\n'},
    ['PCP-MON-001'],
  ],
  ['the client does not verify', {path: ALICE_TLS, content: ALICE_CLIENT}, ['PCP-MON-002']],
  [
    'tls-verify-clients = 1',
    {path: ALICE_TLS, content: `${ALICE_CLIENT}tls-verify-clients = 1\n`},
    ['PCP-MON-002'],
  ],
  [
    'PCP_TLSCONF_PATH unset',
    {path: '/home/alice/.profile', owner: 'alice', content: '# no PCP settings\n'},
    // alice's clients then read /etc/pcp/tls.conf, which does not verify the collector either.
    ['PCP-MON-002', 'PCP-MON-003'],
  ],
  [
    'an NSS-era variable',
    {path: PROFILE_D, content: 'export PCP_SECURE_SOCKETS=enforce\nexport PCP_ALLOW_SERVER_SELF_CERT=1\n'},
    ['PCP-MON-004'],
  ],
  ['an NSS database', {path: '/etc/pcp/nssdb/cert9.db', content: 'nss\n'}, ['PCP-MON-005']],
]
