import type {PulseBreak} from './break.js'

const LXC = '/etc/pve/lxc'
const NODE1 = '/etc/pve/nodes/pve1/lxc'
const NODE2 = '/etc/pve/nodes/pve2/lxc'

/**
 * Seed 004's Pulse container on this node (pve1) as its "Sample LXC Configuration" writes it (mp0),
 * reached both as /etc/pve/lxc/105.conf and through nodes/pve1/lxc, as pmxcfs shows it; and a
 * second Pulse container on pve2 with the other real form of the mount (lxc.mount.entry), which
 * has a snapshot (possible because lxc.mount.entry does not block snapshots).
 */
const PULSE_105 = `#Pulse%3A temperature monitoring through the host proxy
#lxc.mount.entry%3A /run/pulse-sensor-proxy/pulse-sensor-proxy.sock mnt/pulse-proxy.sock none bind 0 0
arch: amd64
cores: 2
hostname: pulse
memory: 2048
mp0: /run/pulse-sensor-proxy,mp=/mnt/pulse-proxy
net0: name=eth0,bridge=vmbr0,firewall=1,ip=dhcp,type=veth
ostype: debian
rootfs: local-lvm:vm-105-disk-0,size=8G
unprivileged: 1
lxc.apparmor.profile: generated
lxc.cap.drop: sys_admin
`

const PULSE_205 = `arch: amd64
hostname: pulse-dr
memory: 1024
net0: name=eth0,bridge=vmbr0,ip=dhcp,type=veth
ostype: debian
parent: before-upgrade
rootfs: local-lvm:vm-205-disk-0,size=8G
unprivileged: 1
lxc.idmap: u 0 100000 65536
lxc.idmap: g 0 100000 65536
lxc.mount.entry: /run/pulse-sensor-proxy mnt/pulse-proxy none bind,create=dir 0 0

[before-upgrade]
arch: amd64
hostname: pulse-dr
memory: 1024
net0: name=eth0,bridge=vmbr0,ip=dhcp,type=veth
ostype: debian
rootfs: local-lvm:vm-205-disk-0,size=8G
snaptime: 1760000000
unprivileged: 1
lxc.mount.entry: /run/pulse-sensor-proxy mnt/pulse-proxy none bind,create=dir 0 0
`

const indent = (text: string) =>
  text
    .split('\n')
    .map((l) => (l === '' ? '' : `      ${l}`))
    .join('\n')

/** Seed tree entries (YAML list items) that a host hardened as seed 004 describes has for the PSP-LXC checks. */
export const ENTRIES = `
  - {path: /etc/pve, type: dir}
  - {path: ${NODE1}, type: dir}
  - {path: ${NODE2}, type: dir}
  - {path: ${LXC}, target: nodes/pve1/lxc}
  - path: ${NODE1}/105.conf
    content: |
${indent(PULSE_105)}
  - path: ${NODE2}/205.conf
    content: |
${indent(PULSE_205)}
`

/** 105.conf with one line replaced (or, with no old line, lines appended). */
const pulse105 = (old: string | undefined, replacement: string) => ({
  path: `${NODE1}/105.conf`,
  content: old === undefined ? `${PULSE_105}${replacement}` : PULSE_105.replace(old, replacement),
})
const pulse205 = (old: string, replacement: string) => ({
  path: `${NODE2}/205.conf`,
  content: PULSE_205.replace(old, replacement),
})
const MP0 = 'mp0: /run/pulse-sensor-proxy,mp=/mnt/pulse-proxy\n'
const ENTRY = 'lxc.mount.entry: /run/pulse-sensor-proxy mnt/pulse-proxy none bind,create=dir 0 0\n'
const C105 = `${LXC}/105.conf`
const C205 = `${NODE2}/205.conf`

/** Each way to break the seed tree that a PSP-LXC check must report, with every failure it causes. */
export const BREAKS: PulseBreak[] = [
  {
    name: 'Pulse container privileged (no unprivileged line)',
    with: [pulse105('unprivileged: 1\n', '')],
    fails: [
      {
        check: 'PSP-LXC-001',
        path: C105,
        message: /container 105 \(pulse\): privileged container \(no "unprivileged: 1"/,
      },
    ],
  },
  {
    name: 'Pulse container privileged (unprivileged: 0)',
    with: [pulse105('unprivileged: 1\n', 'unprivileged: 0\n')],
    fails: [
      {check: 'PSP-LXC-001', path: C105, line: 11, message: /privileged container \(unprivileged: 0\)/},
    ],
  },
  {
    name: 'AppArmor unconfined',
    with: [pulse105('lxc.apparmor.profile: generated\n', 'lxc.apparmor.profile: unconfined\n')],
    fails: [
      {
        check: 'PSP-LXC-002',
        path: C105,
        line: 12,
        message: /lxc.apparmor.profile: unconfined turns AppArmor off/,
      },
    ],
  },
  {
    name: 'AppArmor unconfined with the deprecated key, on another node',
    with: [pulse205('unprivileged: 1\n', 'unprivileged: 1\nlxc.aa_profile = unconfined\n')],
    fails: [
      {
        check: 'PSP-LXC-002',
        path: C205,
        line: 9,
        message: /container 205 \(pulse-dr\): lxc.aa_profile: unconfined/,
      },
    ],
  },
  {
    name: 'empty lxc.cap.drop',
    with: [pulse105('lxc.cap.drop: sys_admin\n', 'lxc.cap.drop:\nlxc.cap.drop: sys_admin\n')],
    fails: [
      {
        check: 'PSP-LXC-003',
        path: C105,
        line: 13,
        message: /keeps mac_admin, mac_override, sys_module, sys_rawio, sys_time \(it drops only sys_admin\)/,
      },
    ],
  },
  {
    name: 'every device allowed (cgroup v2 and the deprecated v1 key)',
    with: [pulse105(undefined, 'lxc.cgroup2.devices.allow: a\nlxc.cgroup.devices.allow: c *:* rwm\n')],
    fails: [
      {
        check: 'PSP-LXC-004',
        path: C105,
        line: 14,
        message: /lets the container open every device of the host/,
      },
      {
        check: 'PSP-LXC-004',
        path: C105,
        line: 15,
        message: /every character device of the host .*a cgroup v1 key/,
      },
    ],
  },
  {
    name: 'proc and sys mounted writable',
    with: [pulse105(undefined, 'lxc.mount.auto: proc:rw sys:rw\n')],
    fails: [{check: 'PSP-LXC-005', path: C105, line: 14, message: /lxc.mount.auto proc:rw sys:rw mounts/}],
  },
  {
    name: "an id map that passes the host's root through",
    with: [pulse205('lxc.idmap: u 0 100000 65536\n', 'lxc.idmap: u 0 0 1\nlxc.idmap: u 1 100001 65535\n')],
    fails: [
      {check: 'PSP-LXC-006', path: C205, line: 9, message: /maps container uid 0 to the host's root user/},
    ],
  },
  {
    name: 'the socket file mounted instead of its directory',
    with: [
      pulse205(
        ENTRY,
        'lxc.mount.entry: /var/run/pulse-sensor-proxy/pulse-sensor-proxy.sock mnt/pulse-proxy/pulse-sensor-proxy.sock none bind,create=file 0 0\n',
      ),
    ],
    fails: [
      {
        check: 'PSP-LXC-007',
        path: C205,
        line: 11,
        message: /mounts \/var\/run\/pulse-sensor-proxy\/pulse-sensor-proxy.sock, not the directory/,
      },
    ],
  },
  {
    name: 'a pending socket-file mount',
    with: [
      pulse105(
        undefined,
        '\n[pve:pending]\nmp1: /run/pulse-sensor-proxy/pulse-sensor-proxy.sock,mp=/mnt/sock\n',
      ),
    ],
    fails: [
      {
        check: 'PSP-LXC-007',
        path: C105,
        line: 16,
        message: /container 105 \(pulse\) \[pve:pending\] \(applied at the next start\): mp1 mounts/,
      },
    ],
  },
  {
    name: 'the socket directory mounted twice',
    with: [pulse105(undefined, ENTRY)],
    fails: [
      {
        check: 'PSP-LXC-008',
        path: C105,
        line: 14,
        message: /again, on \/mnt\/pulse-proxy \(first by mp0 at line 7\): two writers/,
      },
    ],
  },
  {
    name: 'mp0 in a container with snapshots',
    // Taken before mp0 was added (PVE would refuse it now).
    with: [
      {
        path: `${NODE1}/105.conf`,
        content:
          PULSE_105.replace('arch: amd64\n', 'arch: amd64\nparent: clean\n') +
          '\n[clean]\narch: amd64\nhostname: pulse\nrootfs: local-lvm:vm-105-disk-0,size=8G\nsnaptime: 1750000000\nunprivileged: 1\n',
      },
    ],
    fails: [
      {
        check: 'PSP-LXC-009',
        path: C105,
        line: 8,
        message: /it has snapshots \(clean\): PVE refuses new snapshots/,
      },
    ],
  },
  {
    name: 'mp0 in an HA container',
    with: [{path: '/etc/pve/ha/resources.cfg', content: 'ct: 105\n\tstate started\n'}],
    fails: [
      {
        check: 'PSP-LXC-009',
        path: C105,
        line: 7,
        message: /HA \(\/etc\/pve\/ha\/resources.cfg\) migrates it/,
      },
    ],
  },
  {
    name: 'no container mounts the proxy socket directory',
    with: [pulse105(MP0, ''), pulse205(ENTRY, '')],
    fails: [
      {
        check: 'PSP-LXC-010',
        path: LXC,
        message: /none of the 2 container configs mounts \/run\/pulse-sensor-proxy/,
      },
    ],
  },
  {
    name: 'lxc.cap.drop without its colon',
    with: [pulse105('lxc.cap.drop: sys_admin\n', 'lxc.cap.drop sys_admin\n')],
    fails: [
      {
        check: 'PSP-LXC-012',
        path: C105,
        line: 13,
        message:
          /container 105 \(pulse\): PVE does not apply this line: unable to parse config: lxc.cap.drop sys_admin/,
      },
    ],
  },
  {
    name: 'a snapshot that was unconfined',
    with: [pulse205('snaptime: 1760000000\n', 'snaptime: 1760000000\nlxc.apparmor.profile: unconfined\n')],
    fails: [
      {
        check: 'PSP-LXC-011',
        path: C205,
        line: 21,
        message: /\[snapshot before-upgrade\]: a rollback to this snapshot brings back .*\(PSP-LXC-002\)/,
      },
    ],
  },
]
