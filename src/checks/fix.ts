/*
 * Building the exact shell command a failing result carries (CheckResult.fix): quoted so that any
 * path or value found on the host stays one word, and edits that match the line's text (not only
 * its number), so that fixes applied one after another do not hit the wrong line.
 */

import {shellQuote as quoteWord} from '../exec/shell-quote.js'
import {secretStart} from '../report/redact.js'

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

/**
 * The sed address of a line that reads exactly `text`; a secret in it (a token's value, key
 * material) is never quoted: the line is matched by what comes before the secret.
 */
function lineAddress(text: string): string {
  const secret = secretStart(text)
  if (secret === undefined) return `\\|^${literalBre(text)}$|`
  // Nothing before it: a line of key material, matched by its shape (base64 and PEM armour only).
  if (secret === 0) return '\\|^[-A-Za-z0-9+/= ]*$|'
  return `\\|^${literalBre(text.slice(0, secret))}|`
}

/** Delete the lines that are exactly `text` (optionally only line `line`). */
export function sedDeleteLine(file: string, text: string, line?: number): string {
  const address = lineAddress(text)
  const script = line === undefined ? `${address}d` : `${line}{${address}d;}`
  return `${sedInPlace(file)} ${shellQuote(script)} ${shellQuote(file)}`
}

/**
 * Delete line `line` by its number alone: for a line whose text must not be shown (key material).
 * Numbers are those of the file as audited; several such deletions run from the last line up.
 */
export function sedDeleteLineNumber(file: string, line: number): string {
  return `${sedInPlace(file)} ${shellQuote(`${line}d`)} ${shellQuote(file)}`
}

/** Replace the lines that are exactly `text` by `replacement` (optionally only line `line`). */
export function sedReplaceLine(file: string, text: string, replacement: string, line?: number): string {
  const secret = secretStart(text)
  // A line holding a secret is replaced whole, found by what comes before the secret.
  const pattern = secret === undefined ? `^${literalBre(text)}$` : `^${literalBre(text.slice(0, secret))}.*$`
  const script = `${line ?? ''}s|${pattern}|${literalReplacement(replacement)}|`
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
