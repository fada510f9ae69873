import type {TreeEntry} from '../../src/host/tree.js'
import {SEED_CONFIG} from './pulse/proxy.js'

type Change = Partial<TreeEntry> & {path: string}

const CONFIG = '/etc/pulse-sensor-proxy/config.yaml'
const TLS = '/etc/pulse-sensor-proxy/tls'
const P = 'pulse-sensor-proxy'

/** config.yaml with the HTTPS mode appended as the installer appends it (line 8: http_listen_addr). */
export function httpsConfig(listen = '"0.0.0.0:8443"', drop: string[] = []): Change {
  const lines = [
    '',
    '# HTTP Mode Configuration (External PVE Host)',
    'http_enabled: true',
    `http_listen_addr: ${listen}`,
    `http_tls_cert: ${TLS}/server.crt`,
    `http_tls_key: ${TLS}/server.key`,
    'http_auth_token: "0123456789abcdef0123456789abcdef"',
  ].filter((l) => !drop.some((d) => l.startsWith(d)))
  return {
    path: CONFIG,
    mode: 0o640,
    owner: 'root',
    group: P,
    content: `${SEED_CONFIG.trimEnd()}\n${lines.join('\n')}\n`,
  }
}

/** The HTTPS mode as scripts/install-sensor-proxy.sh sets it up (config kept private here). */
export const HTTPS_INSTALLED: Change[] = [
  httpsConfig(),
  {path: TLS, type: 'dir', mode: 0o750, owner: 'root', group: P},
  {path: `${TLS}/server.crt`, mode: 0o640, owner: 'root', group: P, content: '-----BEGIN CERTIFICATE-----\n'},
  {path: `${TLS}/server.key`, mode: 0o640, owner: 'root', group: P, content: '-----BEGIN PRIVATE KEY-----\n'},
  {
    path: '/etc/pulse-sensor-proxy/.http-auth-token',
    mode: 0o600,
    owner: P,
    group: P,
    content: '0123456789abcdef0123456789abcdef\n',
  },
]

const without = (path: string) => HTTPS_INSTALLED.filter((c) => c.path !== path)

/** Ways to break the HTTPS mode: a name, the changes, the checks that fail, what they say. */
export const HTTPS_BREAKS: [string, Change[], string[], RegExp][] = [
  ['listening on every interface with no firewall', HTTPS_INSTALLED, ['PSP-CONF-009'], /every interface/],
  [
    'no http_tls_key',
    [...without(CONFIG), httpsConfig('"0.0.0.0:8443"', ['http_tls_key'])],
    ['PSP-CONF-010'],
    /without http_tls_key: the proxy refuses the file/,
  ],
  [
    'a certificate file that does not exist',
    without(`${TLS}/server.crt`),
    ['PSP-CONF-010'],
    /does not exist/,
  ],
  [
    'a private key every user can read',
    [
      ...without(`${TLS}/server.key`),
      {path: `${TLS}/server.key`, mode: 0o644, owner: 'root', group: 'root', content: 'k\n'},
    ],
    ['PSP-CONF-010'],
    /private key every user can read/,
  ],
  [
    'a token copy every user can read',
    [
      ...without('/etc/pulse-sensor-proxy/.http-auth-token'),
      {path: '/etc/pulse-sensor-proxy/.http-auth-token', mode: 0o644, owner: P, group: P, content: 't\n'},
    ],
    ['PSP-CONF-010'],
    /copy of http_auth_token every user can read/,
  ],
]
