/*
 * Building the exact shell command a failing result carries (CheckResult.fix): quoted so that any
 * path or value found on the host stays one word, and edits that match the line's text (not only
 * its number), so that fixes applied one after another do not hit the wrong line.
 */

import {shellQuote as quoteWord} from '../exec/shell-quote.js'

/** One shell word: bare when it is plainly safe, else single-quoted. */
export function shellQuote(word: string): string {
  return /^[A-Za-z0-9_/.:=@%+,-]+$/.test(word) ? word : quoteWord(word)
}

/** A POSIX basic regular expression that matches `text` literally; `|` is the sed delimiter used here. */
function literalBre(text: string): string {
  return text.replace(/[.[\]*^$\\|]/g, (c) => `\\${c}`)
}

/** A sed replacement that inserts `text` literally. */
function literalReplacement(text: string): string {
  return text.replace(/[\\&|]/g, (c) => `\\${c}`).replaceAll('\n', '\\n')
}

/**
 * `sed -i` for `file`. An authorized_keys file is edited through its link: on Proxmox VE root's is a
 * symlink into /etc/pve/priv, shared by the cluster, which a plain `sed -i` would replace with a copy.
 */
function sedInPlace(file: string): string {
  return /(^|\/)authorized_keys2?$/.test(file) ? 'sed --follow-symlinks -i' : 'sed -i'
}

/** Delete the lines that are exactly `text` (optionally only line `line`). */
export function sedDeleteLine(file: string, text: string, line?: number): string {
  const address = `\\|^${literalBre(text)}$|`
  const script = line === undefined ? `${address}d` : `${line}{${address}d;}`
  return `${sedInPlace(file)} ${shellQuote(script)} ${shellQuote(file)}`
}

/** Replace the lines that are exactly `text` by `replacement` (optionally only line `line`). */
export function sedReplaceLine(file: string, text: string, replacement: string, line?: number): string {
  const script = `${line ?? ''}s|^${literalBre(text)}$|${literalReplacement(replacement)}|`
  return `${sedInPlace(file)} ${shellQuote(script)} ${shellQuote(file)}`
}

/** Set a path's owner, group and mode. */
export function chownChmod(path: string, owner: string, group: string, mode: string): string {
  const p = shellQuote(path)
  return `chown ${shellQuote(`${owner}:${group}`)} ${p} && chmod ${mode} ${p}`
}

/**
 * Rewrite line `line` of `file` to `replacement` (keeping its indentation), but only if that line
 * still sets `key` (`key:` or `key=`), so a fix run twice, or after the file changed, edits nothing else.
 */
export function sedSetKeyLine(file: string, line: number, key: string, replacement: string): string {
  const guard = `\\|^[[:space:]]*${literalBre(key)}[[:space:]]*[:=]|`
  const script = `${line}{${guard}s|^\\([[:space:]]*\\).*$|\\1${literalReplacement(replacement)}|;}`
  return `${sedInPlace(file)} ${shellQuote(script)} ${shellQuote(file)}`
}
