import {execFileSync} from 'node:child_process'
import {mkdtempSync, readFileSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import path from 'node:path'

import {afterAll, describe, expect, it} from 'vitest'

import {editAuthorizedKeys, lineKeyId, proxyLine} from '../../src/rotate/lines.js'

const dir = mkdtempSync(path.join(tmpdir(), 'pcp-harden-lines-'))
afterAll(() => rmSync(dir, {recursive: true, force: true}))

function key(name: string): string {
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', name, '-f', path.join(dir, name)])
  return readFileSync(path.join(dir, `${name}.pub`), 'utf8').trim()
}
const OLD = key('old')
const NEW = key('new')
const OTHER = key('other')
const data = (publicLine: string) => publicLine.split(' ')[1] as string

describe('proxyLine', () => {
  it('is exactly the restricted line of issue 7', () => {
    expect(proxyLine(NEW, ['10.0.0.0/24', '192.168.1.5/32'], 'sensors -j')).toBe(
      `from="10.0.0.0/24,192.168.1.5/32",command="sensors -j",no-port-forwarding,no-X11-forwarding,` +
        `no-agent-forwarding,no-pty ssh-ed25519 ${data(NEW)} pulse-sensor-proxy`,
    )
  })

  it('escapes a quote in the forced command as sshd reads it, and refuses what sshd would misread', () => {
    expect(proxyLine(NEW, ['10.0.0.1'], 'echo "hi"')).toContain('command="echo \\"hi\\""')
    expect(() => proxyLine(NEW, ['10.0.0.1'], 'a\\')).toThrow(/backslash/)
    expect(() => proxyLine(NEW, ['10.0.0.1'], 'a\nb')).toThrow(/newline/)
  })
})

describe('editAuthorizedKeys', () => {
  const line = proxyLine(NEW, ['10.0.0.0/24'], 'sensors -j')
  const before = Buffer.from(
    `# admins\r\n${OTHER}\n\ncommand="sensors -j",no-pty ${OLD} pulse-sensor-proxy # pulse-managed-key\n` +
      `from=10.0.0.1 ${OLD} quotes stripped in transit\n  ${OTHER} twice\n`,
  )

  it('adds the line and removes every line of the old key (used or ignored by sshd), the rest byte for byte', () => {
    const edit = editAuthorizedKeys(before, {add: line, removeKeyIds: [lineKeyId(OLD) as string]})
    expect(edit).toMatchObject({added: true, removed: [4, 5]})
    expect(edit.content.toString()).toBe(`# admins\r\n${OTHER}\n\n  ${OTHER} twice\n${line}\n`)
  })

  it('is idempotent: a file that has exactly the line is left as it is', () => {
    const once = editAuthorizedKeys(before, {add: line, removeKeyIds: []}).content
    expect(editAuthorizedKeys(once, {add: line, removeKeyIds: []})).toEqual({
      content: once,
      added: false,
      removed: [],
    })
  })

  it('replaces another line of the same key, and ends an unterminated last line before appending', () => {
    const loose = Buffer.from(`${NEW} pulse-sensor-proxy`)
    expect(editAuthorizedKeys(loose, {add: line, removeKeyIds: []}).content.toString()).toBe(`${line}\n`)
    const unterminated = Buffer.from(OTHER)
    expect(editAuthorizedKeys(unterminated, {add: line, removeKeyIds: []}).content.toString()).toBe(
      `${OTHER}\n${line}\n`,
    )
  })

  it('keeps bytes that are not UTF-8 as they are', () => {
    const latin1 = Buffer.concat([Buffer.from('# caf'), Buffer.from([0xe9]), Buffer.from(`\n${OLD}\n`)])
    const edit = editAuthorizedKeys(latin1, {removeKeyIds: [lineKeyId(OLD) as string]})
    expect(edit.content).toEqual(
      Buffer.concat([Buffer.from('# caf'), Buffer.from([0xe9]), Buffer.from('\n')]),
    )
  })
})
