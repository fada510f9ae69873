import fc from 'fast-check'
import {describe, expect, it} from 'vitest'

import {parseProxyConfig} from '../../src/parsers/proxy-config.js'
import {fuzzTexts} from './mutate.js'

/** config.yaml as seed 004 hardens it, with the other keys of the real Config struct. */
const HARDENED = `# /etc/pulse-sensor-proxy/config.yaml
allowed_source_subnets:
  - "192.168.0.0/24" # LAN subnet
  - "10.0.0.0/8" # VPN subnet
metrics_address: "127.0.0.1:9127"
`

const FULL = `allowed_source_subnets: [192.168.0.0/24, "fd00::/48"]
metrics_address: disabled
log_level: info
allowed_peer_uids: [1000, 0x10, 0o17, 017]
allowed_peer_gids:
  - 2000
allowed_peers:
  - uid: 1000
    capabilities: [read, admin]
allow_idmapped_root: no
allowed_idmap_users: [root]
http_enabled: true
http_listen_addr: ":8443"
http_auth_token: s3cret
require_proxmox_hostkeys: On
pulse_control_plane:
  url: https://pulse.example.com:7655
  token_file: /etc/pulse-sensor-proxy/.pulse-control-token
  refresh_interval: 60
  insecure_skip_verify: false
rate_limit: {per_peer_interval_ms: 1000, per_peer_burst: 5}
`

describe('parseProxyConfig', () => {
  it("reads seed 004's config with a line for every value", () => {
    const conf = parseProxyConfig(HARDENED)
    expect(conf.syntaxErrors).toEqual([])
    expect(conf.problems).toEqual([])
    expect(conf.allowedSourceSubnets).toEqual({
      line: 3,
      value: [
        {value: '192.168.0.0/24', line: 3},
        {value: '10.0.0.0/8', line: 4},
      ],
    })
    expect(conf.metricsAddress).toEqual({value: '127.0.0.1:9127', line: 5})
    expect(conf.keys.map((k) => [k.value, k.line])).toEqual([
      ['allowed_source_subnets', 2],
      ['metrics_address', 5],
    ])
    expect(conf.allowIdmappedRoot).toBeUndefined()
  })

  it('reads every security key of the Config struct, numbers and booleans as yaml.v3 decodes them', () => {
    const conf = parseProxyConfig(FULL)
    expect(conf.problems).toEqual([])
    expect(conf.allowedSourceSubnets?.value.map((s) => s.value)).toEqual(['192.168.0.0/24', 'fd00::/48'])
    expect(conf.metricsAddress?.value).toBe('disabled')
    expect(conf.allowedPeerUids?.value).toEqual([
      {value: 1000, line: 4},
      {value: 16, line: 4},
      {value: 15, line: 4},
      {value: 15, line: 4},
    ])
    expect(conf.allowedPeerGids?.value).toEqual([{value: 2000, line: 6}])
    expect(conf.allowedPeers?.value).toEqual([
      {
        line: 8,
        uid: {value: 1000, line: 8},
        capabilities: [
          {value: 'read', line: 9},
          {value: 'admin', line: 9},
        ],
      },
    ])
    expect(conf.allowIdmappedRoot).toEqual({value: false, line: 10})
    expect(conf.allowedIdmapUsers?.value).toEqual([{value: 'root', line: 11}])
    expect(conf.httpEnabled).toEqual({value: true, line: 12})
    expect(conf.httpListenAddr?.value).toBe(':8443')
    expect(conf.httpAuthToken).toEqual({value: 's3cret', line: 14})
    expect(conf.requireProxmoxHostkeys).toEqual({value: true, line: 15})
    expect(conf.pulseControlPlane).toEqual({
      line: 17,
      url: {value: 'https://pulse.example.com:7655', line: 17},
      tokenFile: {value: '/etc/pulse-sensor-proxy/.pulse-control-token', line: 18},
      insecureSkipVerify: {value: false, line: 20},
    })
  })

  it('reports a duplicate key at any depth with its line and the first one, as yaml.v3 refuses it', () => {
    const conf = parseProxyConfig(
      `${HARDENED}pulse_control_plane:\n  url: https://a\n  url: http://b\nmetrics_address: ":9127"\n`,
    )
    expect(conf.problems).toEqual([
      {
        kind: 'duplicate',
        line: 8,
        message: 'mapping key "url" already defined at line 7: the proxy refuses the file',
      },
      {
        kind: 'duplicate',
        line: 9,
        message: 'mapping key "metrics_address" already defined at line 5: the proxy refuses the file',
      },
    ])
    expect(conf.metricsAddress?.value).toBe('127.0.0.1:9127')
    expect(conf.pulseControlPlane?.url?.value).toBe('https://a')
  })

  it('reports values the typed struct cannot hold', () => {
    const conf = parseProxyConfig(
      'allowed_peer_uids: ["1000", -1, 4294967296, abc]\nallow_idmapped_root: "true"\nmetrics_address: [a]\n' +
        'allowed_source_subnets: 10.0.0.0/8\npulse_control_plane: https://x\n',
    )
    expect(conf.problems.map((p) => [p.kind, p.line, p.message])).toEqual([
      [
        'type',
        1,
        'allowed_peer_uids: cannot decode the quoted string "1000" into a uint32: the proxy refuses the file',
      ],
      ['type', 1, 'allowed_peer_uids: cannot decode "-1" into a uint32: the proxy refuses the file'],
      ['type', 1, 'allowed_peer_uids: cannot decode "4294967296" into a uint32: the proxy refuses the file'],
      ['type', 1, 'allowed_peer_uids: cannot decode "abc" into a uint32: the proxy refuses the file'],
      [
        'type',
        2,
        'allow_idmapped_root: cannot decode the quoted string "true" into a boolean: the proxy refuses the file',
      ],
      ['type', 3, 'metrics_address: cannot decode !!seq into a string: the proxy refuses the file'],
      [
        'type',
        4,
        'allowed_source_subnets: cannot decode "10.0.0.0/8" into a list: the proxy refuses the file',
      ],
      [
        'type',
        5,
        'pulse_control_plane: cannot decode "https://x" into a mapping: the proxy refuses the file',
      ],
    ])
  })

  it('keeps the defaults for null values and an empty file', () => {
    expect(parseProxyConfig('metrics_address:\nallowed_peer_uids: ~\n')).toMatchObject({
      problems: [],
      syntaxErrors: [],
      metricsAddress: undefined,
      allowedPeerUids: undefined,
    })
    expect(parseProxyConfig('')).toMatchObject({problems: [], syntaxErrors: [], keys: []})
    expect(parseProxyConfig('# only a comment\n').keys).toEqual([])
  })

  it('refuses YAML that is not a mapping, or not YAML, with the line', () => {
    expect(parseProxyConfig('- a\n').syntaxErrors).toEqual([
      {
        kind: 'syntax',
        line: 1,
        message: 'the file is a list, not a mapping of settings: the proxy refuses it',
      },
    ])
    const broken = parseProxyConfig(
      'metrics_address: "127.0.0.1:9127"\nallowed_source_subnets: [\n  a\nb: c\n',
    )
    expect(broken.syntaxErrors[0]?.line).toBeGreaterThanOrEqual(2)
    expect(broken.syntaxErrors[0]?.message).toMatch(/^YAML syntax: /)
  })

  it('resolves aliases as yaml.v3 does', () => {
    const conf = parseProxyConfig('x: &nets ["10.1.0.0/16"]\nallowed_source_subnets: *nets\n')
    expect(conf.allowedSourceSubnets?.value.map((s) => s.value)).toEqual(['10.1.0.0/16'])
  })

  it('never throws, and every line it gives is in the file', () => {
    const lineCount = (text: string) => text.split('\n').length
    fc.assert(
      fc.property(
        fuzzTexts([HARDENED, FULL], 'allowed_peer_uids:-[]{}, "\'#\n&*!0x1truemetrics_address'),
        (text) => {
          const conf = parseProxyConfig(text)
          const lines = [
            ...conf.syntaxErrors.map((p) => p.line),
            ...conf.problems.map((p) => p.line),
            ...conf.keys.map((k) => k.line),
            ...(conf.allowedSourceSubnets?.value ?? []).map((s) => s.line),
            ...(conf.allowedPeerUids?.value ?? []).map((s) => s.line),
            conf.metricsAddress?.line ?? 1,
          ]
          for (const line of lines) {
            expect(line).toBeGreaterThanOrEqual(1)
            expect(line).toBeLessThanOrEqual(lineCount(text))
          }
          if (conf.syntaxErrors.length > 0) expect(conf.keys).toEqual([])
        },
      ),
      {numRuns: 300},
    )
  })
})

describe('hostile config.yaml: bounded, and said so', () => {
  it('an alias bomb (nine levels of ten aliases each) is refused at once, not expanded', () => {
    const levels = ['a: &a ["x","x","x","x","x","x","x","x","x","x"]']
    for (let i = 1; i < 9; i++) {
      const prev = String.fromCharCode(96 + i)
      const name = String.fromCharCode(97 + i)
      levels.push(`${name}: &${name} [${Array(10).fill(`*${prev}`).join(',')}]`)
    }
    const text = `${levels.join('\n')}\nallowed_source_subnets: *i\n`
    const started = Date.now()
    const conf = parseProxyConfig(text)
    expect(Date.now() - started).toBeLessThan(5000)
    expect(conf.syntaxErrors.map((e) => e.message)).toEqual([
      'YAML syntax: the document contains excessive aliasing: the proxy refuses it',
    ])
  })

  it('a few aliases still read as the values they stand for', () => {
    const conf = parseProxyConfig('x: &s ["10.0.0.0/8"]\nallowed_source_subnets: *s\n')
    expect(conf.syntaxErrors).toEqual([])
    expect(conf.allowedSourceSubnets?.value.map((s) => s.value)).toEqual(['10.0.0.0/8'])
  })

  it('a file larger than the YAML limit is one error that gives its size', () => {
    const conf = parseProxyConfig(`metrics_address: disabled\n# ${'x'.repeat(80 * 1024)}\n`)
    expect(conf.syntaxErrors).toEqual([
      {
        kind: 'syntax',
        line: 1,
        message: 'the file is 80 KiB, larger than the 64 KiB pcp-harden reads of YAML',
      },
    ])
  })
})
