import {constants} from 'node:fs'
import {open} from 'node:fs/promises'

import {InputError} from '../engine/errors.js'
import {KIND_NAMES, typeOf} from '../host/backend.js'
import {READ_LIMIT, tooLargeText} from '../parsers/limits.js'

/**
 * A local file named on the command line (`access lint FILE`, `--policy`, `--waivers`), as text.
 * Only a regular file of at most READ_LIMIT bytes is read: a FIFO is opened without blocking and a
 * device is refused, so neither can stall the command. Every failure is one InputError sentence
 * that starts with `label` (the argument as the user gave it).
 */
export async function readArgumentFile(file: string, label = file): Promise<string> {
  let handle
  try {
    handle = await open(file, constants.O_RDONLY | constants.O_NONBLOCK)
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    const why =
      code === 'ENOENT' || code === 'ENOTDIR'
        ? 'no such file'
        : code === 'EACCES' || code === 'EPERM'
          ? 'permission denied'
          : code === 'ELOOP'
            ? 'too many levels of symbolic links'
            : `cannot open it (${code ?? String(error)})`
    throw new InputError(`${label}: ${why}`)
  }
  try {
    const st = await handle.stat()
    if (!st.isFile()) throw new InputError(`${label}: not a regular file (${KIND_NAMES[typeOf(st)]})`)
    if (st.size > READ_LIMIT) throw new InputError(`${label}: the file ${tooLargeText(st.size, READ_LIMIT)}`)
    return await handle.readFile('utf8')
  } finally {
    await handle.close()
  }
}
