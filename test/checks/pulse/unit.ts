import type {PulseBreak} from './break.js'

const UNIT = '/etc/systemd/system/pulse-sensor-proxy.service'
const DROP_IN_DIR = '/etc/systemd/system/pulse-sensor-proxy.service.d'
const LXC_ACCESS = `${DROP_IN_DIR}/lxc-access.conf`
const DEFAULTS = '/etc/default/pulse-sensor-proxy'

/**
 * The proxy's unit as the installer writes it (ProtectHome=read-only, its safe variant), with seed
 * 004's directives, the further ones of FACTS.md "systemd units", and seed 004's EnvironmentFile.
 */
const HARDENED_UNIT = `[Unit]
Description=Pulse Temperature Proxy
After=network.target

[Service]
Type=simple
User=pulse-sensor-proxy
Group=pulse-sensor-proxy
WorkingDirectory=/var/lib/pulse-sensor-proxy
ExecStart=/usr/local/bin/pulse-sensor-proxy --config /etc/pulse-sensor-proxy/config.yaml
EnvironmentFile=-/etc/default/pulse-sensor-proxy
Restart=on-failure
RuntimeDirectory=pulse-sensor-proxy
ReadWritePaths=/var/lib/pulse-sensor-proxy
NoNewPrivileges=true
ProtectSystem=strict
ProtectHome=read-only
PrivateTmp=true
SystemCallFilter=@system-service
CapabilityBoundingSet=
RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6
ProtectKernelTunables=true
ProtectKernelModules=true
ProtectKernelLogs=true
ProtectControlGroups=true
ProtectClock=true
PrivateDevices=true
RestrictNamespaces=true
RestrictSUIDSGID=true
LockPersonality=true
RestrictRealtime=true
SystemCallArchitectures=native

[Install]
WantedBy=multi-user.target
`

const indent = (text: string) => text.replace(/^(?=.)/gm, '      ')

/** Seed tree entries (YAML list items) that a host hardened as seed 004 describes has for the PSP-UNIT checks. */
export const ENTRIES = `
  - {path: /etc/systemd, type: dir}
  - {path: /etc/systemd/system, type: dir}
  - path: ${UNIT}
    content: |
${indent(HARDENED_UNIT)}
  - {path: ${DROP_IN_DIR}, type: dir}
  - {path: ${LXC_ACCESS}, content: "[Service]\\nRuntimeDirectoryMode=0775\\n"}
`

/** The hardened unit with lines replaced (matched by their key) or removed (a key with no value). */
function unitWith(changes: Record<string, string | undefined>): string {
  return HARDENED_UNIT.split('\n')
    .flatMap((line) => {
      const key = /^([A-Za-z]+)=/.exec(line)?.[1]
      if (!key || !(key in changes)) return [line]
      const value = changes[key]
      return value === undefined ? [] : [`${key}=${value}`]
    })
    .join('\n')
}

/** The line of a directive in a unit's text (1-based). */
const lineIn = (text: string, key: string) => text.split('\n').findIndex((l) => l.startsWith(`${key}=`)) + 1
const lineOf = (key: string) => lineIn(HARDENED_UNIT, key)

const WITHOUT_FURTHER = unitWith({
  ProtectClock: undefined,
  RestrictNamespaces: '~user',
  SystemCallArchitectures: undefined,
  LockPersonality: 'no',
})

/** The unit an early Pulse document gave (User=root, no sandbox), as an admin's copy in /etc. */
const DOC_UNIT = `[Unit]
Description=Pulse Temperature Sensor Proxy
After=network.target

[Service]
Type=simple
User=root
ExecStart=/usr/local/bin/pulse-sensor-proxy
Restart=on-failure

[Install]
WantedBy=multi-user.target
`

/** Each way to break the seed tree that a PSP-UNIT check must report, with every failure it causes. */
export const BREAKS: PulseBreak[] = [
  {
    name: 'the proxy unit has no User=: it runs as root',
    with: [{path: UNIT, content: unitWith({User: undefined})}],
    fails: [{check: 'PSP-UNIT-001', path: UNIT, message: /no User=: the service runs as root/}],
  },
  {
    name: 'a drop-in resets User= and weakens the sandbox of the main unit',
    with: [
      {
        path: `${DROP_IN_DIR}/override.conf`,
        content: '[Service]\nUser=\nNoNewPrivileges=false\nProtectSystem=full\nProtectHome=no\nPrivateTmp=\n',
      },
    ],
    fails: [
      {check: 'PSP-UNIT-001', path: `${DROP_IN_DIR}/override.conf`, line: 2, message: /reset to empty/},
      {
        check: 'PSP-UNIT-002',
        path: `${DROP_IN_DIR}/override.conf`,
        line: 3,
        message: /NoNewPrivileges=false/,
      },
      {check: 'PSP-UNIT-002', path: `${DROP_IN_DIR}/override.conf`, line: 4, message: /ProtectSystem=full/},
      {check: 'PSP-UNIT-002', path: `${DROP_IN_DIR}/override.conf`, line: 5, message: /ProtectHome=no/},
      {
        check: 'PSP-UNIT-002',
        path: `${DROP_IN_DIR}/override.conf`,
        line: 6,
        message: /PrivateTmp is not set/,
      },
    ],
  },
  {
    name: 'an empty SystemCallFilter= in a later drop-in resets the allow list',
    with: [
      {
        path: `${DROP_IN_DIR}/zz-debug.conf`,
        content: '[Service]\n# strace needs every call\nSystemCallFilter=\n',
      },
    ],
    fails: [
      {
        check: 'PSP-UNIT-003',
        path: `${DROP_IN_DIR}/zz-debug.conf`,
        line: 3,
        message: /reset by an empty assignment: every system call is allowed/,
      },
    ],
  },
  {
    name: "AF_NETLINK allowed, as Pulse's installer does (the proxy lists its addresses with net.Interfaces)",
    with: [{path: UNIT, content: unitWith({RestrictAddressFamilies: 'AF_UNIX AF_INET AF_INET6 AF_NETLINK'})}],
    fails: [],
  },
  {
    name: 'a deny list only, a capability kept and a packet socket allowed',
    with: [
      {
        path: UNIT,
        content: unitWith({
          SystemCallFilter: '~@mount @reboot',
          CapabilityBoundingSet: 'CAP_NET_RAW',
          RestrictAddressFamilies: 'AF_UNIX AF_INET AF_INET6 AF_PACKET',
        }),
      },
    ],
    fails: [
      {check: 'PSP-UNIT-003', path: UNIT, line: lineOf('SystemCallFilter'), message: /deny list only/},
      {check: 'PSP-UNIT-003', path: UNIT, line: lineOf('CapabilityBoundingSet'), message: /CAP_NET_RAW/},
      {check: 'PSP-UNIT-003', path: UNIT, line: lineOf('RestrictAddressFamilies'), message: /AF_PACKET/},
    ],
  },
  {
    name: 'the further protections are missing or off',
    with: [{path: UNIT, content: WITHOUT_FURTHER}],
    fails: [
      {
        check: 'PSP-UNIT-004',
        path: UNIT,
        message: /^ProtectClock is not set \(default: off\); SystemCallArchitectures is not set/,
      },
      {
        check: 'PSP-UNIT-004',
        path: UNIT,
        line: lineIn(WITHOUT_FURTHER, 'RestrictNamespaces'),
        message: /RestrictNamespaces=~user/,
      },
      {
        check: 'PSP-UNIT-004',
        path: UNIT,
        line: lineIn(WITHOUT_FURTHER, 'LockPersonality'),
        message: /LockPersonality=no/,
      },
    ],
  },
  {
    name: 'lxc-access.conf makes the socket directory 0770',
    with: [{path: LXC_ACCESS, content: '[Service]\nRuntimeDirectoryMode=0770\n'}],
    fails: [
      {
        check: 'PSP-UNIT-005',
        path: LXC_ACCESS,
        line: 2,
        message: /the container cannot traverse to the socket/,
      },
    ],
  },
  {
    name: 'no lxc-access.conf drop-in: the socket directory is recreated 0755',
    without: [LXC_ACCESS],
    fails: [{check: 'PSP-UNIT-005', path: UNIT, message: /recreates \/run\/pulse-sensor-proxy 0755/}],
  },
  {
    name: 'a drop-in sets PrivateUsers=true',
    with: [{path: `${DROP_IN_DIR}/harden-more.conf`, content: '[Service]\nPrivateUsers=true\n'}],
    fails: [
      {check: 'PSP-UNIT-006', path: `${DROP_IN_DIR}/harden-more.conf`, line: 2, message: /SO_PEERCRED/},
    ],
  },
  {
    name: '/etc/default/pulse-sensor-proxy, and a unit that does not load it',
    with: [
      {path: UNIT, content: unitWith({EnvironmentFile: undefined})},
      {
        path: DEFAULTS,
        content: '# subnets for the SSH keys\nPULSE_SENSOR_PROXY_ALLOWED_SUBNETS="10.1.2.0/24"\n',
      },
    ],
    fails: [
      {
        check: 'PSP-UNIT-007',
        path: DEFAULTS,
        line: 2,
        message: /inert, PULSE_SENSOR_PROXY_ALLOWED_SUBNETS never reach the proxy/,
      },
    ],
  },
  {
    name: 'an admin copy in /etc/systemd/system overrides the hardened unit in /lib/systemd/system',
    with: [
      {path: '/lib/systemd/system', type: 'dir'},
      {path: '/lib/systemd/system/pulse-sensor-proxy.service', content: HARDENED_UNIT},
      {path: UNIT, content: DOC_UNIT},
    ],
    fails: [
      {check: 'PSP-UNIT-001', path: UNIT, line: 7, message: /User=root: the service runs as root/},
      {
        check: 'PSP-UNIT-002',
        path: UNIT,
        message:
          /^NoNewPrivileges is not set .*; ProtectSystem is not set.*; ProtectHome is not set.*; PrivateTmp is not set/,
      },
      {
        check: 'PSP-UNIT-003',
        path: UNIT,
        message:
          /^SystemCallFilter is not set.*; CapabilityBoundingSet is not set.*; RestrictAddressFamilies is not set/,
      },
      {
        check: 'PSP-UNIT-004',
        path: UNIT,
        message: /^ProtectKernelTunables is not set.*; SystemCallArchitectures is not set/,
      },
      {check: 'PSP-UNIT-008', path: UNIT, message: /rates pulse-sensor-proxy.service above 4.2/},
    ],
  },
]
