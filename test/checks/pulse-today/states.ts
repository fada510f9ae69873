import {ADMIN_KEY, OLD_PROXY_KEY, OTHER_ADMIN_KEY, PROXY_KEY, RSA_KEY} from '../pulse/keys.js'

/**
 * Host trees for each state a Pulse host is in today (Pulse's scripts/install.sh, the node setup
 * script the Pulse server generates, scripts/uninstall-sensor-proxy.sh), with exactly the PULSE-*
 * failures each must give.
 */
export interface StateEntry {
  path: string
  type?: 'file' | 'dir' | 'symlink'
  mode?: string
  owner?: string
  group?: string
  content?: string
  target?: string
}

export interface Expected {
  check: string
  path: string
  line?: number
  message?: RegExp
}

export interface HostState {
  name: string
  entries: StateEntry[]
  fails: Expected[]
}

const NO_FORWARDING = 'no-port-forwarding,no-X11-forwarding,no-agent-forwarding,no-pty'
export const ADMIN_LINE = `${ADMIN_KEY} admin@workstation`
export const BACKUP_LINE = `from="10.0.0.5",command="borg serve",restrict ${OTHER_ADMIN_KEY} backup`
/** The node setup script's line (Pulse 5.1.15 and later), as it writes it: no from=. */
export const SENSORS_LINE = `command="/usr/local/sbin/pulse-sensors",${NO_FORWARDING} ${RSA_KEY} # pulse-sensors`
export const INSTALLER_LINE = `command="/opt/pulse/sensor-proxy/bin/pulse-sensor-proxy-wrapper",${NO_FORWARDING} ${PROXY_KEY} pulse-sensor-proxy # pulse-managed-key`
export const ROTATED_LINE = `from="192.168.0.0/24",command="sensors -j",${NO_FORWARDING} ${RSA_KEY} # pulse-proxy-key`

const ACCOUNTS: StateEntry[] = [
  {
    path: '/etc/passwd',
    content:
      'root:x:0:0:root:/root:/bin/bash\n' +
      'pulse-agent:x:996:996::/var/lib/pulse-agent:/usr/sbin/nologin\n' +
      'alice:x:1000:1000::/home/alice:/bin/bash\n',
  },
  {path: '/etc/group', content: 'root:x:0:\nsudo:x:27:\npulse-agent:x:996:\nalice:x:1000:\n'},
  {path: '/etc/pve', type: 'dir'},
  {path: '/root', type: 'dir', mode: '0700'},
  {path: '/root/.ssh', type: 'dir', mode: '0700'},
  {path: '/etc/ssh/sshd_config', content: 'PermitRootLogin prohibit-password\n'},
]

const rootKeys = (...lines: string[]): StateEntry => ({
  path: '/root/.ssh/authorized_keys',
  mode: '0600',
  content: lines.map((l) => `${l}\n`).join(''),
})

/** The unit Pulse's install.sh writes (render_systemd_agent_unit), for a profile. */
export function agentUnit(
  options: {user?: string; grants?: boolean; extra?: string; exec?: string} = {},
): string {
  const least = options.user !== undefined
  const env = options.grants
    ? '\nEnvironment="PULSE_SMARTCTL_PATH=/usr/local/lib/pulse-agent/smartctl"\nEnvironment="PULSE_PCT_PATH=/usr/local/lib/pulse-agent/pct"'
    : ''
  return `[Unit]
Description=Pulse Unified Agent
After=network-online.target
Wants=network-online.target
StartLimitIntervalSec=0

[Service]
Type=simple
ExecStart=/usr/local/bin/pulse-agent --url https://pulse.example:7655 --token-file /var/lib/pulse-agent/token --enable-host --enable-proxmox --proxmox-type pve --state-dir /var/lib/pulse-agent${options.exec ?? ''}${env}
Restart=always
RestartSec=5s${least ? `\nUser=${options.user}` : ''}
UMask=0077
NoNewPrivileges=${options.grants ? 'false' : 'true'}
PrivateTmp=true
ProtectKernelTunables=true
ProtectKernelModules=true
ProtectControlGroups=true
LockPersonality=true
RestrictSUIDSGID=true
SystemCallArchitectures=native${least ? '' : '\nAmbientCapabilities=CAP_SETUID CAP_SETGID'}${options.extra ?? ''}

[Install]
WantedBy=multi-user.target
`
}

const UNIT = '/etc/systemd/system/pulse-agent.service'
const TOKEN = '/var/lib/pulse-agent/token'

/** The agent as install.sh --least-privilege --grant-smart --grant-pct leaves it. */
export const LEAST_PRIVILEGE_AGENT: StateEntry[] = [
  {path: '/usr/local/bin/pulse-agent', mode: '0755', owner: 'pulse-agent', content: '#!/bin/sh\n'},
  {path: UNIT, content: agentUnit({user: 'pulse-agent', grants: true})},
  {path: '/var/lib/pulse-agent', type: 'dir', mode: '0700', owner: 'pulse-agent'},
  {path: TOKEN, mode: '0600', owner: 'pulse-agent', content: '0123456789abcdef'},
  {
    path: '/var/lib/pulse-agent/connection.env',
    mode: '0600',
    owner: 'pulse-agent',
    content:
      "PULSE_STATE_DIR='/var/lib/pulse-agent'\nPULSE_URL='https://pulse.example:7655'\nPULSE_TOKEN_FILE='/var/lib/pulse-agent/token'\n",
  },
  {path: '/usr/local/lib/pulse-agent', type: 'dir', mode: '0755'},
  {
    path: '/usr/local/lib/pulse-agent/smartctl',
    mode: '0755',
    content: '#!/bin/sh\nexec sudo -n /usr/sbin/smartctl "$@"\n',
  },
  {
    path: '/usr/local/lib/pulse-agent/pct',
    mode: '0755',
    content: '#!/bin/sh\nexec sudo -n /usr/sbin/pct "$@"\n',
  },
  {
    path: '/etc/sudoers',
    mode: '0440',
    content:
      'Defaults\tenv_reset\nroot\tALL=(ALL:ALL) ALL\n%sudo\tALL=(ALL:ALL) ALL\n@includedir /etc/sudoers.d\n',
  },
  {
    path: '/etc/sudoers.d/pulse-agent',
    mode: '0440',
    content:
      '# Pulse least-privilege agent grants. Managed by install.sh.\n' +
      'pulse-agent ALL=(root) NOPASSWD: /usr/sbin/smartctl\n' +
      'pulse-agent ALL=(root) NOPASSWD: /usr/sbin/pct list, /usr/sbin/pct df *\n',
  },
  {path: '/etc/sudoers.d/README', mode: '0440', content: '# files with a . or ending in ~ are skipped\n'},
]

/** The SSH fallback as the node setup script leaves it. */
const SENSORS_WRAPPER: StateEntry[] = [
  {path: '/usr/local/sbin', type: 'dir', mode: '0755'},
  {path: '/usr/local/sbin/pulse-sensors', mode: '0755', content: '#!/bin/sh\nexec sensors -j\n'},
]

const PROXY_UNIT = `[Unit]
Description=Pulse Sensor Proxy
[Service]
User=pulse-sensor-proxy
ExecStart=/usr/local/bin/pulse-sensor-proxy
`

/** The accounts with the installer's (useradd --system --user-group), which owns the proxy's state. */
const WITH_PROXY_ACCOUNT = ACCOUNTS.map((e) =>
  e.path === '/etc/passwd'
    ? {...e, content: `${e.content}pulse-sensor-proxy:x:997:997::/nonexistent:/usr/sbin/nologin\n`}
    : e.path === '/etc/group'
      ? {...e, content: `${e.content}pulse-sensor-proxy:x:997:\n`}
      : e,
)

export const STATES: HostState[] = [
  {
    name: 'the proxy, hardened and still installed',
    entries: [
      ...WITH_PROXY_ACCOUNT,
      {path: '/usr/local/bin/pulse-sensor-proxy', mode: '0755', content: '#!/bin/sh\n'},
      {path: '/etc/systemd/system/pulse-sensor-proxy.service', content: PROXY_UNIT},
      {
        path: '/etc/systemd/system/multi-user.target.wants/pulse-sensor-proxy.service',
        type: 'symlink',
        target: '/etc/systemd/system/pulse-sensor-proxy.service',
      },
      {
        path: '/var/lib/pulse-sensor-proxy',
        type: 'dir',
        mode: '0750',
        owner: 'pulse-sensor-proxy',
        group: 'pulse-sensor-proxy',
      },
      {
        path: '/var/lib/pulse-sensor-proxy/ssh',
        type: 'dir',
        mode: '0700',
        owner: 'pulse-sensor-proxy',
        group: 'pulse-sensor-proxy',
      },
      {
        path: '/var/lib/pulse-sensor-proxy/ssh/id_ed25519',
        mode: '0600',
        owner: 'pulse-sensor-proxy',
        group: 'pulse-sensor-proxy',
        content: 'private\n',
      },
      {
        path: '/var/lib/pulse-sensor-proxy/ssh/id_ed25519.pub',
        mode: '0640',
        owner: 'pulse-sensor-proxy',
        group: 'pulse-sensor-proxy',
        content: `${PROXY_KEY} pulse-sensor-proxy\n`,
      },
      rootKeys(
        ADMIN_LINE,
        `from="192.168.0.0/24",command="sensors -j",${NO_FORWARDING} ${PROXY_KEY} pulse-sensor-proxy`,
      ),
    ],
    fails: [
      {
        check: 'PULSE-LEGACY-001',
        path: '/etc/systemd/system/pulse-sensor-proxy.service',
        message:
          /is enabled here: Pulse deprecated it in 5\.0\.0 and removed it in 5\.1\.0.*pcp-harden decommission/,
      },
    ],
  },
  {
    name: 'the proxy removed without --purge, leftovers behind',
    entries: [
      ...WITH_PROXY_ACCOUNT,
      {path: '/var/lib/pulse-sensor-proxy/ssh', type: 'dir', mode: '0700'},
      {path: '/var/lib/pulse-sensor-proxy/ssh/id_ed25519', mode: '0600', content: 'private\n'},
      {path: '/var/lib/pulse-sensor-proxy/ssh/id_ed25519.pub', content: `${PROXY_KEY} pulse-sensor-proxy\n`},
      {path: '/var/lib/pulse-sensor-proxy/ssh.d/prev', type: 'dir', mode: '0750'},
      {path: '/var/lib/pulse-sensor-proxy/ssh.d/prev/id_ed25519', mode: '0600', content: 'previous\n'},
      {
        path: '/var/lib/pulse-sensor-proxy/ssh.d/prev/id_ed25519.pub',
        content: `${OLD_PROXY_KEY} pulse-sensor-proxy\n`,
      },
      {path: '/etc/pulse-sensor-proxy/.http-auth-token', mode: '0600', content: 'secret\n'},
      {
        path: '/etc/systemd/system/pulse-sensor-proxy-selfheal.timer',
        content: '[Timer]\nOnCalendar=hourly\n',
      },
      rootKeys(ADMIN_LINE, INSTALLER_LINE, BACKUP_LINE, ROTATED_LINE),
      {path: '/home/alice/.ssh', type: 'dir', mode: '0700', owner: 'alice'},
      {path: '/home/alice/.ssh/authorized_keys', mode: '0600', owner: 'alice', content: `${ADMIN_LINE}\n`},
      {
        path: '/etc/pve/lxc/101.conf',
        content:
          'arch: amd64\nhostname: pulse\nunprivileged: 1\nlxc.mount.entry: /run/pulse-sensor-proxy mnt/pulse-proxy none bind,create=dir 0 0\n\n' +
          '[before-upgrade]\narch: amd64\nhostname: pulse\nunprivileged: 1\nmp0: /run/pulse-sensor-proxy,mp=/mnt/pulse-proxy\n',
      },
      {path: '/etc/pve/lxc/102.conf', content: 'arch: amd64\nhostname: web\nunprivileged: 1\n'},
    ],
    fails: [
      {
        check: 'PULSE-LEGACY-002',
        path: '/var/lib/pulse-sensor-proxy/ssh/id_ed25519',
        message: /still logs in as root \(\/root\/\.ssh\/authorized_keys:2\)/,
      },
      {
        check: 'PULSE-LEGACY-003',
        path: '/var/lib/pulse-sensor-proxy/ssh.d/prev/id_ed25519',
        message: /no authorized_keys file under the root accepts/,
      },
      {check: 'PULSE-LEGACY-004', path: '/root/.ssh/authorized_keys', line: 2, message: /logs in as root/},
      {check: 'PULSE-LEGACY-004', path: '/root/.ssh/authorized_keys', line: 4},
      {
        check: 'PULSE-LEGACY-005',
        path: '/etc/systemd/system/pulse-sensor-proxy-selfheal.timer',
        message: /systemctl disable --now pulse-sensor-proxy-selfheal.timer/,
      },
      {check: 'PULSE-LEGACY-006', path: '/etc/pve/lxc/101.conf', line: 4},
      {check: 'PULSE-LEGACY-007', path: '/etc/pulse-sensor-proxy/.http-auth-token'},
      {check: 'PULSE-LEGACY-008', path: '/etc/passwd', line: 4, message: /userdel pulse-sensor-proxy/},
      {check: 'PULSE-LEGACY-008', path: '/etc/group', line: 5},
    ],
  },
  {
    name: 'the agent as root with a readable token and an old connection file',
    entries: [
      ...ACCOUNTS,
      {path: '/usr/local/bin/pulse-agent', mode: '0755', content: '#!/bin/sh\n'},
      {path: UNIT, content: agentUnit()},
      {path: '/var/lib/pulse-agent', type: 'dir', mode: '0755'},
      {path: TOKEN, mode: '0644', content: '0123456789abcdef'},
      {
        path: '/var/lib/pulse-agent/connection.env',
        mode: '0600',
        content: "PULSE_URL='https://pulse.example:7655'\nPULSE_TOKEN='0123456789abcdef'\n",
      },
      rootKeys(ADMIN_LINE),
    ],
    fails: [
      {
        check: 'PULSE-AGENT-001',
        path: TOKEN,
        message: /readable by every local user.*chown root:root \/var\/lib\/pulse-agent\/token && chmod 0600/,
      },
      {check: 'PULSE-AGENT-003', path: '/var/lib/pulse-agent/connection.env', line: 2},
      {check: 'PULSE-AGENT-004', path: UNIT, message: /--least-privilege/},
      {check: 'PULSE-AGENT-007', path: UNIT, message: /rates pulse-agent.service 8\.\d EXPOSED: above 7\.9/},
    ],
  },
  {
    name: 'the agent installed with --least-privilege, clean',
    entries: [...ACCOUNTS, ...LEAST_PRIVILEGE_AGENT, rootKeys(ADMIN_LINE)],
    fails: [],
  },
  {
    name: 'the SSH fallback as the node setup script writes it (no from=)',
    entries: [...ACCOUNTS, ...SENSORS_WRAPPER, rootKeys(ADMIN_LINE, SENSORS_LINE)],
    fails: [
      {
        check: 'PULSE-SSH-001',
        path: '/root/.ssh/authorized_keys',
        line: 2,
        message: /no from= restriction.*SECURITY\.md/,
      },
    ],
  },
  {
    name: 'the SSH fallback limited to the Pulse server with from=, as SECURITY.md asks',
    entries: [...ACCOUNTS, ...SENSORS_WRAPPER, rootKeys(ADMIN_LINE, `from="192.168.0.10",${SENSORS_LINE}`)],
    fails: [],
  },
]

/** The clean least-privilege agent with one thing changed. */
const leastPrivilegeWith = (name: string, changes: StateEntry[], fails: Expected[]): HostState => ({
  name,
  entries: [
    ...ACCOUNTS,
    ...LEAST_PRIVILEGE_AGENT.filter((e) => !changes.some((c) => c.path === e.path)),
    ...changes,
    rootKeys(ADMIN_LINE),
  ],
  fails,
})

/** One way each further agent and fallback check fails. */
export const VARIANTS: HostState[] = [
  leastPrivilegeWith(
    'the token on the command line, in Environment= and in a world-readable environment file',
    [
      {
        path: UNIT,
        content: agentUnit({
          user: 'pulse-agent',
          grants: true,
          exec: ' --token 0123456789abcdef',
          extra: '\nEnvironment=PULSE_TOKEN=0123456789abcdef\nEnvironmentFile=-/etc/default/pulse-agent',
        }),
      },
      {path: '/etc/default/pulse-agent', mode: '0644', content: '# agent\nPULSE_TOKEN=0123456789abcdef\n'},
    ],
    [
      {check: 'PULSE-AGENT-002', path: UNIT, line: 9, message: /--token: every local user/},
      {check: 'PULSE-AGENT-002', path: UNIT, line: 24, message: /Environment= sets PULSE_TOKEN/},
      {
        check: 'PULSE-AGENT-002',
        path: '/etc/default/pulse-agent',
        line: 2,
        message: /chmod 0600 \/etc\/default\/pulse-agent/,
      },
    ],
  ),
  leastPrivilegeWith(
    'sudo grants the agent user more than the installer does',
    [
      {
        path: '/etc/sudoers.d/pulse-agent',
        mode: '0440',
        content:
          'Cmnd_Alias PULSE = /usr/sbin/pct list, /usr/sbin/pct exec *\n' +
          'pulse-agent ALL=(root) NOPASSWD: /usr/sbin/smartctl\n' +
          'pulse-agent ALL=(ALL) NOPASSWD: PULSE, \\\n  /usr/sbin/pct df *\n',
      },
      {
        path: '/etc/sudoers.d/pulse-agent.bak',
        mode: '0440',
        content: 'pulse-agent ALL=(ALL) NOPASSWD: ALL\n',
      },
      {
        path: '/etc/sudoers.d/zz-admins',
        mode: '0440',
        content: 'User_Alias MONITORS = alice, pulse-agent\nMONITORS ALL = (ALL) ALL\n',
      },
    ],
    [
      {
        check: 'PULSE-AGENT-005',
        path: '/etc/sudoers.d/pulse-agent',
        line: 3,
        message: /grants pulse-agent \(ALL\) NOPASSWD: PULSE/,
      },
      {
        check: 'PULSE-AGENT-005',
        path: '/etc/sudoers.d/zz-admins',
        line: 2,
        message: /grants MONITORS \(ALL\) ALL/,
      },
    ],
  ),
  leastPrivilegeWith(
    'a drop-in weakens the sandbox and opens the listener and remote commands',
    [
      {path: `${UNIT}.d/override.conf`, content: '[Service]\nPrivateTmp=no\nUMask=0022\n'},
      {
        path: UNIT,
        content: agentUnit({
          user: 'pulse-agent',
          grants: true,
          exec: ' --health-addr :9191 --enable-commands',
        }),
      },
    ],
    [
      {check: 'PULSE-AGENT-006', path: `${UNIT}.d/override.conf`, line: 2, message: /PrivateTmp=no weakens/},
      {check: 'PULSE-AGENT-006', path: `${UNIT}.d/override.conf`, line: 3, message: /UMask=0022/},
      {check: 'PULSE-AGENT-007', path: UNIT, message: /above 7\.9/},
      {check: 'PULSE-AGENT-008', path: UNIT, line: 9, message: /on :9191, not loopback/},
      {check: 'PULSE-AGENT-009', path: UNIT, line: 9},
    ],
  ),
  {
    name: 'the SSH fallback with a wrapper others can change and a line sshd ignores',
    entries: [
      ...ACCOUNTS,
      {path: '/usr/local/sbin', type: 'dir', mode: '0775', group: 'sudo'},
      {
        path: '/usr/local/sbin/pulse-sensors',
        mode: '0755',
        owner: 'alice',
        content: '#!/bin/sh\nexec sensors -j\n',
      },
      rootKeys(
        `from="192.168.0.10",${SENSORS_LINE}`,
        `command=\\"sensors -j\\",${NO_FORWARDING} ${OLD_PROXY_KEY} # pulse-sensors`,
      ),
    ],
    fails: [
      {
        check: 'PULSE-SSH-002',
        path: '/usr/local/sbin/pulse-sensors',
        message: /is owned by alice: .*runs any command as root.*chown root:root/,
      },
      {check: 'PULSE-SSH-002', path: '/usr/local/sbin', message: /is writable by group sudo/},
      {
        check: 'PULSE-SSH-003',
        path: '/root/.ssh/authorized_keys',
        line: 2,
        message: /sshd ignores this line/,
      },
    ],
  },
]
