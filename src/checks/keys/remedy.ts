/*
 * Remedies of authorized_keys findings. Only the proxy's own lines (or Pulse's sensors line) are ever
 * edited, and only by a `replace` of that exact line whose key, type and comment stay byte for byte:
 * options are added in front (from=, command=) and behind (no-*), as sshd(8) reads them, left to right.
 * Every other line is the admin's: its remedy is manual, with the exact command and why.
 */

import {parseAuthorizedKeys} from '../../parsers/authorized-keys.js'
import {sedDeleteLine, sedReplaceLine} from '../fix.js'
import {type FixPlan, withRemedy} from '../remedy.js'

/** The placeholder of a from= only the admin can fill: sshd matches no client with it, so it fails closed. */
export const FROM_PLACEHOLDER = '<ADDRESSES-OF-THE-PULSE-HOST>'

/** The forced command the hardening guide gives the proxy's key (rotate-keys' default too). */
export const PROXY_FORCED_COMMAND = 'sensors -j'

/** A line split into its option tokens (comma-separated, quotes kept) and the key part after them. */
export function splitOptions(text: string): {options: string[]; rest: string} | undefined {
  const [entry] = parseAuthorizedKeys(text).entries
  if (entry?.kind !== 'key') return undefined
  const line = text.trimStart()
  if (entry.options.length === 0) return {options: [], rest: line}
  let quoted = false
  let end = 0
  for (; end < line.length; end++) {
    const c = line[end]
    if (c === '\\' && quoted) end++
    else if (c === '"') quoted = !quoted
    else if (!quoted && (c === ' ' || c === '\t')) break
  }
  const options: string[] = []
  let token = ''
  quoted = false
  for (let i = 0; i < end; i++) {
    const c = line[i] as string
    if (c === '\\' && quoted) {
      token += c + (line[i + 1] ?? '')
      i++
      continue
    }
    if (c === '"') quoted = !quoted
    if (c === ',' && !quoted) {
      options.push(token)
      token = ''
    } else token += c
  }
  options.push(token)
  return {options, rest: line.slice(end).trimStart()}
}

const optionName = (token: string) => token.split('=')[0]?.toLowerCase() ?? ''

/** The line with from= set (any earlier from= dropped), command= added and the no-* options appended. */
export function restrictLine(
  text: string,
  add: {from?: string; command?: string; no?: readonly string[]},
): string | undefined {
  const split = splitOptions(text)
  if (!split) return undefined
  const kept = split.options.filter((o) => add.from === undefined || optionName(o) !== 'from')
  const options = [
    ...(add.from === undefined ? [] : [`from="${add.from}"`]),
    ...(add.command === undefined ? [] : [`command="${add.command.replace(/"/g, '\\"')}"`]),
    ...kept,
    ...(add.no ?? []),
  ]
  return `${options.join(',')} ${split.rest}`
}

/** The exact replacement of one line of an authorized_keys file, validated by our parser before writing. */
export function replaceLine(file: string, line: number, expect: string, text: string): FixPlan {
  return {kind: 'edit', path: file, edits: [{op: 'replace', line, expect, text}], validate: 'authorized-keys'}
}

/** A manual remedy that sets a line to `text` (with a placeholder the admin fills). */
export function manualReplace(file: string, line: number, expect: string, text: string, why: string) {
  return withRemedy({kind: 'manual', command: sedReplaceLine(file, expect, text, line), why})
}

/** A manual remedy that deletes a line the admin must judge. */
export function manualDelete(file: string, line: number, expect: string, why: string) {
  return withRemedy({kind: 'manual', command: sedDeleteLine(file, expect, line), why})
}
