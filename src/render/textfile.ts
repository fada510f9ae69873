import {randomBytes} from 'node:crypto'
import {constants} from 'node:fs'
import {type FileHandle, lstat, open, rename, unlink} from 'node:fs/promises'
import path from 'node:path'

import {InputError} from '../engine/errors.js'
import {at} from '../host/safe-open.js'

/** The file node_exporter's textfile collector reads from the directory (it reads `*.prom` only). */
export const TEXTFILE_NAME = 'pcp_harden.prom'

/**
 * Write metrics into a textfile-collector directory as node_exporter expects: the whole file
 * under a temporary name the collector ignores (no `.prom` suffix), synced, then renamed over
 * `pcp_harden.prom`, so a scrape never sees half a file. The directory is opened once, without
 * following a symlink in its last component, and both names are resolved through that descriptor.
 */
export async function writeTextfile(dir: string, text: string): Promise<string> {
  const target = path.join(dir, TEXTFILE_NAME)
  let handle: FileHandle
  try {
    handle = await open(path.resolve(dir), constants.O_RDONLY | constants.O_DIRECTORY | constants.O_NOFOLLOW)
  } catch (error) {
    // O_DIRECTORY|O_NOFOLLOW says ENOTDIR for a symlink too: name it as what it is.
    const link = (await lstat(dir).catch(() => undefined))?.isSymbolicLink()
    throw new InputError(`--textfile-dir ${dir}: ${link ? 'a symlink (refused)' : reason(error)}`)
  }
  const temp = `.${TEXTFILE_NAME}.${randomBytes(6).toString('hex')}`
  try {
    const file = await open(
      at(handle, temp),
      constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW,
      0o644,
    )
    try {
      await file.writeFile(text)
      await file.chmod(0o644)
      await file.sync()
    } finally {
      await file.close()
    }
    await rename(at(handle, temp), at(handle, TEXTFILE_NAME))
    return target
  } catch (error) {
    await unlink(at(handle, temp)).catch(() => undefined)
    throw new InputError(`--textfile-dir ${dir}: cannot write ${TEXTFILE_NAME} (${reason(error)})`)
  } finally {
    await handle.close()
  }
}

function reason(error: unknown): string {
  const code = (error as NodeJS.ErrnoException).code
  if (code === 'ENOENT') return 'no such directory'
  if (code === 'ENOTDIR') return 'not a directory'
  if (code === 'EACCES') return 'permission denied'
  return code ?? String(error)
}
