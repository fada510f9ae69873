import {createHash} from 'node:crypto'
import {mkdtemp, readdir, rm} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import path from 'node:path'

import {adminSshArgv, closeMasterArgv, type Node, remoteScript, runTool, type SshSettings} from './exec.js'
import {editAuthorizedKeys, type KeysEdit} from './lines.js'

/** Exit status of the read script when the file does not exist. */
const ABSENT = 91
/** Exit status of the write script when the file changed since it was read. */
const CHANGED = 92

/** Print the file (following a symlink, as sshd does), or exit 91 when there is none. */
export const READ_SCRIPT = `f=$1
if [ -e "$f" ]; then exec cat -- "$f"; fi
if [ -L "$f" ]; then echo "$f: a dangling symlink" >&2; exit 1; fi
exit ${ABSENT}`

/**
 * Replace the file with standard input, atomically, if it is still what was read (its SHA-256, or
 * "absent"): a temporary file in the target's own directory (a symlink is followed, as on Proxmox
 * where /root/.ssh/authorized_keys points into /etc/pve/priv), mode 0600 and the old owner, the old
 * content kept as FILE.pcp-harden.bak, the hash checked again just before the rename.
 */
export const WRITE_SCRIPT = `set -eu
f=$1 want=$2
r=$(readlink -f -- "$f") || r=$f
d=$(dirname -- "$r")
state() { if [ -e "$r" ]; then h=$(sha256sum < "$r"); echo "\${h%% *}"; else echo absent; fi; }
changed() { echo "$f changed since it was read; nothing written" >&2; exit ${CHANGED}; }
[ "$(state)" = "$want" ] || changed
[ -d "$d" ] || mkdir -p -m 700 -- "$d"
umask 077
t=$(mktemp -- "$d/.authorized_keys.pcp-harden.XXXXXX")
trap 'rm -f -- "$t"' EXIT
cat > "$t"
chmod 600 -- "$t"
if [ -e "$r" ]; then
  chown --reference="$r" -- "$t"
  cp -p -- "$r" "$r.pcp-harden.bak"
fi
[ "$(state)" = "$want" ] || changed
mv -f -- "$t" "$r"
trap - EXIT`

export class NodeError extends Error {
  override name = 'NodeError'
}

function sshFailure(
  node: Node,
  what: string,
  run: {exitCode: number; stderr: string; timedOut: boolean},
): NodeError {
  if (run.timedOut) return new NodeError(`${what}: timed out`)
  const said = run.stderr.trim().split('\n').filter(Boolean).at(-1) ?? `exit ${run.exitCode}`
  return new NodeError(`${what}: ${said}`)
}

export function sha256(content: Buffer): string {
  return createHash('sha256').update(content).digest('hex')
}

export interface RemoteFile {
  content: Buffer
  exists: boolean
}

/** Read the node's authorized_keys with the admin identity. */
export async function readRemote(
  node: Node,
  ssh: SshSettings,
  file: string,
  timeoutMs: number,
): Promise<RemoteFile> {
  const run = await runTool(adminSshArgv(node, ssh, remoteScript(READ_SCRIPT, [file])), {timeoutMs})
  if (run.exitCode === 0) return {content: run.stdout, exists: true}
  if (run.exitCode === ABSENT) return {content: Buffer.alloc(0), exists: false}
  throw sshFailure(node, `reading ${file}`, run)
}

/**
 * Edit and write back the node's authorized_keys, starting from `known` (what an earlier read or
 * write of this run left there) or a fresh read. A concurrent change between read and write
 * (another admin, or another node writing the same file shared by the cluster) is never lost:
 * the edit starts again from a fresh read, up to three times. Nothing is written when nothing
 * changes. Returns the edit and the file as it now is.
 */
export async function editRemote(
  node: Node,
  ssh: SshSettings,
  file: string,
  change: {add?: string; removeKeyIds: readonly string[]},
  timeoutMs: number,
  known?: RemoteFile,
): Promise<KeysEdit & {now: RemoteFile}> {
  let before = known
  for (let attempt = 1; ; attempt++) {
    before ??= await readRemote(node, ssh, file, timeoutMs)
    const edit = editAuthorizedKeys(before.content, change)
    if (!edit.added && edit.removed.length === 0) return {...edit, now: before}
    const expected = before.exists ? sha256(before.content) : 'absent'
    const run = await runTool(adminSshArgv(node, ssh, remoteScript(WRITE_SCRIPT, [file, expected])), {
      input: edit.content,
      timeoutMs,
    })
    if (run.exitCode === 0) return {...edit, now: {content: edit.content, exists: true}}
    if (run.exitCode !== CHANGED || attempt === 3) throw sshFailure(node, `writing ${file}`, run)
    before = undefined
  }
}

/**
 * Run `body` with the admin's connections shared per node (ssh ControlMaster, sockets in a fresh
 * 0700 directory); every shared connection is closed afterwards, whatever happened.
 */
export async function withSharedConnections<T>(
  ssh: SshSettings,
  body: (shared: SshSettings) => Promise<T>,
): Promise<T> {
  const controlDir = await mkdtemp(path.join(tmpdir(), 'pcp-harden-ssh-'))
  try {
    return await body({...ssh, controlDir})
  } finally {
    const sockets = await readdir(controlDir).catch(() => [])
    await Promise.all(
      sockets.map((name) => runTool(closeMasterArgv(path.join(controlDir, name)), {timeoutMs: 10_000})),
    )
    await rm(controlDir, {recursive: true, force: true})
  }
}
