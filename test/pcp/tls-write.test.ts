import {describe, expect, it} from 'vitest'

import {Host} from '../../src/host/host.js'
import {MemoryBackend, parseTreeSpec} from '../../src/host/tree.js'
import {parsePmcdOptions} from '../../src/parsers/pmcd-options.js'
import {parsePmproxyConf} from '../../src/parsers/pmproxy-conf.js'
import {parseTlsConf} from '../../src/parsers/tls-conf.js'
import {
  addPmcdOptionQ,
  planTlsWrite,
  renderTlsConf,
  securePmproxyConf,
  type TlsWriteOptions,
} from '../../src/pcp/tls-write.js'
import {ACCOUNTS} from '../helpers/tree.js'

const COLLECTOR: TlsWriteOptions = {
  role: 'collector',
  dir: '/etc/pcp/tls',
  conf: '/etc/pcp/tls.conf',
  requireClientCerts: false,
  pmproxy: false,
  profileScript: '/etc/profile.d/pcp-tls.sh',
  allowMissing: false,
}

describe('renderTlsConf', () => {
  it("names the collector's five files in --dir, every line one PCP reads", () => {
    const text = renderTlsConf({...COLLECTOR, dir: '/srv/tls/'})
    const conf = parseTlsConf(text)
    expect(conf.ignored).toEqual([])
    expect(conf.values).toEqual({
      'tls-ca-cert-file': '/srv/tls/ca.crt',
      'tls-cert-file': '/srv/tls/server.crt',
      'tls-key-file': '/srv/tls/server.key',
      'tls-client-cert-file': '/srv/tls/client.crt',
      'tls-client-key-file': '/srv/tls/client.key',
    })
  })

  it('adds tls-verify-clients when client certificates are required, and the cipher settings given', () => {
    const conf = parseTlsConf(
      renderTlsConf({
        ...COLLECTOR,
        requireClientCerts: true,
        ciphers: 'HIGH:!aNULL:!MD5',
        ciphersuites: 'TLS_AES_256_GCM_SHA384',
      }),
    )
    expect(conf.values).toMatchObject({
      'tls-verify-clients': 'true',
      'tls-ciphers': 'HIGH:!aNULL:!MD5',
      'tls-ciphersuites': 'TLS_AES_256_GCM_SHA384',
    })
  })

  it('gives a monitor the CA, its client certificate and key, and verification of the collector', () => {
    const conf = parseTlsConf(renderTlsConf({...COLLECTOR, role: 'monitor', dir: '/home/alice/.pcp/tls'}))
    expect(conf.values).toEqual({
      'tls-ca-cert-file': '/home/alice/.pcp/tls/ca.crt',
      'tls-client-cert-file': '/home/alice/.pcp/tls/client.crt',
      'tls-client-key-file': '/home/alice/.pcp/tls/client.key',
      'tls-verify-clients': 'true',
    })
  })

  it.each([
    ['a blank', {ciphers: 'HIGH !aNULL'}],
    ['a "#"', {ciphersuites: 'TLS_AES_256_GCM_SHA384#x'}],
    ['a blank in --dir', {dir: '/etc/pcp/my tls'}],
  ])('refuses a value with %s, which PCP would cut', (_what, extra) => {
    expect(() => renderTlsConf({...COLLECTOR, ...extra})).toThrow(
      /PCP keeps a tls.conf value only up to its first blank/,
    )
  })
})

describe('addPmcdOptionQ', () => {
  it('adds -Q on a line of its own after the existing options, comments on lines of their own', () => {
    const {text, added} = addPmcdOptionQ('# options\n-A\n-i 10.1.2.5')
    expect(added).toBe(true)
    expect(text.startsWith('# options\n-A\n-i 10.1.2.5\n#')).toBe(true)
    const parsed = parsePmcdOptions(text)
    expect(parsed.verdict).toBe('accepted')
    expect(parsed.problems).toEqual([])
    expect(parsed.options.map((o) => o.letter)).toEqual(['A', 'i', 'Q'])
  })

  it('leaves a file that has -Q (as pmcd reads it) alone', () => {
    expect(addPmcdOptionQ('-A -Q\n')).toEqual({text: '-A -Q\n', added: false})
  })

  it('does not count a -Q that rc_pmcd drops (indented or commented)', () => {
    const {text, added} = addPmcdOptionQ('  -Q\n# -Q\n')
    expect(added).toBe(true)
    expect(parsePmcdOptions(text).options.map((o) => o.letter)).toEqual(['Q'])
  })

  it('makes the file when there is none', () => {
    const {text} = addPmcdOptionQ(undefined)
    expect(parsePmcdOptions(text).options.map((o) => o.letter)).toEqual(['Q'])
  })
})

describe('securePmproxyConf', () => {
  const secure = (text: string | undefined) => {
    const result = securePmproxyConf(text)
    const conf = parsePmproxyConf(result.text)
    const pmproxy = conf.settings.filter((s) => s.section === 'pmproxy')
    return {...result, conf, pmproxy}
  }

  it('turns secure.enabled on in place and drops the legacy keys with their continuation lines', () => {
    const source =
      '# pmproxy\n[pmproxy]\npcp.enabled = true\ncertificates = /etc/a.crt\n    /etc/b.crt\nsecure.enabled = false\n' +
      'private_key = /k\n\n[redis]\nservers = localhost:6379\n'
    const {text, removed, pmproxy, conf} = secure(source)
    expect(text).toBe(
      '# pmproxy\n[pmproxy]\npcp.enabled = true\nsecure.enabled = true\n\n[redis]\nservers = localhost:6379\n',
    )
    expect(removed.map((r) => r.line)).toEqual([4, 5, 7])
    expect(pmproxy.map((s) => [s.key, s.value])).toEqual([
      ['pcp.enabled', 'true'],
      ['secure.enabled', 'true'],
    ])
    expect(conf.problems).toEqual([])
  })

  it('adds secure.enabled under an existing [pmproxy] header, keeping every other byte', () => {
    const {text} = secure('[pmproxy]\nmaxpending = 10\n[keys]\nenabled = false\n')
    expect(text).toBe(
      '[pmproxy]\n# Written by pcp-harden tls write --pmproxy: TLS as configured in tls.conf\nsecure.enabled = true\n' +
        'maxpending = 10\n[keys]\nenabled = false\n',
    )
  })

  it('keeps one secure.enabled when there were several', () => {
    const {pmproxy} = secure('[pmproxy]\nsecure.enabled = false\nsecure.enabled = no\n')
    expect(pmproxy.map((s) => [s.key, s.value, s.line])).toEqual([['secure.enabled', 'true', 2]])
  })

  it('adds a [pmproxy] section to a file without one, or makes the file', () => {
    expect(secure('[redis]\nservers = a:1').text).toBe(
      '[redis]\nservers = a:1\n\n[pmproxy]\n# Written by pcp-harden tls write --pmproxy: TLS as configured in tls.conf\nsecure.enabled = true\n',
    )
    expect(secure(undefined).pmproxy.map((s) => [s.key, s.value])).toEqual([['secure.enabled', 'true']])
  })

  it('leaves legacy-looking keys of other sections alone (pmproxy reads them only in [pmproxy])', () => {
    const source = '[pmproxy]\nsecure.enabled = true\n[other]\ncertificates = x\n'
    expect(secure(source)).toMatchObject({text: source, removed: []})
  })
})

describe('planTlsWrite', () => {
  const KEY = {mode: '0600', owner: 'pcp', group: 'pcp', content: 'key\\n'}
  const CERT = {content: 'cert\\n'}
  const entry = (path: string, props: Record<string, string>) =>
    `  - {path: ${path}, ${Object.entries(props)
      .map(([k, v]) => `${k}: "${v}"`)
      .join(', ')}}`
  const tree = (overrides: Record<string, Record<string, string> | null> = {}) => {
    const files: Record<string, Record<string, string> | null> = {
      '/etc/pcp/tls/ca.crt': CERT,
      '/etc/pcp/tls/server.crt': CERT,
      '/etc/pcp/tls/server.key': KEY,
      '/etc/pcp/tls/client.crt': CERT,
      '/etc/pcp/tls/client.key': KEY,
      ...overrides,
    }
    const lines = Object.entries(files)
      .filter((e): e is [string, Record<string, string>] => e[1] !== null)
      .map(([p, props]) => entry(p, props))
    return new Host(
      new MemoryBackend(
        parseTreeSpec(
          `entries:${ACCOUNTS}  - {path: /etc/pcp/tls, type: dir, mode: "0750", group: pcp}\n${lines.join('\n')}\n`,
          't',
        ),
        't',
      ),
    )
  }

  it('plans the tls.conf, 0644 root:root when new, when every file is fit', async () => {
    const plan = await planTlsWrite(tree(), COLLECTOR)
    expect(plan.files.map((f) => [f.path, f.mode, f.owner, f.group])).toEqual([
      ['/etc/pcp/tls.conf', 0o644, 0, 0],
    ])
    expect(plan.notes.join('\n')).toMatch(/remote clients may still connect in plaintext/)
  })

  it("leaves out the collector's client pair when --dir has neither, and says so", async () => {
    const plan = await planTlsWrite(
      tree({'/etc/pcp/tls/client.crt': null, '/etc/pcp/tls/client.key': null}),
      COLLECTOR,
    )
    const conf = parseTlsConf(String(plan.files[0]?.content))
    expect(Object.keys(conf.values)).toEqual(['tls-ca-cert-file', 'tls-cert-file', 'tls-key-file'])
    expect(plan.notes[0]).toMatch(/tls-client-cert-file and tls-client-key-file left out/)
  })

  it('but refuses half a client pair', async () => {
    await expect(planTlsWrite(tree({'/etc/pcp/tls/client.key': null}), COLLECTOR)).rejects.toThrow(
      '/etc/pcp/tls/client.key (tls-client-key-file): missing',
    )
  })

  it('accepts a key 0640 root:pcp, which pmcd reads through its group', async () => {
    const plan = await planTlsWrite(
      tree({'/etc/pcp/tls/server.key': {mode: '0640', owner: 'root', group: 'pcp', content: 'k\\n'}}),
      COLLECTOR,
    )
    expect(plan.files).toHaveLength(1)
  })

  it.each([
    ['a missing key', {'/etc/pcp/tls/server.key': null}, '/etc/pcp/tls/server.key (tls-key-file): missing'],
    [
      'a key pcp cannot read',
      {'/etc/pcp/tls/server.key': {mode: '0600', owner: 'root', content: 'k\\n'}},
      '/etc/pcp/tls/server.key (tls-key-file): pcp cannot read it (0600, owner 0:0)',
    ],
    [
      'a key every user can read',
      {'/etc/pcp/tls/client.key': {mode: '0644', owner: 'pcp', content: 'k\\n'}},
      '/etc/pcp/tls/client.key (tls-client-key-file): a private key readable by every user (0644)',
    ],
    [
      'a key readable by a group that is not pcp',
      {'/etc/pcp/tls/server.key': {mode: '0640', owner: 'root', group: 'adm', content: 'k\\n'}},
      "/etc/pcp/tls/server.key (tls-key-file): a private key readable by its group, which is not pcp's (0640)",
    ],
    [
      'a CA certificate others can replace',
      {'/etc/pcp/tls/ca.crt': {mode: '0666', content: 'c\\n'}},
      '/etc/pcp/tls/ca.crt (tls-ca-cert-file): writable by others than its owner (0666)',
    ],
  ])('refuses %s in one line naming the file, unless --allow-missing', async (_name, overrides, message) => {
    await expect(planTlsWrite(tree(overrides), COLLECTOR)).rejects.toThrow(message)
    const plan = await planTlsWrite(tree(overrides), {...COLLECTOR, allowMissing: true})
    expect(plan.notes).toContain(`not yet usable: ${message}`)
    expect(plan.files.map((f) => f.path)).toEqual(['/etc/pcp/tls.conf'])
  })

  it('with client certificates required and pmproxy, also plans pmcd.options and pmproxy.conf', async () => {
    const plan = await planTlsWrite(tree(), {...COLLECTOR, requireClientCerts: true, pmproxy: true})
    expect(plan.files.map((f) => f.path)).toEqual([
      '/etc/pcp/tls.conf',
      '/etc/pcp/pmcd/pmcd.options',
      '/etc/pcp/pmproxy/pmproxy.conf',
    ])
  })

  it("a monitor's tls.conf is the user's, in a ~/.pcp the user owns, with the login-shell snippet", async () => {
    const host = new Host(
      new MemoryBackend(
        parseTreeSpec(
          `entries:${ACCOUNTS}  - {path: /home/alice, type: dir, owner: alice}
  - {path: /home/alice/.pcp/tls/ca.crt, owner: alice, content: "c"}
  - {path: /home/alice/.pcp/tls/client.crt, owner: alice, content: "c"}
  - {path: /home/alice/.pcp/tls/client.key, mode: "0600", owner: alice, content: "k"}
`,
          't',
        ),
        't',
      ),
    )
    const alice = (await host.accounts()).users.find((u) => u.name === 'alice')!
    const plan = await planTlsWrite(host, {
      ...COLLECTOR,
      role: 'monitor',
      user: alice,
      dir: '/home/alice/.pcp/tls',
      conf: '/home/alice/.pcp/tls.conf',
    })
    expect(plan.files.map((f) => [f.path, f.owner ?? 0, f.group ?? 0])).toEqual([
      ['/home/alice/.pcp/tls.conf', 1000, 1000],
      ['/etc/profile.d/pcp-tls.sh', 0, 0],
    ])
    expect(plan.dirs).toEqual([
      {path: '/home/alice/.pcp', mode: 0o700, owner: 1000, group: 1000, keepExisting: true},
    ])
  })
})
