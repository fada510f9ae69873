import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {collectorRoot, snapshot} from '../cert/tree.js'
import {cli} from '../cli/run-cli.js'
import {removeTree} from '../helpers/tree.js'
import {controlCharacterIn, weakCiphers} from '../../src/render/values.js'

describe('controlCharacterIn', () => {
  it('finds C0, DEL and C1 controls (with their position), and nothing in printable text', () => {
    expect(controlCharacterIn('HIGH:!aNULL')).toBeUndefined()
    expect(controlCharacterIn('sensors -j ünïcode')).toBeUndefined()
    expect(controlCharacterIn('HIGH\ntls-cert-file = /tmp/x')).toEqual({codePoint: 'U+000A', position: 5})
    expect(controlCharacterIn('a\tb')).toEqual({codePoint: 'U+0009', position: 2})
    expect(controlCharacterIn('ab\u001b[2J')).toEqual({codePoint: 'U+001B', position: 3})
    expect(controlCharacterIn('é\u007f')).toEqual({codePoint: 'U+007F', position: 2})
    expect(controlCharacterIn('x\u009b2J')).toEqual({codePoint: 'U+009B', position: 2})
  })
})

describe('weakCiphers', () => {
  it('names the entries that enable NULL, aNULL, eNULL or export ciphers, unless removed for good', () => {
    expect(weakCiphers('NULL:eNULL')).toEqual(['NULL', 'eNULL'])
    expect(weakCiphers('HIGH:aNULL')).toEqual(['aNULL'])
    expect(weakCiphers('ALL:COMPLEMENTOFALL')).toEqual(['COMPLEMENTOFALL'])
    expect(weakCiphers('EXPORT,EXP-RC4-MD5 NULL-SHA256')).toEqual(['EXPORT', 'EXP-RC4-MD5', 'NULL-SHA256'])
    expect(weakCiphers('kRSA+aNULL:HIGH')).toEqual(['kRSA+aNULL'])
    expect(weakCiphers('HIGH:!aNULL:!eNULL:!EXPORT')).toEqual([])
    expect(weakCiphers('aNULL:!aNULL')).toEqual([])
    expect(weakCiphers('ECDHE+AESGCM:-aNULL')).toEqual([])
    expect(weakCiphers('ECDHE-ECDSA-AES256-GCM-SHA384')).toEqual([])
  })
})

describe('writers refuse control characters and warn on weak values', {timeout: 60_000}, () => {
  let root: string
  beforeAll(async () => {
    root = await collectorRoot('  - {path: /etc/pcp/pmcd, type: dir}\n')
    expect((await cli(['cert', 'init', '--root', root])).code).toBe(0)
  })
  afterAll(() => removeTree(root))

  const refusals: [string[], string][] = [
    [
      ['tls', 'write', '--ciphers', 'HIGH\ntls-cert-file=/tmp/evil'],
      '--ciphers: refusing a value with a control character (U+000A at character 5)',
    ],
    [
      ['tls', 'write', '--ciphersuites', 'TLS_AES_256_GCM_SHA384\u001b[2J'],
      '--ciphersuites: refusing a value with a control character (U+001B at character 23)',
    ],
    [
      ['unit', 'write', '--binary', '/usr/bin/proxy\r'],
      '--binary: refusing a value with a control character (U+000D at character 15)',
    ],
    [
      ['access', 'write', '--allow-fetch', '10.1.2.3\u009b'],
      '--allow-fetch: refusing a value with a control character (U+009B at character 9)',
    ],
    [
      ['cert', 'issue', '--user', 'alice', '--cn', 'alice\u0007'],
      '--cn: refusing a value with a control character (U+0007 at character 6)',
    ],
    [
      ['rotate-keys', '--nodes', '127.0.0.1:9', '--forced-command', 'sensors -j\n'],
      '--forced-command: refusing a value with a control character (U+000A at character 11)',
    ],
    [
      ['unit', 'write', 'pulse-sensor-proxy.service\t'],
      'argument 1: refusing a value with a control character (U+0009 at character 27)',
    ],
  ]

  it.each(refusals)(
    '%j is refused in one line, naming the flag, without echoing the value',
    async (args, message) => {
      const before = await snapshot(root)
      const run = await cli([...args, '--root', root])
      expect(run.stderr).toBe(`pcp-harden: error: ${message}\n`)
      expect(run.code).toBe(3)
      expect(await snapshot(root)).toEqual(before)
    },
  )

  it('tls write --ciphers NULL:eNULL warns, naming what it enables', async () => {
    const run = await cli(['tls', 'write', '--root', root, '--ciphers', 'NULL:eNULL', '--dry-run'])
    expect(run.code, run.stderr).toBe(0)
    expect(run.stdout).toMatch(
      /^warning: --ciphers NULL:eNULL enables NULL, eNULL: ciphers without encryption/m,
    )
    const safe = await cli(['tls', 'write', '--root', root, '--ciphers', 'HIGH:!aNULL:!eNULL', '--dry-run'])
    expect(safe.stdout).not.toMatch(/warning: --ciphers/)
  })

  it('unit write --user root warns that the proxy would run as root', async () => {
    const run = await cli(['unit', 'write', '--root', root, '--user', 'root', '--dry-run'])
    expect(run.code, run.stderr).toBe(0)
    expect(run.stdout).toMatch(/^warning: --user root: the proxy would run as root/m)
    const own = await cli(['unit', 'write', '--root', root, '--dry-run'])
    expect(own.stdout).not.toMatch(/warning: --user/)
  })
})
