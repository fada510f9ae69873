import type {TreeEntry} from '../../src/host/tree.js'
import {seedAccess} from '../checks/seed-tree.js'

type Change = Partial<TreeEntry> & {path: string}

const STATUS = '/var/lib/dpkg/status'
const debian12 = {
  path: STATUS,
  content: 'Package: pcp\nStatus: install ok installed\nArchitecture: amd64\nVersion: 6.0.3-1.1\n',
}
const pmproxyOnNetwork: Change[] = [
  {path: '/etc/default/pmproxy', content: '# PMPROXY_LOCAL=1\n'},
  {path: '/lib/systemd/system/pmproxy.service', content: '[Service]\nExecStart=/etc/pcp/pmproxy/rc start\n'},
  {
    path: '/etc/systemd/system/multi-user.target.wants/pmproxy.service',
    type: 'symlink',
    target: '/lib/systemd/system/pmproxy.service',
  },
]

/** Debian's shipped relay settings: [pmproxy] redis.enabled = true turns pmproxy's RESP relay on. */
export const RELAY_ON: Change = {
  path: '/etc/pcp/pmproxy/pmproxy.conf',
  content:
    '[pmproxy]\nsecure.enabled = true\nredis.enabled = true\n\n[redis]\nenabled = true\nservers = localhost:6379\n',
}

/** Ways to break the seed tree's installed pcp: a name, the changes, the PCP-VULN checks that fail. */
export const VULN_BREAKS: [string, Change[], string[]][] = [
  ["Debian 12's pcp 6.0.3-1.1, pmproxy kept on loopback", [debian12], ['PCP-VULN-002']],
  [
    "Debian 12's pcp 6.0.3-1.1, pmproxy on the network relaying to an installed redis-server",
    [
      debian12,
      ...pmproxyOnNetwork,
      {path: '/usr/bin/redis-server', mode: 0o755, content: 'elf\n'},
      RELAY_ON,
      {path: '/etc/pcp/pmcd/pmcd.conf', content: seedAccess('allow "local:*" : fetch;')},
    ],
    ['PCP-VULN-001', 'PCP-VULN-002'],
  ],
]
