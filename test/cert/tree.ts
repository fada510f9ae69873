import {createHash} from 'node:crypto'
import {lstat, readdir, readFile} from 'node:fs/promises'
import path from 'node:path'

import {ACCOUNTS, buildTree} from '../helpers/tree.js'

/** uid/gid of the accounts in ACCOUNTS. */
export const PCP = 998
export const ALICE = 1000

/** A collector root: the accounts (pcp, alice), /etc/pcp, alice's home and a host name. */
export function collectorRoot(extra = ''): Promise<string> {
  return buildTree(`entries:${ACCOUNTS}
  - {path: /etc/pcp, type: dir}
  - {path: /home/alice, type: dir, owner: alice}
  - path: /etc/hostname
    content: "pcp1.example.com\\n"
${extra}`)
}

export interface Entry {
  mode: number
  uid: number
  gid: number
  /** sha256 of a file's content. */
  sha?: string
}

/** Every entry under a root with its mode, owner and content hash: "writes nothing" compares two of these. */
export async function snapshot(root: string, dir = '/'): Promise<Record<string, Entry>> {
  const out: Record<string, Entry> = {}
  for (const name of await readdir(path.join(root, dir))) {
    const hostPath = path.posix.join(dir, name)
    const st = await lstat(path.join(root, hostPath))
    out[hostPath] = {mode: st.mode & 0o7777, uid: st.uid, gid: st.gid}
    if (st.isDirectory()) Object.assign(out, await snapshot(root, hostPath))
    else if (st.isFile())
      out[hostPath]!.sha = createHash('sha256')
        .update(await readFile(path.join(root, hostPath)))
        .digest('hex')
  }
  return out
}

/** Mode and owner of one host path under a root. */
export async function modeOf(
  root: string,
  hostPath: string,
): Promise<{mode: string; uid: number; gid: number}> {
  const st = await lstat(path.join(root, hostPath))
  return {mode: (st.mode & 0o7777).toString(8).padStart(4, '0'), uid: st.uid, gid: st.gid}
}
