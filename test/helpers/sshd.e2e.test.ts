import {mkdtemp, rm, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import path from 'node:path'

import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {makeSshKey, type SshKey, type SshNode, sshTo, startSshNode} from './sshd.js'

describe('real sshd nodes on loopback, each with its own /root', () => {
  let dir: string
  let key: SshKey
  const nodes: SshNode[] = []

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'pcp-harden-sshd-test-'))
    key = await makeSshKey(dir, 'admin')
    nodes.push(await startSshNode({address: '127.0.0.2'}), await startSshNode({address: '127.0.0.3'}))
    await writeFile(nodes[0]!.authorizedKeys, `${key.publicLine}\n`, {mode: 0o600})
    await writeFile(path.join(nodes[0]!.root, 'marker'), 'node one\n')
  }, 30_000)

  afterAll(async () => {
    await Promise.all(nodes.map((n) => n.stop()))
    await rm(dir, {recursive: true, force: true})
  })

  it('a node accepts the key in its own authorized_keys and sees its own /root', async () => {
    const run = await sshTo(nodes[0]!, 'cat /root/marker', {identity: key.path})
    expect(run).toMatchObject({exitCode: 0, stdout: 'node one'})
  })

  it('another node, whose /root lacks the key, refuses it', async () => {
    const run = await sshTo(nodes[1]!, 'true', {identity: key.path})
    expect(run.exitCode).toBe(255)
    expect(run.stderr).toMatch(/Permission denied \(publickey\)/)
  })
})
