import {execFileSync} from 'node:child_process'
import {mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import path from 'node:path'

import fc from 'fast-check'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {
  type AuthorizedKey,
  type AuthorizedKeysEntry,
  authorizedKeysEntries,
  type IgnoredLine,
  parseAuthorizedKeys,
  parsePublicKey,
} from '../../src/parsers/authorized-keys.js'
import {REPO} from '../cli/run-cli.js'
import {fuzzTexts} from './mutate.js'

const CORPUS = path.resolve(REPO, 'test/fixtures/field/authorized_keys')
const corpus = (file: string) => readFileSync(path.join(CORPUS, file), 'utf8')

const only = (text: string) => parseAuthorizedKeys(text).entries[0] as AuthorizedKeysEntry
const key = (text: string) => {
  const entry = only(text)
  expect(entry.kind).toBe('key')
  return entry as AuthorizedKey
}
const ignored = (text: string) => {
  const entry = only(text)
  expect(entry.kind).toBe('ignored')
  return entry as IgnoredLine
}

let dir: string
/** Public keys made by ssh-keygen, by name. */
const made: Record<string, string> = {}
const KINDS: [string, string[]][] = [
  ['ed25519', ['-t', 'ed25519']],
  ['ecdsa256', ['-t', 'ecdsa', '-b', '256']],
  ['ecdsa384', ['-t', 'ecdsa', '-b', '384']],
  ['ecdsa521', ['-t', 'ecdsa', '-b', '521']],
  ['rsa1024', ['-t', 'rsa', '-b', '1024']],
  ['rsa3072', ['-t', 'rsa', '-b', '3072']],
  ['dsa', ['-t', 'dsa']],
]

beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'pcp-harden-ak-'))
  for (const [name, args] of KINDS) {
    const file = path.join(dir, name)
    execFileSync('ssh-keygen', ['-q', ...args, '-N', '', '-C', `${name}@test`, '-f', file], {timeout: 30_000})
    made[name] = readFileSync(`${file}.pub`, 'utf8').trim()
  }
})
afterAll(() => rmSync(dir, {recursive: true, force: true}))

const K = () => made.ed25519 as string
const keyData = (pub: string) => pub.split(' ')[1] as string
/** The ed25519 key without its comment. */
const bareKey = () => K().split(' ').slice(0, 2).join(' ')

/** `ssh-keygen -l -f`: bits, fingerprint and comment of each key it reads from a file. */
function keygenList(text: string): string[] {
  const file = path.join(dir, 'list')
  writeFileSync(file, text)
  const out = execFileSync('ssh-keygen', ['-l', '-E', 'sha256', '-f', file], {
    encoding: 'utf8',
    timeout: 30_000,
  })
  return out
    .trim()
    .split('\n')
    .map((l) => l.split(' ').slice(0, 2).join(' '))
}

describe('fingerprints and key sizes agree with ssh-keygen -lf', () => {
  it('every key type ssh-keygen makes, with and without options', () => {
    const lines = Object.values(made).flatMap((pub) => [
      pub,
      `no-pty,command="x" ${pub}`,
      `bogus-option ${pub}`,
    ])
    const text = `${lines.join('\n')}\n`
    const ours = parseAuthorizedKeys(text).entries.map((e) => {
      const k = e.kind === 'comment' ? undefined : e.key
      return `${k?.bits} ${k?.fingerprint}`
    })
    expect(ours).toEqual(keygenList(text))
  })

  it('the field-shaped files', () => {
    for (const file of ['annotated-example', 'backup-restrict']) {
      const text = corpus(file)
      const ours = parseAuthorizedKeys(text)
        .entries.filter((e) => e.kind === 'key')
        .map((e) => `${e.key.bits} ${e.key.fingerprint}`)
      expect(ours).toEqual(keygenList(text))
    }
  })

  it('an RSA key with a needless leading zero in its exponent: fingerprint of the canonical key', () => {
    const blob = Buffer.from(keyData(made.rsa1024 as string), 'base64')
    // ssh-rsa blob: string "ssh-rsa", mpint e, mpint n. Re-encode e with one extra 0x00.
    const typeEnd = 4 + blob.readUInt32BE(0)
    const eLength = blob.readUInt32BE(typeEnd)
    const e = blob.subarray(typeEnd + 4, typeEnd + 4 + eLength)
    const length = Buffer.alloc(4)
    length.writeUInt32BE(eLength + 1)
    const padded = Buffer.concat([
      blob.subarray(0, typeEnd),
      length,
      Buffer.from([0]),
      e,
      blob.subarray(typeEnd + 4 + eLength),
    ])
    const line = `ssh-rsa ${padded.toString('base64')} padded`
    const parsed = key(line)
    expect(parsed.key.id).toBe(key(made.rsa1024 as string).key.id)
    expect([`${parsed.key.bits} ${parsed.key.fingerprint}`]).toEqual(keygenList(`${line}\n`))
  })
})

describe('authorized_keys files shaped like real ones', () => {
  it('read one line at a time: the same entries, and the lines a filter refuses are skipped unread', () => {
    const text = corpus('annotated-example')
    expect([...authorizedKeysEntries(text)]).toEqual(parseAuthorizedKeys(text).entries)
    const seen: number[] = []
    const kept = [...authorizedKeysEntries(text, (raw, line) => (seen.push(line), line === 22))]
    expect(kept.map((e) => [e.kind, e.line])).toEqual([['key', 22]])
    expect(seen).toEqual(Array.from({length: text.split('\n').length}, (_, i) => i + 1))
  })
  it('annotated-example: comments, command=, environment=, from= with wildcards', () => {
    const {entries} = parseAuthorizedKeys(corpus('annotated-example'))
    expect(entries.filter((e) => e.kind === 'ignored')).toEqual([])
    const keys = entries.filter((e): e is AuthorizedKey => e.kind === 'key')
    expect(keys.map((k) => [k.line, k.key.type, k.comment])).toEqual([
      [19, 'ssh-ed25519', 'ops1@example.net'],
      [22, 'ecdsa-sha2-nistp256', 'ops2@example.net'],
      [25, 'ssh-dss', 'ops3@example.net'],
      [28, 'ssh-rsa', 'ops4@example.net'],
    ])
    expect(keys[1]?.effective.command).toBe('/usr/bin/uptime')
    expect(keys[2]?.effective.environment).toEqual(['PATH=/usr/local/bin:/usr/bin'])
    expect(keys[3]?.effective.from).toBe('192.0.2.?,*.example.net')
    expect(keys[3]?.effective.permissions.x11Forwarding).toBe(false)
    expect(keys[3]?.effective.permissions.portForwarding).toBe(true)
    expect(entries.filter((e) => e.kind === 'comment')).toHaveLength(20)
  })

  it('backup-restrict: restrict turns every permission off', () => {
    const keys = parseAuthorizedKeys(corpus('backup-restrict')).entries as AuthorizedKey[]
    expect(keys.map((k) => k.kind)).toEqual(['key', 'key'])
    for (const k of keys) {
      expect(k.effective.restrict).toBe(true)
      expect(k.effective.command).toMatch(/^borg serve --append-only --restrict-to-repository /)
      expect(Object.values(k.effective.permissions)).toEqual([false, false, false, false, false, true, false])
    }
  })

  it('backup-docs: the [...] placeholders are not keys, so sshd skips both lines', () => {
    const entries = parseAuthorizedKeys(corpus('backup-docs')).entries
    expect(entries.map((e) => e.kind === 'ignored' && [e.line, e.reason, e.message])).toEqual([
      [1, 'no-key', 'key data is not valid base64'],
      [2, 'no-key', 'key data is not valid base64'],
    ])
  })

  it('sync-generated: a shell variable where the key should be', () => {
    expect(ignored(corpus('sync-generated')).message).toBe("'$AUTHORIZED_PUBKEY' is not a key")
  })

  it('tunnel-permitopen: restrict, then port-forwarding re-enabled (with a real key in place of [...])', () => {
    const text = corpus('tunnel-permitopen')
    expect(ignored(text).reason).toBe('no-key')
    const k = key(text.replace(/ssh-ed25519 \S+/, `ssh-ed25519 ${keyData(made.ed25519 as string)}`))
    expect(k.options.map((o) => o.name)).toEqual(['command', 'restrict', 'port-forwarding', 'permitopen'])
    expect(k.effective.command).toBe('')
    expect(k.effective.permitOpen).toEqual(['localhost:8080'])
    expect(k.effective.permissions).toMatchObject({portForwarding: true, pty: false, agentForwarding: false})
    expect(k.comment).toBe('tunnel@b.example.net')
  })
})

describe('lines as sshd 9.2p1 reads them', () => {
  // Each verdict here was seen with a real sshd 9.2p1 (Debian 12) and these lines in AuthorizedKeysFile.
  it.each([
    [
      'space-separated options',
      'restrict no-pty %K',
      'no-key',
      "options separated by blanks: sshd reads 'no-pty'",
    ],
    ['an unquoted value with a space', 'command=echo hi %K', 'no-key', 'option value not in double quotes'],
    ['an unquoted value', 'command=true %K', 'bad-options', 'missing start quote'],
    [
      'from= without quotes (the rotation RPC)',
      'from=10.0.0.1,no-pty %K',
      'bad-options',
      'missing start quote',
    ],
    ['an unknown option', 'foo %K', 'bad-options', 'unknown key option'],
    ['a flag with a suffix', 'ptyx %K', 'bad-options', 'unknown key option'],
    ['text after a closing quote', 'command="true"y %K', 'bad-options', 'unknown key option'],
    ['a repeated command=', 'command="a",command="b" %K', 'bad-options', 'multiple "command" clauses'],
    ['a repeated from=', 'from="a",from="b" %K', 'bad-options', 'multiple "from" clauses'],
    ['a bad environment name', 'environment="A-B=1" %K', 'bad-options', 'invalid environment string'],
    ['a bad expiry time', 'expiry-time="2020" %K', 'bad-options', 'invalid expires time'],
    ['permitopen= without a port', 'permitopen="localhost" %K', 'bad-options', 'invalid permission port'],
    ['a bad tunnel', 'tunnel="x" %K', 'bad-options', 'invalid tun device'],
    ['a quote left open', 'command="true %K', 'unterminated-quote', 'invalid key option string'],
    [
      'no blank after the options',
      'no-pty,%K',
      'no-key',
      "no blank between the options and the key type 'ssh-ed25519'",
    ],
    ['only options', 'no-pty,', 'no-key', "'no-pty,' is not a key"],
    ['an upper-case key type', 'SSH-ED25519 %D', 'no-key', "unknown key type 'SSH-ED25519'"],
    ['a comment glued to the key data', 'ssh-ed25519 %D#c', 'no-key', 'key data is not valid base64'],
    ['key data cut short', 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5', 'no-key', 'truncated key data'],
    ['the wrong key type', 'ssh-rsa %D', 'no-key', 'key data is a ssh-ed25519 key, the line says ssh-rsa'],
  ])('%s: skipped', (_what, template, reason, message) => {
    const line = template.replace('%K', K()).replace('%D', keyData(K()))
    const entry = ignored(line)
    expect(entry.reason).toBe(reason)
    expect(entry.message).toContain(message)
    if (template.includes('%K') && reason !== 'unterminated-quote')
      expect(entry.key?.id).toBe(key(K()).key.id)
  })

  it.each([
    ['a trailing comma before the blank', 'no-pty, %K', ['no-pty']],
    ['a trailing comma before a tab', 'no-pty,\t%K', ['no-pty']],
    ['a leading comma', ',no-pty %K', ['no-pty']],
    ['an empty option between commas', 'no-pty,,no-X11-forwarding %K', ['no-pty', 'no-x11-forwarding']],
    ['trailing empty options', 'restrict,no-pty,,, %K', ['restrict', 'no-pty']],
    ['keywords in any case', 'NO-PTY,Restrict %K', ['no-pty', 'restrict']],
    ['FIDO flags', 'no-touch-required,verify-required %K', ['no-touch-required', 'verify-required']],
    ['leading blanks', ' \t%K', []],
  ])('%s: used', (_what, template, names) => {
    expect(key(template.replace('%K', K())).options.map((o) => o.name)).toEqual(names)
  })

  it('rsa-sha2-256 and rsa-sha2-512 name an ssh-rsa key', () => {
    const plain = key(made.rsa3072 as string).key
    for (const type of ['rsa-sha2-256', 'rsa-sha2-512']) {
      const k = key(`${type} ${keyData(made.rsa3072 as string)}`).key
      expect([k.declaredType, k.type, k.id, k.fingerprint]).toEqual([
        type,
        'ssh-rsa',
        plain.id,
        plain.fingerprint,
      ])
    }
  })

  it('unpadded base64 is refused, as by b64_pton', () => {
    const data = keyData(made.ecdsa256 as string)
    expect(data.endsWith('=')).toBe(true)
    expect(ignored(`ecdsa-sha2-nistp256 ${data.replace(/=+$/, '')}`).message).toBe(
      'key data is not valid base64',
    )
    expect(ignored(`ecdsa-sha2-nistp384 ${data}`).message).toContain('the line says ecdsa-sha2-nistp384')
  })

  it('a CRLF line still holds its key; a lone CR line is not blank to sshd', () => {
    const {entries} = parseAuthorizedKeys(`${K()}\r\n\r\n`)
    expect(entries.map((e) => e.kind)).toEqual(['key', 'ignored'])
    expect((entries[0] as AuthorizedKey).comment).toBe('ed25519@test')
  })

  it('principals= without cert-authority: sshd finds the key and refuses it', () => {
    expect(key(`principals="a" ${K()}`).refused).toBe('principals on non-CA key')
    expect(key(`cert-authority,principals="a" ${K()}`).refused).toBeUndefined()
    expect(key(`cert-authority ${K()}`).effective.certAuthority).toBe(true)
  })
})

describe('effective options', () => {
  it('restrict turns everything off; later flags turn their own back on, in order', () => {
    const p = (options: string) => key(`${options} ${K()}`).effective.permissions
    expect(p('restrict,pty')).toMatchObject({
      pty: true,
      portForwarding: false,
      x11Forwarding: false,
      userRc: false,
    })
    expect(p('pty,restrict').pty).toBe(false)
    expect(p('restrict,port-forwarding,no-port-forwarding').portForwarding).toBe(false)
    expect(p('no-agent-forwarding,agent-forwarding').agentForwarding).toBe(true)
    expect(p('no-user-rc').userRc).toBe(false)
  })

  it('the three writers of the Pulse proxy line', () => {
    const installer = key(
      `command="/opt/pulse/sensor-proxy/bin/ssh-wrapper",no-port-forwarding,no-X11-forwarding,no-agent-forwarding,no-pty ${bareKey()} pulse-sensor-proxy # pulse-managed-key`,
    )
    expect(installer.effective.from).toBeUndefined()
    expect(installer.comment).toBe('pulse-sensor-proxy # pulse-managed-key')
    expect(installer.effective.permissions).toMatchObject({portForwarding: false, pty: false, userRc: true})
    const stripped = ignored(`from=192.168.1.10,command=sensors -j,no-port-forwarding ${K()}`)
    expect(stripped.key?.fingerprint).toBe(installer.key.fingerprint)
    const documented = key(
      `from="192.168.1.10",command="sensors -j",no-port-forwarding,no-X11-forwarding,no-agent-forwarding,no-pty ${K()}`,
    )
    expect([documented.effective.from, documented.effective.command]).toEqual(['192.168.1.10', 'sensors -j'])
  })

  it('values: \\" is the only escape; environment first wins; permitlisten bare port; earliest expiry', () => {
    const k = key(
      [
        'command="echo \\"hi\\" \\\\n"',
        'environment="A=1"',
        'environment="A=2"',
        'environment="B_2=x y"',
        'permitlisten="8080"',
        'permitlisten="[::1]:22"',
        'permitopen="*:*"',
        'expiry-time="20300101Z"',
        'expiry-time="202901011200"',
        'tunnel="any"',
      ].join(',') + ` ${K()}`,
    )
    expect(k.effective.command).toBe('echo "hi" \\\\n')
    expect(k.effective.environment).toEqual(['A=1', 'B_2=x y'])
    expect(k.effective.permitListen).toEqual(['*:8080', '[::1]:22'])
    expect(k.effective.permitOpen).toEqual(['*:*'])
    expect(k.effective.expiryTime).toEqual({text: '202901011200', utc: false, epochSeconds: 1861963200})
    expect(k.effective.tunnel).toBe('any')
  })

  it('the same key has the same id however the line is written', () => {
    const ids = new Set(
      [K(), `no-pty ${K()}`.replace('no-pty ', 'restrict,command="x" '), `  ${K()} other comment`].map(
        (line) => key(line).key.id,
      ),
    )
    expect(ids.size).toBe(1)
    expect(key(made.ecdsa256 as string).key.id).not.toBe(key(K()).key.id)
  })

  it('parsePublicKey checks the key data: ed25519 keys are 32 bytes', () => {
    const short = Buffer.concat([
      Buffer.from([0, 0, 0, 11]),
      Buffer.from('ssh-ed25519'),
      Buffer.from([0, 0, 0, 2, 1, 2]),
    ])
    expect(parsePublicKey('ssh-ed25519', short.toString('base64'))).toEqual({
      error: 'an ed25519 key is 32 bytes, this one is 2',
    })
    expect(parsePublicKey('ssh-foo', keyData(K()))).toEqual({error: "unknown key type 'ssh-foo'"})
    expect(parsePublicKey('ssh-ed25519', keyData(K()))).toMatchObject({bits: 256, certificate: false})
  })
})

describe('never throws, and every line is in the file', () => {
  it('random and mutated authorized_keys', () => {
    const seeds = [
      ...['annotated-example', 'backup-restrict', 'backup-docs', 'tunnel-permitopen'].map(corpus),
      `restrict,pty,command="a \\"b\\"" ${K()} c\n${made.ecdsa384}\nfrom="x" ${made.rsa1024}\n`,
    ]
    fc.assert(
      fc.property(fuzzTexts(seeds, 'no-pty,restrict="\\ #ssh-ed25519 AAAA=\n\t'), (text) => {
        const lines = text.split('\n').length
        for (const entry of parseAuthorizedKeys(text).entries) {
          expect(entry.line).toBeGreaterThanOrEqual(1)
          expect(entry.line).toBeLessThanOrEqual(lines)
          if (entry.kind === 'ignored') expect(entry.message).not.toBe('')
        }
      }),
      {numRuns: 200},
    )
  })
})

describe('key data is read as b64_pton reads it', () => {
  const ED25519 = 'AAAAC3NzaC1lZDI1NTE5AAAAIIjzxOwZJZrohlLKIdScoL3z2GRks6q6Gom77ZfwCfhG'

  it('accepts canonical base64 and the same data with whitespace inside', () => {
    const plain = parsePublicKey('ssh-ed25519', ED25519)
    expect(plain).toMatchObject({fingerprint: expect.stringMatching(/^SHA256:/)})
    expect(parsePublicKey('ssh-ed25519', `${ED25519.slice(0, 20)}\n${ED25519.slice(20)}`)).toEqual(plain)
  })

  it('refuses stray bits before the padding and a missing pad, which a lenient decoder would take', () => {
    const ECDSA =
      'AAAAE2VjZHNhLXNoYTItbmlzdHAyNTYAAAAIbmlzdHAyNTYAAABBBHeNXw3p3Z/rnjIkJsSMhsKVPkF5wKAdCnKr18p5bGBrT8Mwc9xzAJUV96MnktGeF3jkQnbCROWFgJHc2D7oIWQ='
    expect(parsePublicKey('ecdsa-sha2-nistp256', ECDSA)).toMatchObject({fingerprint: expect.any(String)})
    const stray = ECDSA.replace(/Q=$/, 'R=')
    expect(Buffer.from(stray, 'base64')).toEqual(Buffer.from(ECDSA, 'base64'))
    expect(parsePublicKey('ecdsa-sha2-nistp256', stray)).toEqual({error: 'key data is not valid base64'})
    expect(parsePublicKey('ecdsa-sha2-nistp256', ECDSA.slice(0, -1))).toEqual({
      error: 'key data is not valid base64',
    })
    expect(parsePublicKey('ssh-ed25519', `${ED25519}=`)).toEqual({error: 'key data is not valid base64'})
  })
})
