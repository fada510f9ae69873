import {execFileSync} from 'node:child_process'
import {mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import path from 'node:path'

import {afterEach, beforeEach, describe, expect, it} from 'vitest'

import {openRoot, readUnder, UnsafePathError, walkDir} from '../../src/host/safe-open.js'

let root: string
let outside: string

beforeEach(() => {
  root = mkdtempSync(path.join(tmpdir(), 'pcp-harden-safe-open-'))
  outside = mkdtempSync(path.join(tmpdir(), 'pcp-harden-outside-'))
})
afterEach(() => {
  rmSync(root, {recursive: true, force: true})
  rmSync(outside, {recursive: true, force: true})
})

function put(hostPath: string, content: string): void {
  mkdirSync(path.dirname(path.join(root, hostPath)), {recursive: true})
  writeFileSync(path.join(root, hostPath), content)
}

async function walked(hostDir: string, links: 'refuse' | 'root-owned') {
  const rootDir = await openRoot(root)
  try {
    const found = await walkDir(rootDir, hostDir, links)
    await found.handle.close()
    return {hostPath: found.hostPath, missing: found.missing}
  } finally {
    await rootDir.close()
  }
}

async function refusal(promise: Promise<unknown>): Promise<UnsafePathError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  )
  expect(error).toBeInstanceOf(UnsafePathError)
  return error as UnsafePathError
}

describe('walkDir', () => {
  it('opens every component and reports the missing ones, outermost first', async () => {
    mkdirSync(path.join(root, 'etc/pcp'), {recursive: true})
    expect(await walked('/etc/pcp', 'refuse')).toEqual({hostPath: '/etc/pcp', missing: []})
    expect(await walked('/etc/pcp/tls/x', 'refuse')).toEqual({
      hostPath: '/etc/pcp',
      missing: ['/etc/pcp/tls', '/etc/pcp/tls/x'],
    })
  })

  it('refuses any symlink under the refuse policy, and a non-directory on the way', async () => {
    mkdirSync(path.join(root, 'srv'))
    symlinkSync('/srv', path.join(root, 'data'))
    put('/etc/file', 'x')
    expect((await refusal(walked('/data/x', 'refuse'))).message).toBe('/data is a symlink')
    expect((await refusal(walked('/etc/file/x', 'refuse'))).message).toBe('/etc/file is not a directory')
  })

  it('follows a root-owned symlink inside the root, as a chroot would: never out of it', async () => {
    mkdirSync(path.join(root, 'srv/state'), {recursive: true})
    mkdirSync(path.join(outside, 'state'))
    symlinkSync('/srv', path.join(root, 'abs'))
    symlinkSync('../../../../srv', path.join(root, 'rel'))
    symlinkSync(outside, path.join(root, 'out'))
    expect(await walked('/abs/state', 'root-owned')).toEqual({hostPath: '/srv/state', missing: []})
    expect(await walked('/rel/state', 'root-owned')).toEqual({hostPath: '/srv/state', missing: []})
    // The link's target is read as a path inside the root, where it does not exist.
    expect((await walked('/out/state', 'root-owned')).missing[0]).toBe(
      outside.split('/').slice(0, 2).join('/'),
    )
  })

  it('refuses a symlink owned by another user, and a loop', async () => {
    mkdirSync(path.join(root, 'srv'))
    symlinkSync('/srv', path.join(root, 'theirs'))
    execFileSync('chown', ['-h', '4242:4242', path.join(root, 'theirs')])
    expect((await refusal(walked('/theirs', 'root-owned'))).message).toBe(
      '/theirs is a symlink owned by uid 4242',
    )
    symlinkSync('/b', path.join(root, 'a'))
    symlinkSync('/a', path.join(root, 'b'))
    expect((await refusal(walked('/a/x', 'root-owned'))).reason).toBe('link-loop')
  })
})

describe('readUnder', () => {
  it('reads a regular file; refuses a symlink, a FIFO and a file over the cap, without reading them', async () => {
    put('/etc/a.conf', 'content\n')
    expect((await readUnder(root, '/etc/a.conf', {maxBytes: 100}))?.content.toString()).toBe('content\n')
    expect(await readUnder(root, '/etc/missing', {maxBytes: 100})).toBeUndefined()
    expect(await readUnder(root, '/nowhere/missing', {maxBytes: 100})).toBeUndefined()
    symlinkSync('/etc/a.conf', path.join(root, 'etc/link'))
    expect((await refusal(readUnder(root, '/etc/link', {maxBytes: 100}))).message).toBe(
      '/etc/link is a symlink',
    )
    execFileSync('mkfifo', [path.join(root, 'etc/fifo')])
    expect((await refusal(readUnder(root, '/etc/fifo', {maxBytes: 100}))).message).toBe(
      '/etc/fifo is not a regular file',
    )
    expect((await refusal(readUnder(root, '/etc/a.conf', {maxBytes: 4}))).message).toBe(
      '/etc/a.conf is larger than 4 bytes',
    )
  })
})
