import {execFile} from 'node:child_process'
import {existsSync} from 'node:fs'
import {readdir} from 'node:fs/promises'

/** The machine's own programs and kernel filesystems: never replaced by the tree's. */
const SYSTEM = new Set([
  'usr',
  'bin',
  'sbin',
  'lib',
  'lib32',
  'lib64',
  'libx32',
  'proc',
  'sys',
  'dev',
  'boot',
])

export interface FixRun {
  code: number
  stdout: string
  stderr: string
}

/**
 * Run a fix command exactly as `verify` prints it, as root on the tree `root` as if it were the
 * machine: in a private mount namespace (unshare), the tree's top-level directories (/etc, /var,
 * /root, /home, /run, ...) are bind-mounted over the machine's, while the machine's programs
 * (/usr, /bin, /lib) stay. So absolute paths in the command land in the tree, and owner names
 * resolve through the tree's own /etc/passwd and /etc/group, as they would on the audited host.
 * The mounts vanish with the namespace; the machine's files are never touched. Bounded in time.
 */
export async function runFixInTree(root: string, command: string): Promise<FixRun> {
  const tops = (await readdir(root, {withFileTypes: true}))
    .filter((d) => d.isDirectory() && !SYSTEM.has(d.name) && existsSync(`/${d.name}`))
    .map((d) => d.name)
  const script = 'set -e; for d in "$@"; do mount --bind "$TREE/$d" "/$d"; done; exec sh -c "$FIX"'
  return new Promise((resolve) => {
    execFile(
      'unshare',
      ['--mount', '--propagation', 'private', '--', 'sh', '-c', script, 'replay', ...tops],
      {env: {TREE: root, FIX: command, PATH: '/usr/sbin:/usr/bin:/sbin:/bin'}, timeout: 15_000},
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : -1) : 0
        resolve({code, stdout, stderr})
      },
    )
  })
}
