import {readdir, readFile} from 'node:fs/promises'
import path from 'node:path'

import fc from 'fast-check'
import {describe, expect, it} from 'vitest'

import {
  analyzeKeys,
  fromMatchesEverything,
  fromProblem,
  keysFileFindings,
  type ProxyKeys,
  proxyKeysFromText,
} from '../../src/checks/keys/analysis.js'
import {authorizedKeysSettings, expandKeysFile} from '../../src/checks/keys/sshd-config.js'
import {Host} from '../../src/host/host.js'
import {MemoryBackend, parseTreeSpec} from '../../src/host/tree.js'
import {fuzzTexts} from '../parsers/mutate.js'
import {
  ADMIN_KEY,
  DOC_FORM,
  INSTALLER_FORM,
  OLD_PROXY_KEY,
  PROXY_KEY,
  randomKey,
  RPC_FORM,
} from './pulse/keys.js'

const CORPUS = path.resolve(import.meta.dirname, '../fixtures/field/authorized_keys')
const NO_KEYS: ProxyKeys = {ids: new Set(), files: []}
const PROXY_KEYS = proxyKeysFromText([{file: 'id_ed25519.pub', text: `${PROXY_KEY} pulse-sensor-proxy\n`}])

/** `check:line` of every finding of a file's text. */
const found = (text: string, proxyKeys = NO_KEYS) =>
  keysFileFindings(text, '/root/.ssh/authorized_keys', {user: 'root', proxyKeys}).map(
    (f) => `${f.check}:${f.line}`,
  )

describe('authorized_keys findings of a file', () => {
  it('judge the three real forms of the proxy line: doc (clean), installer (no from=), RPC (ignored)', () => {
    expect(found(DOC_FORM)).toEqual([])
    expect(found(INSTALLER_FORM)).toEqual(['PSP-KEYS-001:1'])
    expect(found(RPC_FORM)).toEqual(['PSP-KEYS-004:1'])
  })

  it('recognise the proxy by its key alone when the comment says nothing', () => {
    const bare = `${PROXY_KEY} root@pve1`
    expect(found(bare)).toEqual([])
    expect(found(bare, PROXY_KEYS)).toEqual(['PSP-KEYS-001:1', 'PSP-KEYS-002:1', 'PSP-KEYS-003:1'])
  })

  it('accept a trailing, leading or double comma, as sshd 9.2 does', () => {
    for (const options of [
      'restrict,',
      ',restrict',
      'no-port-forwarding,,no-X11-forwarding,no-agent-forwarding,no-pty',
    ])
      expect(
        found(`from="10.0.0.1",command="x",${options} ${PROXY_KEY} pulse-sensor-proxy`),
        options,
      ).toEqual([])
  })

  it('report every form sshd ignores, and a refused principals= line', () => {
    const lines = [
      `restrict no-pty ${ADMIN_KEY} blanks`,
      `command=uptime ${ADMIN_KEY} unquoted`,
      `no-such-option ${ADMIN_KEY} unknown`,
      `command="uptime ${ADMIN_KEY} unterminated`,
      `principals="alice" ${ADMIN_KEY} principals without cert-authority`,
      'ssh-ed25519 AAAA-not-base64 broken',
    ]
    expect(found(lines.join('\n'))).toEqual(lines.map((_, i) => `PSP-KEYS-004:${i + 1}`))
  })

  it('take from= patterns that match every address as no restriction', () => {
    for (const from of ['*', '0.0.0.0/0', '::/0', '*.*.*.*', '!10.0.0.1,*', '10.0.0.0/8,0.0.0.0/0'])
      expect(fromMatchesEverything(from), from).toBe(true)
    for (const from of ['10.0.0.0/8', '192.168.0.?', '!*', 'pve*.example.com', '10.0.0.0/10', '10.0.0.0/0'])
      expect(fromMatchesEverything(from), from).toBe(false)
  })

  it('know the from= lists sshd rejects whole, letting no client in (checked against sshd 9.2)', () => {
    expect(fromProblem('127.0.0.0/8,,::1')).toBe('an empty entry')
    expect(fromProblem('127.0.0.1/8')).toMatch(/^127.0.0.1\/8 has host bits set/)
    expect(fromProblem('!10.0.0.0/0')).toMatch(/^10.0.0.0\/0 has host bits set/)
    expect(fromProblem('fd00::1/64')).toMatch(/has host bits set/)
    expect(fromProblem('10.0.0.0/33')).toBe('/33 is longer than an IPv4 address')
    for (const good of ['10.0.0.0/8', 'fd00::/64', '::ffff:10.0.0.0/104', '::1', '10.0.0.0/129', 'pve*', '*'])
      expect(fromProblem(good), good).toBeUndefined()
    expect(found(`from="127.0.0.1/8",command="x",restrict ${PROXY_KEY} pulse-sensor-proxy`)).toEqual([
      'PSP-KEYS-004:1',
    ])
  })

  it('tell two keys apart whose lines hash alike (the two-pass comparison is exact)', () => {
    // Two ed25519 keys whose ids have the same 32-bit FNV-1a hash, found by a birthday search.
    const one = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAILSPORy8aOJ0O+zHkraAJ9UWsw6DeA3dGrtMaP8O18nv'
    const two = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIAP+D8aEOf67jGNo2TYYeqMfs2QhMjv1yrpmOJfmCv+n'
    expect(found(`${one} a\n${two} b`)).toEqual([])
    expect(found(`${one} a\n${two} b\n${one} c\n${two} d`)).toEqual(['PSP-KEYS-005:3', 'PSP-KEYS-005:4'])
    expect(found(`${one} a\nno-pty ${two} b\n${two} c\nno-pty ${one} d`)).toEqual([
      'PSP-KEYS-006:1',
      'PSP-KEYS-005:3',
    ])
  })

  it('know a later line for the same key is used when an earlier from= does not match the client', () => {
    const restricted = `from="10.0.0.1",command="sensors -j",restrict ${PROXY_KEY} pulse-sensor-proxy`
    const elsewhere = `from="10.0.0.2",command="sensors -j",restrict ${PROXY_KEY} pulse-sensor-proxy`
    // Different from=: both lines are in force, each for its own clients.
    expect(found(`${restricted}\n${elsewhere}`)).toEqual([])
    // A later line without from= catches every other client: judged, and it lacks from=.
    expect(found(`${restricted}\n${INSTALLER_FORM}`)).toEqual(['PSP-KEYS-001:2'])
    // The same from= again: never reached.
    expect(found(`${restricted}\n${restricted}`)).toEqual(['PSP-KEYS-005:2'])
    // After a line without from=, nothing later is reached: a stricter one is shadowed.
    expect(found(`${INSTALLER_FORM}\n${restricted}\n${DOC_FORM}`)).toEqual([
      'PSP-KEYS-001:1',
      'PSP-KEYS-006:1',
    ])
  })

  it('report a line whose expiry-time has passed: sshd refuses it', () => {
    const line = (stamp: string) => `expiry-time="${stamp}",command="true",restrict ${ADMIN_KEY} contractor`
    expect(found(line('20200101'))).toEqual(['PSP-KEYS-004:1'])
    expect(found(line('29991231Z'))).toEqual([])
    const [finding] = keysFileFindings(line('20200101'), '/f', {user: 'root', proxyKeys: NO_KEYS})
    expect(finding?.message).toMatch(/^sshd refuses this line \(expired on 20200101\)/)
  })

  it('keep cert-authority lines apart from plain lines of the same key', () => {
    expect(found(`${ADMIN_KEY} plain\ncert-authority ${ADMIN_KEY} ca`)).toEqual([])
  })

  it('report stale proxy keys only when the current keys are known', () => {
    const old = DOC_FORM.replace(PROXY_KEY, OLD_PROXY_KEY)
    expect(found(old)).toEqual([])
    expect(found(`${DOC_FORM}\n${old}`, PROXY_KEYS)).toEqual(['PSP-KEYS-007:2'])
    const oldIgnored = RPC_FORM.replace(PROXY_KEY, OLD_PROXY_KEY)
    expect(found(oldIgnored, PROXY_KEYS)).toEqual(['PSP-KEYS-007:1', 'PSP-KEYS-004:1'])
  })

  it('give the fingerprint as evidence, never the key (only the remedy names the exact line it edits)', () => {
    const [finding] = keysFileFindings(INSTALLER_FORM, '/root/.ssh/authorized_keys', {
      user: 'root',
      proxyKeys: NO_KEYS,
    })
    expect(finding?.evidence).toMatch(/^SHA256:[A-Za-z0-9+/]{43}$/)
    const {remedy, fix, ...shown} = finding ?? {}
    expect(JSON.stringify(shown)).not.toContain(PROXY_KEY.split(' ')[1])
    expect(remedy).toBeDefined()
    expect(fix).toBeDefined()
  })
})

describe('authorized_keys findings of a host', () => {
  const analyze = async (entries: string) => {
    const host = new Host(new MemoryBackend(parseTreeSpec(`entries:\n${entries}`, 'keys'), 'keys'))
    const outcome = await analyzeKeys(host)
    return outcome.state === 'judged'
      ? outcome.findings.map((f) => `${f.check} ${f.path}${f.line ? `:${f.line}` : ''}`)
      : outcome.state
  }
  const PASSWD = `
  - path: /etc/passwd
    content: |
      root:x:0:0:root:/root:/bin/bash
      www-data:x:33:33:www-data:/var/www:/usr/sbin/nologin
      backup:x:34:34:backup:/root:/usr/sbin/nologin
  - path: /etc/group
    content: |
      root:x:0:
      www-data:x:33:
      backup:x:34:
`

  it("judge the real path of root's file as sshd does: Proxmox links it into /etc/pve/priv", async () => {
    const found = await analyze(`${PASSWD}
  - {path: /root, type: dir, mode: "0700"}
  - {path: /root/.ssh, type: dir, mode: "0755"}
  - {path: /root/.ssh/authorized_keys, target: /etc/pve/priv/authorized_keys}
  - {path: /etc/pve/priv, type: dir, mode: "0770", group: www-data}
  - {path: /etc/pve/priv/authorized_keys, mode: "0600", group: www-data, content: ${JSON.stringify(`${INSTALLER_FORM}\n`)}}
`)
    // /root/.ssh (0755) is not on the file's real path: sshd does not look at it.
    expect(found).toEqual(['PSP-KEYS-008 /etc/pve/priv', 'PSP-KEYS-001 /root/.ssh/authorized_keys:1'])
  })

  it('read a file once when users share a home, and skip when there is none', async () => {
    const shared = await analyze(`${PASSWD}
  - {path: /root, type: dir, mode: "0700"}
  - {path: /root/.ssh, type: dir, mode: "0700"}
  - {path: /root/.ssh/authorized_keys, mode: "0600", content: ${JSON.stringify(`${INSTALLER_FORM}\n`)}}
`)
    expect(shared).toEqual(['PSP-KEYS-001 /root/.ssh/authorized_keys:1'])
    expect(await analyze(PASSWD)).toBe('absent')
  })

  it('leave the line checks undecided (UNKNOWN) on a file it cannot read, never passed', async () => {
    const spec = parseTreeSpec(
      `entries:\n${PASSWD}  - {path: /root/.ssh, type: dir, mode: "0700"}\n  - {path: /root/.ssh/authorized_keys, mode: "0600"}\n`,
      'keys',
    )
    const backend = new MemoryBackend(spec, 'keys')
    const denied = Object.assign(Object.create(backend) as MemoryBackend, {
      readFile: async (p: string) => {
        if (p === '/root/.ssh/authorized_keys') throw Object.assign(new Error('EACCES'), {code: 'EACCES'})
        return backend.readFile(p)
      },
    })
    const outcome = await analyzeKeys(new Host(denied))
    expect(
      outcome.state === 'judged' && outcome.findings.map((f) => [f.check, f.undecided, f.message]),
    ).toEqual(
      [1, 2, 3, 4, 5, 6, 7].map((n) => [
        `PSP-KEYS-00${n}`,
        true,
        '/root/.ssh/authorized_keys: permission denied',
      ]),
    )
  })

  it('say sshd refuses a file that is not a regular file', async () => {
    const found = await analyze(`${PASSWD}
  - {path: /root/.ssh, type: dir, mode: "0700"}
  - {path: /root/.ssh/authorized_keys, type: dir, mode: "0700"}
`)
    expect(found).toEqual(['PSP-KEYS-008 /root/.ssh/authorized_keys'])
  })
})

describe('authorized_keys findings of random and mutated files', () => {
  it('never throw, stay on lines of the file, and never show a key', () => {
    const seeds = [
      `# nodes\n${DOC_FORM}\n${INSTALLER_FORM}\n${RPC_FORM}\n`,
      `from="10.0.0.1/8,,::1",expiry-time="20200101",restrict ${ADMIN_KEY} a\ncert-authority ${ADMIN_KEY}\n`,
    ]
    fc.assert(
      fc.property(fuzzTexts(seeds, 'from=",command!*/:restrict no-pty\n#'), (text) => {
        const lines = text.split('\n').length
        for (const f of keysFileFindings(text, '/f', {user: 'root', proxyKeys: PROXY_KEYS})) {
          expect(f.line).toBeGreaterThanOrEqual(1)
          expect(f.line).toBeLessThanOrEqual(lines)
          expect(f.message).not.toContain(PROXY_KEY.split(' ')[1])
        }
      }),
      {numRuns: 300},
    )
  })
})

describe('authorized_keys findings on files shaped like real ones (test/fixtures/field/authorized_keys)', () => {
  it('are only the lines whose keys are placeholders, which sshd ignores', async () => {
    const expected: Record<string, string[]> = {
      'backup-docs': ['PSP-KEYS-004:1', 'PSP-KEYS-004:2'],
      'backup-restrict': [],
      'sync-generated': ['PSP-KEYS-004:1'],
      'annotated-example': [],
      'tunnel-permitopen': ['PSP-KEYS-004:1'],
    }
    const files = (await readdir(CORPUS)).sort()
    expect(files).toEqual(Object.keys(expected).sort())
    for (const file of files)
      expect(found(await readFile(path.join(CORPUS, file), 'utf8')), file).toEqual(expected[file])
  })
})

describe('authorized_keys analysis of a large file', () => {
  // How its time grows with the lines is measured by bench/keys-growth.js (timings stay out of tests).
  it('keeps each finding short: 10,000 lines of each shape give no message of 1,000 characters', () => {
    const sources = (n: number) =>
      Array.from({length: n}, (_, i) => DOC_FORM.replace(/from="[^"]*"/, `from="10.0.${i >> 8}.${i & 255}"`))
    const copies = (n: number) => Array.from({length: n}, () => DOC_FORM)
    const distinct = (n: number) => Array.from({length: n}, (_, i) => randomKey(`user${i}`))
    // An unrestricted line first: every later line is shadowed by it.
    const shadowed = (n: number) => [INSTALLER_FORM, ...sources(n - 1)]
    let judged = 0
    for (const lines of [sources, copies, distinct, shadowed]) {
      const findings = keysFileFindings(lines(10_000).join('\n'), '/f', {user: 'root', proxyKeys: NO_KEYS})
      for (const f of findings) expect(f.message.length, f.message.slice(0, 80)).toBeLessThan(1000)
      judged += findings.length
    }
    expect(judged).toBeGreaterThan(0)
  }, 120_000)
})

describe("sshd's AuthorizedKeysFile and StrictModes under the root", () => {
  const hostWith = (entries: string) =>
    new Host(new MemoryBackend(parseTreeSpec(`entries:\n${entries}`, 'sshd'), 'sshd'))

  it('are the defaults without sshd_config', async () => {
    expect(await authorizedKeysSettings(hostWith('  - {path: /etc/hostname, content: "pve1\\n"}\n'))).toEqual(
      {
        files: ['.ssh/authorized_keys', '.ssh/authorized_keys2'],
        strictModes: true,
        sources: {},
      },
    )
  })

  it('take the first value, read Include files in lexical order where they stand, and skip Match blocks', async () => {
    const host = hostWith(`
  - path: /etc/ssh/sshd_config
    content: |
      # AuthorizedKeysFile /commented/out
      Include sshd_config.d/*.conf
      AuthorizedKeysFile .ssh/too_late
      StrictModes=no
  - {path: /etc/ssh/sshd_config.d/10-match.conf, content: "Match User alice\\n  StrictModes yes\\n"}
  - {path: /etc/ssh/sshd_config.d/20-keys.conf, content: "authorizedkeysfile \\"/etc/ssh/keys/%u\\" %h/.ssh/authorized_keys\\n"}
  - {path: /etc/ssh/sshd_config.d/30-keys.conf, content: "AuthorizedKeysFile /third\\n"}
  - {path: /etc/ssh/sshd_config.d/readme.txt, content: "AuthorizedKeysFile /not-a-conf\\n"}
`)
    expect(await authorizedKeysSettings(host)).toEqual({
      files: ['/etc/ssh/keys/%u', '%h/.ssh/authorized_keys'],
      strictModes: false,
      sources: {files: '/etc/ssh/sshd_config.d/20-keys.conf:1', strictModes: '/etc/ssh/sshd_config:4'},
    })
  })

  it('stop at an Include cycle at once, as sshd does (it refuses to start), instead of 3^16 readings', async () => {
    const host = hostWith(`
  - {path: /etc/ssh/sshd_config, content: "Include /etc/ssh/sshd_config.d/*.conf\\n"}
  - {path: /etc/ssh/sshd_config.d/a.conf, content: "Include /etc/ssh/sshd_config.d/*.conf\\n"}
  - {path: /etc/ssh/sshd_config.d/b.conf, content: "Include /etc/ssh/sshd_config.d/*.conf\\n"}
  - {path: /etc/ssh/sshd_config.d/c.conf, content: "Include /etc/ssh/sshd_config.d/*.conf\\n"}
`)
    const started = Date.now()
    await expect(authorizedKeysSettings(host)).rejects.toThrow(
      '/etc/ssh/sshd_config.d/a.conf: Include cycle through /etc/ssh/sshd_config.d/a.conf: sshd stops with "Too many recursive configuration includes" and does not start',
    )
    expect(Date.now() - started).toBeLessThan(5000)
  })

  it('read a file included twice once (the first value already won)', async () => {
    const host = hostWith(`
  - {path: /etc/ssh/sshd_config, content: "Include a.conf b.conf a.conf\\nAuthorizedKeysFile /late\\n"}
  - {path: /etc/ssh/a.conf, content: "StrictModes no\\n"}
  - {path: /etc/ssh/b.conf, content: "Include a.conf\\nAuthorizedKeysFile /b\\n"}
`)
    expect(await authorizedKeysSettings(host)).toEqual({
      files: ['/b'],
      strictModes: false,
      sources: {files: '/etc/ssh/b.conf:2', strictModes: '/etc/ssh/a.conf:1'},
    })
  })

  it('take AuthorizedKeysFile none as no file', async () => {
    const host = hostWith('  - {path: /etc/ssh/sshd_config, content: "AuthorizedKeysFile none\\n"}\n')
    expect((await authorizedKeysSettings(host)).files).toEqual([])
  })

  it('expand %h, %u, %U and %%, relative to the home directory, and refuse unknown tokens', () => {
    const alice = {name: 'alice', id: 1000, home: '/home/alice'}
    expect(expandKeysFile('.ssh/authorized_keys', alice)).toBe('/home/alice/.ssh/authorized_keys')
    expect(expandKeysFile('/etc/ssh/keys/%u-%U', alice)).toBe('/etc/ssh/keys/alice-1000')
    expect(expandKeysFile('%h/keys%%', alice)).toBe('/home/alice/keys%')
    expect(expandKeysFile('/keys/%x', alice)).toBeUndefined()
  })
})
