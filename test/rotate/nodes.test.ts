import {describe, expect, it} from 'vitest'

import {InputError} from '../../src/engine/errors.js'
import {Host} from '../../src/host/host.js'
import {MemoryBackend, parseTreeSpec} from '../../src/host/tree.js'
import {allowedSourceSubnets, clusterNodes, parseNodeList, sourceSubnets} from '../../src/rotate/nodes.js'

function hostWith(files: Record<string, string>): Host {
  const entries = Object.entries(files)
    .map(([p, content]) => `  - {path: ${p}, content: ${JSON.stringify(content)}}`)
    .join('\n')
  return new Host(
    new MemoryBackend(parseTreeSpec(`entries:\n${entries || '  []'}`.replace('\n  []', ' []'), 't'), 't'),
  )
}

describe('--nodes', () => {
  it('takes host[:port] lists, IPv6 in brackets, and names a node as the user wrote it', () => {
    expect(parseNodeList(['pve1,10.0.0.2:2222', '[fd00::3]:22,fd00::4'])).toEqual([
      {host: 'pve1', port: 22, label: 'pve1'},
      {host: '10.0.0.2', port: 2222, label: '10.0.0.2:2222'},
      {host: 'fd00::3', port: 22, label: 'fd00::3'},
      {host: 'fd00::4', port: 22, label: 'fd00::4'},
    ])
  })

  it.each([
    [['pve1:0'], '--nodes: "pve1:0": bad port'],
    [['pve1,pve1'], '--nodes: pve1 is given twice'],
    [['a b'], '--nodes: "a b" is not host[:port]'],
    [[','], '--nodes: no node given'],
  ])('refuses %j', (values, message) => {
    expect(() => parseNodeList(values)).toThrow(new InputError(message))
  })
})

describe('the cluster members under the root', () => {
  it("takes corosync.conf's nodelist: ring0_addr, else the name", async () => {
    const host = hostWith({
      '/etc/pve/corosync.conf':
        'nodelist {\n  node {\n    name: pve1\n    ring0_addr: 10.0.0.1\n  }\n  node {\n    name: pve2\n  }\n}\n',
    })
    expect(await clusterNodes(host)).toEqual({
      nodes: [
        {host: '10.0.0.1', port: 22, label: '10.0.0.1'},
        {host: 'pve2', port: 22, label: 'pve2'},
      ],
      source: '/etc/pve/corosync.conf',
    })
  })

  it('else /etc/pve/.members (each ip)', async () => {
    const members = {
      nodename: 'pve1',
      version: 4,
      cluster: {name: 'c', version: 2, nodes: 2, quorate: 1},
      nodelist: {pve1: {id: 1, online: 1, ip: '10.0.0.1'}, pve2: {id: 2, online: 0, ip: '10.0.0.2'}},
    }
    expect(
      (await clusterNodes(hostWith({'/etc/pve/.members': JSON.stringify(members)}))).nodes.map((n) => n.host),
    ).toEqual(['10.0.0.1', '10.0.0.2'])
  })

  it('a broken corosync.conf is bad input with its line; no cluster at all too', async () => {
    await expect(
      clusterNodes(hostWith({'/etc/pve/corosync.conf': 'nodelist {\n  node {\n'})),
    ).rejects.toThrow(new InputError('/etc/pve/corosync.conf:2: section "node" is not closed'))
    await expect(clusterNodes(hostWith({}))).rejects.toThrow(/no --nodes, and no cluster members/)
  })
})

describe("the from= of the proxy's line", () => {
  it('is allowed_source_subnets of the proxy config, --from over it', async () => {
    const host = hostWith({
      '/etc/pulse-sensor-proxy/config.yaml': 'allowed_source_subnets:\n  - 10.0.0.0/24\n  - 10.0.1.7/32\n',
    })
    expect(await sourceSubnets(host, [])).toEqual({subnets: ['10.0.0.0/24', '10.0.1.7/32'], source: 'config'})
    expect(await sourceSubnets(host, ['192.168.0.0/16,10.9.9.9'])).toEqual({
      subnets: ['192.168.0.0/16', '10.9.9.9'],
      source: 'flag',
    })
  })

  it("empty: this machine's own addresses, /32 or /128 each, as the proxy detected them", async () => {
    const found = await sourceSubnets(
      hostWith({'/etc/pulse-sensor-proxy/config.yaml': 'allowed_source_subnets: []\n'}),
      [],
    )
    expect(found.source).toBe('detected')
    for (const subnet of found.subnets) expect(subnet).toMatch(/\/(32|128)$/)
  })

  it('a duplicate key (which crashed the proxy) or a non-list is bad input', () => {
    expect(() => allowedSourceSubnets('allowed_source_subnets: [a]\nallowed_source_subnets: [b]\n')).toThrow(
      /^\/etc\/pulse-sensor-proxy\/config.yaml:2: Map keys must be unique/,
    )
    expect(() => allowedSourceSubnets('allowed_source_subnets: 10.0.0.0/8\n')).toThrow(
      /is not a list of strings/,
    )
  })
})
