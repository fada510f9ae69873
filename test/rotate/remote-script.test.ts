import {execFileSync, spawnSync} from 'node:child_process'
import {
  chownSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs'
import {tmpdir} from 'node:os'
import path from 'node:path'

import {afterEach, beforeEach, describe, expect, it} from 'vitest'

import {remoteScript} from '../../src/rotate/exec.js'
import {READ_SCRIPT, sha256, WRITE_SCRIPT} from '../../src/rotate/remote.js'

/** The scripts as the node's shell runs them (what ssh hands over), here on local files. */
function run(script: string, args: string[], input = '') {
  const result = spawnSync('sh', ['-c', remoteScript(script, args)], {input})
  return {code: result.status, stdout: result.stdout, stderr: result.stderr.toString()}
}

let dir: string
beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'pcp-harden-remote-'))
})
afterEach(() => rmSync(dir, {recursive: true, force: true}))

describe('the remote read script', () => {
  it('prints the file byte for byte, or exits 91 when there is none', () => {
    const file = path.join(dir, 'authorized_keys')
    writeFileSync(file, Buffer.from([0x23, 0xe9, 0x0d, 0x0a]))
    expect(run(READ_SCRIPT, [file])).toMatchObject({code: 0, stdout: Buffer.from([0x23, 0xe9, 0x0d, 0x0a])})
    expect(run(READ_SCRIPT, [path.join(dir, 'none')]).code).toBe(91)
  })
})

describe('the remote write script', () => {
  it('replaces the file if it is what was read: mode 0600, the old owner, the old content kept as .bak', () => {
    const file = path.join(dir, 'authorized_keys')
    writeFileSync(file, 'old\n', {mode: 0o644})
    chownSync(file, 4242, 4243)
    expect(run(WRITE_SCRIPT, [file, sha256(Buffer.from('old\n'))], 'new\n')).toMatchObject({
      code: 0,
      stderr: '',
    })
    const st = lstatSync(file)
    expect({content: readFileSync(file, 'utf8'), mode: st.mode & 0o777, uid: st.uid, gid: st.gid}).toEqual({
      content: 'new\n',
      mode: 0o600,
      uid: 4242,
      gid: 4243,
    })
    expect(readFileSync(`${file}.pcp-harden.bak`, 'utf8')).toBe('old\n')
    expect(execFileSync('ls', ['-A', dir], {encoding: 'utf8'}).split('\n').filter(Boolean)).toEqual([
      'authorized_keys',
      'authorized_keys.pcp-harden.bak',
    ])
  })

  it('writes nothing (exit 92) when the file changed since it was read', () => {
    const file = path.join(dir, 'authorized_keys')
    writeFileSync(file, 'edited by someone else\n')
    const result = run(WRITE_SCRIPT, [file, sha256(Buffer.from('old\n'))], 'new\n')
    expect(result).toMatchObject({code: 92, stderr: `${file} changed since it was read; nothing written\n`})
    expect(readFileSync(file, 'utf8')).toBe('edited by someone else\n')
    expect(execFileSync('ls', ['-A', dir], {encoding: 'utf8'})).toBe('authorized_keys\n')
  })

  it('creates a missing file (and its 0700 directory) only if it was absent when read', () => {
    const file = path.join(dir, '.ssh', 'authorized_keys')
    expect(run(WRITE_SCRIPT, [file, 'absent'], 'new\n').code).toBe(0)
    expect(lstatSync(path.dirname(file)).mode & 0o777).toBe(0o700)
    expect(readFileSync(file, 'utf8')).toBe('new\n')
    expect(run(WRITE_SCRIPT, [file, 'absent'], 'again\n').code).toBe(92)
  })

  it("follows a symlink (Proxmox's /root/.ssh/authorized_keys -> /etc/pve/priv/authorized_keys) and keeps it", () => {
    mkdirSync(path.join(dir, 'priv'))
    const target = path.join(dir, 'priv', 'authorized_keys')
    const link = path.join(dir, 'authorized_keys')
    writeFileSync(target, 'old\n', {mode: 0o600})
    symlinkSync(target, link)
    expect(run(WRITE_SCRIPT, [link, sha256(Buffer.from('old\n'))], 'new\n').code).toBe(0)
    expect(lstatSync(link).isSymbolicLink()).toBe(true)
    expect(readFileSync(target, 'utf8')).toBe('new\n')
    expect(readFileSync(`${target}.pcp-harden.bak`, 'utf8')).toBe('old\n')
  })
})
