/** What a system error means, in words (`--output /tmp: is a directory`, not EISDIR). */
const WORDS: Record<string, string> = {
  ENOENT: 'no such file or directory',
  EISDIR: 'is a directory',
  ENOTDIR: 'a component of the path is not a directory',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EEXIST: 'already exists',
  EROFS: 'read-only file system',
  ENOSPC: 'no space left on device',
  EDQUOT: 'disk quota exceeded',
  ELOOP: 'too many levels of symbolic links',
  ENAMETOOLONG: 'file name too long',
  EMFILE: 'too many open files',
  EBUSY: 'busy',
  EIO: 'input/output error',
}

/** An error from the file system as words: known codes by name, anything else by its message. */
export function errorWords(error: unknown): string {
  const code = (error as NodeJS.ErrnoException | undefined)?.code
  if (code !== undefined && WORDS[code] !== undefined) return WORDS[code]
  const message = error instanceof Error ? error.message : String(error)
  // Node's messages read "EACCES: permission denied, open '/x'": keep the words only.
  return message.replace(/^E[A-Z]+: /, '').replace(/, \w+ '.*'$/, '')
}
