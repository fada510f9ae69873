import {describe, expect, it} from 'vitest'

import {CorosyncParseError, parseCorosyncConf} from '../../src/parsers/corosync-conf.js'

/** A three-node cluster's corosync.conf as `pvecm create` and `pvecm add` write it (PVE 8). */
const PVE_CLUSTER = `logging {
  debug: off
  to_syslog: yes
}

nodelist {
  node {
    name: pve1
    nodeid: 1
    quorum_votes: 1
    ring0_addr: 192.168.10.11
  }
  node {
    name: pve2
    nodeid: 2
    quorum_votes: 1
    ring0_addr: 192.168.10.12
    ring1_addr: 10.10.10.12
  }
  node {
    # added by hand, no address: corosync resolves the name
    name: pve3
    nodeid: 3
    quorum_votes: 1
  }
}

quorum {
  provider: corosync_votequorum
}

totem {
  cluster_name: homelab
  config_version: 3
  interface {
    linknumber: 0
  }
  ip_version: ipv4-6
  link_mode: passive
  secauth: on
  version: 2
}
`

describe('parseCorosyncConf', () => {
  it('reads the nodes of the nodelist with their lines, and nothing of other sections', () => {
    const {nodes} = parseCorosyncConf(PVE_CLUSTER)
    expect(nodes.map((n) => ({line: n.line, name: n.name, ring0Addr: n.ring0Addr}))).toEqual([
      {line: 7, name: 'pve1', ring0Addr: '192.168.10.11'},
      {line: 13, name: 'pve2', ring0Addr: '192.168.10.12'},
      {line: 20, name: 'pve3', ring0Addr: undefined},
    ])
    expect(nodes[1]?.keys.get('ring1_addr')).toEqual({value: '10.10.10.12', line: 18})
  })

  it('keeps the last value of a repeated key, trims values and takes the first colon (IPv6)', () => {
    const {nodes} = parseCorosyncConf(
      'nodelist {\n node {\n  ring0_addr: fd00::1\n  ring0_addr:   fd00::2  \n }\n}\n',
    )
    expect(nodes[0]?.ring0Addr).toBe('fd00::2')
  })

  it.each([
    ['nodelist {\n  node {\n    name: pve1\n', 2, 'section "node" is not closed'],
    ['}\n', 1, 'a "}" that closes no section'],
    ['totem {\n  secauth on\n}\n', 2, 'not a section, a key or a "}": secauth on'],
    ['name: pve1\n', 1, '"name" outside any section'],
  ])('refuses what corosync refuses, with the line: %j', (text, line, message) => {
    expect(() => parseCorosyncConf(text)).toThrow(new CorosyncParseError(line, message))
    try {
      parseCorosyncConf(text)
    } catch (error) {
      expect((error as CorosyncParseError).line).toBe(line)
    }
  })
})
