import type {PulseBreak} from './break.js'

const UID_MAP = '/proc/self/uid_map'
const ATTR = '/proc/self/attr/current'
const SOCKET = '/mnt/pulse-proxy/pulse-sensor-proxy.sock'

/**
 * The Pulse container as it sees itself when seed 004's "Runtime Verification" passes: root mapped
 * to host uid 100000, confined by PVE's generated AppArmor profile (an older kernel: only
 * /proc/self/attr/current), and the proxy's socket directory mounted at /mnt/pulse-proxy (0777,
 * nobody:nogroup as the id-mapped host owner shows).
 */
export const ENTRIES = `
  - {path: /proc/self, type: dir, mode: "0555"}
  - {path: ${UID_MAP}, content: "         0     100000      65536\\n"}
  - {path: /proc/self/attr, type: dir, mode: "0555"}
  - {path: ${ATTR}, content: "lxc-105_</var/lib/lxc> (enforce)\\n"}
  - {path: /mnt/pulse-proxy, type: dir, mode: "0777", owner: "65534", group: "65534"}
  - {path: ${SOCKET}, type: socket, mode: "0777", owner: "65534", group: "65534"}
`

/** Each way to break the seed tree that a PSP-CT check must report, with every failure it causes. */
export const BREAKS: PulseBreak[] = [
  {
    name: 'the container sees the identity uid map',
    with: [{path: UID_MAP, content: '         0          0 4294967295\n'}],
    fails: [
      {
        check: 'PSP-CT-001',
        path: UID_MAP,
        line: 1,
        message: /the identity map \(0 0 4294967295\): a privileged container/,
      },
    ],
  },
  {
    name: 'a container uid mapped to host root',
    with: [{path: UID_MAP, content: '0 100000 1000\n1000 0 1\n1001 101001 64535\n'}],
    fails: [{check: 'PSP-CT-001', path: UID_MAP, line: 2, message: /container uid 1000 is host root/}],
  },
  {
    name: 'the container is unconfined',
    with: [{path: ATTR, content: 'unconfined\n'}],
    fails: [
      {check: 'PSP-CT-002', path: ATTR, message: /unconfined: AppArmor does not confine the container/},
    ],
  },
  {
    name: 'unconfined as the AppArmor attribute of a newer kernel says',
    with: [
      {path: '/proc/self/attr/apparmor', type: 'dir', mode: 0o555},
      {path: '/proc/self/attr/apparmor/current', content: 'unconfined\n'},
    ],
    fails: [{check: 'PSP-CT-002', path: '/proc/self/attr/apparmor/current', message: /unconfined/}],
  },
  {
    name: 'the container profile in complain mode',
    with: [{path: ATTR, content: 'lxc-105_</var/lib/lxc> (complain)\n'}],
    fails: [{check: 'PSP-CT-002', path: ATTR, message: /is in complain mode/}],
  },
  {
    name: 'no socket in /mnt/pulse-proxy',
    without: [SOCKET],
    fails: [{check: 'PSP-CT-003', path: SOCKET, message: /no socket in \/mnt\/pulse-proxy/}],
  },
  {
    name: 'a regular file where the socket should be',
    with: [{path: SOCKET, type: 'file', mode: 0o644}],
    fails: [{check: 'PSP-CT-003', path: SOCKET, message: /is a file, expected the proxy's socket/}],
  },
]
