import {describe, expect, it} from 'vitest'

import {Host} from '../../src/host/host.js'
import {hostResolver, inetAton, localhostResolver} from '../../src/host/resolve.js'
import {MemoryBackend, parseTreeSpec} from '../../src/host/tree.js'

const image = (entries: string) =>
  new Host(new MemoryBackend(parseTreeSpec(`entries:\n${entries}`, 'image'), 'image'))

describe('inetAton: the numeric names getaddrinfo reads without a resolver', () => {
  it.each([
    ['10.1.2.3', '10.1.2.3'],
    ['10.1', '10.0.0.1'],
    ['10.1.258', '10.1.1.2'],
    ['0x0a.010.0.1', '10.8.0.1'],
    ['167772161', '10.0.0.1'],
  ])('%s is %s', (name, address) => {
    expect(inetAton(name)).toBe(address)
  })

  it.each(['256.1.1.1', '10.1.2.3.4', '1.2.3.04.5', 'a.b', '10..1', ''])('%s is not numeric', (name) => {
    expect(inetAton(name)).toBeUndefined()
  })
})

describe('hostResolver on an offline image', () => {
  const host = image('  - {path: /etc/hosts, content: "127.0.0.1 localhost\\n10.9.8.7 monitor.lan\\n"}\n')
  const resolve = hostResolver(host, false)

  it('names in its /etc/hosts and numeric names resolve', async () => {
    expect(await resolve('MONITOR.lan')).toEqual(['10.9.8.7'])
    expect(await resolve('10.1')).toEqual(['10.0.0.1'])
  })

  it('.invalid names and what is no host name (CIDR) never resolve', async () => {
    expect(await resolve('gone.invalid')).toBeUndefined()
    expect(await resolve('10.0.0.0/8')).toBeUndefined()
  })

  it('any other name is for the live resolver to say: unknown', async () => {
    expect(await resolve('monitor.example.com')).toBe('unknown')
  })
})

describe('localhostResolver: what pmcd takes "localhost" to mean', () => {
  it('the image host name, through its /etc/hosts', async () => {
    const host = image(
      '  - {path: /etc/hostname, content: "node1\\n"}\n  - {path: /etc/hosts, content: "127.0.0.1 localhost\\n10.1.2.5 node1\\n"}\n',
    )
    expect(await localhostResolver(host, false)()).toEqual(['10.1.2.5'])
  })

  it('loopback when the image has no /etc/hosts at all', async () => {
    expect(await localhostResolver(image('  - {path: /etc/motd, content: ""}\n'), false)()).toEqual([
      '127.0.0.1',
      '::1',
    ])
  })
})
