import {randomBytes} from 'node:crypto'

import type {ExpectedFailure, PulseBreak} from './break.js'

/** The proxy's active key in the seed tree (test/checks/seed-tree.ts) and keys of its past and of admins. */
export const PROXY_KEY = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIH7XxADo17SBmSlnA1Gnx3Hk/1Oit/sqdY/gOegFu8id'
export const OLD_PROXY_KEY =
  'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIH5VIQMcI9rb1NyPnQR4GqB11usQsHvMc9Z7fr6I/ZmC'
export const ADMIN_KEY = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIAdPWvglFGyo6Gk9k4hymJK8unIyEJx7jTNihcpXKQBq'
export const OTHER_ADMIN_KEY =
  'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAII9AOoQAlY3XGIjF9T9YOHElLf8eM0HZ3AnhSWaYsqGn'
export const RSA_KEY =
  'ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQDYLdt1f8mLk/kMspjaCX5fmdPLprFbI33HJmBcP2rjY4zU03Zj1jpFKRq8lL74Pa4202B7yIsh9GMYbWuoL0n1/q9XYiF1gDEmSo3DQcT6TOvKznowzp9PYiiGki0S60B2cKV2JbUz7vglSTW8079/qEuFi26NFec3AcvCEREdbUIW0HYGs2YnbHat1nSbqQBxdBN5RpDHv8IbmpfjJYRi9hFvpB1Qf1E1lJWS6JH44eufc+jU8Rva+FTWCo/BzA2HgdCc/cKpROCUQmFJlmLhoHbQaZ6aGialIEDJOpTSRxq7ahW8OpN6jyekOZzpMLiMkD2OCMia/9M6DLega/YT'

const NO_FORWARDING = 'no-port-forwarding,no-X11-forwarding,no-agent-forwarding,no-pty'
/** The three forms the proxy's writers left on the nodes (FACTS.md "Pulse sensor proxy"). */
export const DOC_FORM = `from="192.168.0.0/24,10.0.0.0/8",command="sensors -j",${NO_FORWARDING} ${PROXY_KEY} pulse-sensor-proxy`
export const INSTALLER_FORM = `command="/opt/pulse/sensor-proxy/bin/pulse-sensor-proxy-wrapper",${NO_FORWARDING} ${PROXY_KEY} pulse-sensor-proxy # pulse-managed-key`
export const RPC_FORM = `from=192.168.0.0/24,command=sensors -j,${NO_FORWARDING} ${PROXY_KEY} pulse-sensor-proxy`

const ADMIN_LINE = `${ADMIN_KEY} admin@workstation`
const BACKUP_LINE = `from="10.0.0.5",command="borg serve --restrict-to-path /srv/backup",restrict ${OTHER_ADMIN_KEY} backup`

/** root's authorized_keys on a node hardened as seed 004 says: admin keys and the doc's restricted proxy line. */
export const ROOT_KEYS = `# admins\n${ADMIN_LINE}\n${BACKUP_LINE}\n\n# pulse-sensor-proxy\n${DOC_FORM}\n`
const PROXY_LINE = 6

const AK = '/root/.ssh/authorized_keys'
const ALICE_AK = '/home/alice/.ssh/authorized_keys'
const PUB = '/var/lib/pulse-sensor-proxy/ssh/id_ed25519.pub'

const indent = (text: string) =>
  text
    .split('\n')
    .map((l) => (l === '' ? l : `      ${l}`))
    .join('\n')

/** Seed tree entries (YAML list items) that a host hardened as seed 004 describes has for the PSP-KEYS checks. */
export const ENTRIES = `
  - path: /etc/ssh/sshd_config
    content: |
      Include /etc/ssh/sshd_config.d/*.conf
      KbdInteractiveAuthentication no
      UsePAM yes
      PermitRootLogin prohibit-password
      Subsystem sftp /usr/lib/openssh/sftp-server
  - {path: /etc/ssh/sshd_config.d, type: dir}
  - {path: /root, type: dir, mode: "0700"}
  - {path: /root/.ssh, type: dir, mode: "0700"}
  - path: ${AK}
    mode: "0600"
    content: |
${indent(ROOT_KEYS)}
  - {path: /home/alice/.ssh, type: dir, mode: "0700", owner: alice}
  - {path: ${ALICE_AK}, mode: "0600", owner: alice, content: "${ADMIN_LINE}\\n"}
`

/** root's authorized_keys with the proxy's line replaced by these lines. */
const rootKeysWith = (...proxyLines: string[]) => ({
  path: AK,
  mode: 0o600,
  content: ROOT_KEYS.replace(`${DOC_FORM}\n`, proxyLines.map((l) => `${l}\n`).join('')),
})
const atProxyLine = (check: string, message: RegExp, line = PROXY_LINE): ExpectedFailure => ({
  check,
  path: AK,
  line,
  message,
})

/** Each way to break the seed tree that a PSP-KEYS check must report, with every failure it causes. */
export const BREAKS: PulseBreak[] = [
  {
    name: "the installer's proxy line (no from=)",
    with: [rootKeysWith(INSTALLER_FORM)],
    fails: [atProxyLine('PSP-KEYS-001', /has no from= restriction: whoever holds the key logs in as root/)],
  },
  {
    name: "the rotation RPC's proxy line (quotes stripped in transit)",
    with: [rootKeysWith(RPC_FORM)],
    fails: [atProxyLine('PSP-KEYS-004', /sshd ignores this line \(option value not in double quotes/)],
  },
  {
    name: 'the proxy line with from= matching every address',
    with: [rootKeysWith(DOC_FORM.replace('192.168.0.0/24,10.0.0.0/8', '0.0.0.0/0'))],
    fails: [atProxyLine('PSP-KEYS-001', /from="0.0.0.0\/0", which matches every address/)],
  },
  {
    name: 'the proxy line without a forced command',
    with: [rootKeysWith(DOC_FORM.replace('command="sensors -j",', ''))],
    fails: [atProxyLine('PSP-KEYS-002', /no forced command: it opens a full root shell/)],
  },
  {
    name: 'the proxy line with restrict, then pty re-enabled',
    with: [rootKeysWith(DOC_FORM.replace(NO_FORWARDING, 'restrict,pty'))],
    fails: [atProxyLine('PSP-KEYS-003', /lacks no-pty \(restrict is re-enabled by a later option\)/)],
  },
  {
    name: 'the proxy line allowing port and agent forwarding',
    with: [rootKeysWith(DOC_FORM.replace(NO_FORWARDING, 'no-X11-forwarding,no-pty'))],
    fails: [atProxyLine('PSP-KEYS-003', /lacks no-port-forwarding, no-agent-forwarding$/)],
  },
  {
    name: "an admin's line with options separated by blanks",
    with: [
      {
        path: ALICE_AK,
        owner: 'alice',
        group: 'alice',
        mode: 0o600,
        content: `restrict no-pty ${ADMIN_LINE}\n`,
      },
    ],
    fails: [
      {
        check: 'PSP-KEYS-004',
        path: ALICE_AK,
        line: 1,
        message: /options separated by blanks: sshd reads 'no-pty' where it expects the key type/,
      },
    ],
  },
  {
    name: 'the proxy line twice',
    with: [rootKeysWith(DOC_FORM, DOC_FORM)],
    fails: [atProxyLine('PSP-KEYS-005', /the same key as line 6, which sshd uses first/, 7)],
  },
  {
    name: "the installer's line before the doc's line for the same key",
    with: [rootKeysWith(INSTALLER_FORM, DOC_FORM)],
    fails: [
      atProxyLine('PSP-KEYS-001', /has no from= restriction/),
      atProxyLine(
        'PSP-KEYS-006',
        /never line 7 \(with from="192.168.0.0\/24,10.0.0.0\/8"\): the restrictions written there/,
      ),
    ],
  },
  {
    name: "an admin's plain line before a restricted line for the same key",
    with: [
      {
        path: AK,
        mode: 0o600,
        content: `${ROOT_KEYS}from="10.0.0.0/8",restrict ${ADMIN_LINE}\n`,
      },
    ],
    fails: [
      {
        check: 'PSP-KEYS-006',
        path: AK,
        line: 2,
        message: /never line 7 \(with from="10.0.0.0\/8", no-port-forwarding.*no-user-rc\)/,
      },
    ],
  },
  {
    name: 'a stale key of the proxy left by an earlier install',
    with: [rootKeysWith(DOC_FORM, INSTALLER_FORM.replace(PROXY_KEY, OLD_PROXY_KEY))],
    fails: [
      atProxyLine(
        'PSP-KEYS-007',
        /none of its current keys \(\/var\/lib\/pulse-sensor-proxy\/ssh\/id_ed25519.pub\)/,
        7,
      ),
      // The old key's line is itself the installer's form.
      atProxyLine('PSP-KEYS-001', /has no from= restriction/, 7),
    ],
  },
  {
    name: '~/.ssh writable by a group with other members',
    with: [{path: '/root/.ssh', type: 'dir', mode: 0o770, group: 'pcp'}],
    fails: [
      {
        check: 'PSP-KEYS-008',
        path: '/root/.ssh',
        message:
          /is writable by group pcp, which has members other than root: sshd \(StrictModes\) refuses every key in \/root\/.ssh\/authorized_keys/,
      },
    ],
  },
  {
    name: "authorized_keys writable by root's private group",
    with: [{path: AK, mode: 0o620}],
    fails: [
      {
        check: 'PSP-KEYS-009',
        path: AK,
        message:
          /0620 is group-writable: Debian's sshd accepts it only because group root has no member but its owner/,
      },
    ],
  },
  {
    name: 'the proxy line with host bits set in its from= network',
    with: [rootKeysWith(DOC_FORM.replace('192.168.0.0/24', '192.168.0.10/24'))],
    fails: [
      atProxyLine('PSP-KEYS-004', /sshd refuses this line \(from= has 192.168.0.10\/24 has host bits set/),
    ],
  },
  {
    name: "alice's authorized_keys owned by another user",
    with: [{path: ALICE_AK, owner: 'pcp', mode: 0o600, content: `${ADMIN_LINE}\n`}],
    fails: [
      {check: 'PSP-KEYS-008', path: ALICE_AK, message: /is owned by pcp: sshd \(StrictModes\) refuses/},
    ],
  },
  {
    name: 'a home directory writable by others, with StrictModes off',
    with: [
      {path: '/home/alice', type: 'dir', owner: 'alice', group: 'alice', mode: 0o757},
      {path: '/etc/ssh/sshd_config.d/local.conf', content: 'StrictModes no\n'},
    ],
    fails: [
      {
        check: 'PSP-KEYS-008',
        path: '/home/alice',
        message:
          /writable by others: StrictModes is off, so whoever can write it can add a key that logs in as alice/,
      },
    ],
  },
  {
    name: 'authorized_keys readable by all',
    with: [{path: AK, mode: 0o644}],
    fails: [{check: 'PSP-KEYS-009', path: AK, message: /mode 0644 is looser than 0600/}],
  },
  {
    name: 'AuthorizedKeysFile moved to /etc/ssh/authorized_keys/%u, with the installer line there',
    with: [
      {
        path: '/etc/ssh/sshd_config.d/keys.conf',
        content:
          'AuthorizedKeysFile /etc/ssh/authorized_keys/%u\nMatch User alice\n  AuthorizedKeysFile none\n',
      },
      {path: '/etc/ssh/authorized_keys/root', mode: 0o600, content: `${INSTALLER_FORM}\n`},
    ],
    fails: [{check: 'PSP-KEYS-001', path: '/etc/ssh/authorized_keys/root', line: 1, message: /has no from=/}],
  },
  {
    name: "the proxy's key is RSA",
    with: [{path: PUB, owner: 'pulse-sensor-proxy', mode: 0o640, content: `${RSA_KEY} pulse-sensor-proxy\n`}],
    fails: [
      {check: 'PSP-KEYS-010', path: PUB, message: /is ssh-rsa \(2048 bits\), not ed25519/},
      // The nodes still authorise the ed25519 key this RSA key replaced by hand.
      atProxyLine('PSP-KEYS-007', /none of its current keys/),
    ],
  },
  {
    name: "the proxy's key is 100 days old",
    with: [{path: PUB, mtime: '-100d'}],
    fails: [{check: 'PSP-KEYS-011', path: PUB, message: /is 100 days old: rotate it every 90 days/}],
  },
  {
    name: "the proxy's key is 100 days old, its last rotation interrupted",
    with: [
      {path: PUB, mtime: '-100d'},
      {
        path: '/var/lib/pulse-sensor-proxy/ssh.d/rotation.json',
        owner: 'pulse-sensor-proxy',
        group: 'pulse-sensor-proxy',
        mode: 0o600,
        content: '{"stage": "pushed"}\n',
      },
    ],
    fails: [
      {
        check: 'PSP-KEYS-011',
        path: PUB,
        message:
          /100 days old: rotate it every 90 days \(.*rotation.json is there: a rotation is under way, or was interrupted\)/,
      },
    ],
  },
  {
    name: "the proxy's key is 200 days old",
    with: [{path: PUB, mtime: '-200d'}],
    fails: [
      {check: 'PSP-KEYS-011', path: PUB, message: /is 200 days old/},
      {check: 'PSP-KEYS-012', path: PUB, message: /is 200 days old, past the 180-day limit/},
    ],
  },
]

/** A valid ed25519 public key line with random key bytes. */
export function randomKey(comment: string): string {
  const name = Buffer.from('ssh-ed25519')
  const blob = Buffer.alloc(4 + name.length + 4 + 32)
  blob.writeUInt32BE(name.length, 0)
  name.copy(blob, 4)
  blob.writeUInt32BE(32, 4 + name.length)
  randomBytes(32).copy(blob, 8 + name.length)
  return `ssh-ed25519 ${blob.toString('base64')} ${comment}`
}
