import {execFileSync} from 'node:child_process'
import {chmod, lchown, lutimes, mkdir, mkdtemp, rm, symlink, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import path from 'node:path'

import {entryMtimeMs, idResolver, parseTreeSpec, type TreeSpec} from '../../src/host/tree.js'

/**
 * Build a host tree on disk from its description (path, type, mode, owner, content), since git
 * keeps neither modes nor owners. Owners are set when running as root (as the tests here do).
 */
export async function buildTree(spec: TreeSpec | string, dir?: string): Promise<string> {
  const tree = typeof spec === 'string' ? parseTreeSpec(spec, 'test tree') : spec
  const root = dir ?? (await mkdtemp(path.join(tmpdir(), 'pcp-harden-tree-')))
  const ids = idResolver(tree)
  const asRoot = process.getuid?.() === 0
  const now = Date.now()
  for (const entry of tree.entries) {
    const local = path.join(root, entry.path)
    await mkdir(path.dirname(local), {recursive: true})
    if (entry.type === 'dir') await mkdir(local, {recursive: true})
    else if (entry.type === 'file') await writeFile(local, entry.content ?? '')
    else if (entry.type === 'symlink') await symlink(entry.target as string, local)
    else
      execFileSync('python3', [
        '-c',
        'import socket,sys; socket.socket(socket.AF_UNIX).bind(sys.argv[1])',
        local,
      ])
    if (asRoot) await lchown(local, ids.uid(entry.owner), ids.gid(entry.group))
    if (entry.type !== 'symlink') await chmod(local, entry.mode)
  }
  // After every entry is made: creating an entry changes its directory's mtime.
  for (const entry of tree.entries) {
    const mtime = entryMtimeMs(entry, now)
    if (mtime !== undefined) await lutimes(path.join(root, entry.path), mtime / 1000, mtime / 1000)
  }
  return root
}

export async function removeTree(root: string): Promise<void> {
  await rm(root, {recursive: true, force: true})
}

/** A minimal passwd/group for trees that need the PCP and proxy accounts. */
export const ACCOUNTS = `
  - path: /etc/passwd
    content: |
      root:x:0:0:root:/root:/bin/bash
      pcp:x:998:998:Performance Co-Pilot:/var/lib/pcp:/usr/sbin/nologin
      pulse-sensor-proxy:x:997:997::/nonexistent:/usr/sbin/nologin
      alice:x:1000:1000::/home/alice:/bin/bash
  - path: /etc/group
    content: |
      root:x:0:
      adm:x:4:
      pcp:x:998:
      pulse-sensor-proxy:x:997:
      alice:x:1000:
`
