/*
 * Line edits applied in memory, exactly as remedyCommand's sed and printf commands apply them on
 * the host: each edit that names a line checks that the line still reads as the audit saw it, so a
 * file changed since the audit is never edited by guess.
 */

import {bottomUp, type LineEdit} from '../checks/remedy.js'

export type EditOutcome = {ok: true; text: string} | {ok: false; reason: string}

/** A file's lines and whether its last one ends with a newline. */
function split(text: string): {lines: string[]; newline: boolean} {
  if (text === '') return {lines: [], newline: false}
  const lines = text.split('\n')
  const newline = lines.at(-1) === ''
  if (newline) lines.pop()
  return {lines, newline}
}

/** `text` as lines, ignoring one trailing newline (a replacement of several lines). */
function linesOf(text: string): string[] {
  return split(text).lines.length === 0 ? [''] : split(text).lines
}

/** Why an edit no longer fits the file, or undefined when it does. */
export function staleEdit(lines: readonly string[], edit: LineEdit): string | undefined {
  if (edit.op === 'append') return undefined
  const found = lines[edit.line - 1]
  if (found === undefined) return `line ${edit.line} is gone (the file has ${lines.length} lines now)`
  if (found !== edit.expect)
    return `line ${edit.line} reads ${JSON.stringify(found)}, not ${JSON.stringify(edit.expect)} as when audited`
  return undefined
}

/**
 * Apply edits (of one or several remedies) to a file's text: every edit naming a line is checked
 * against the original text first, then all are applied bottom-up, then the appends in order.
 */
export function applyLineEdits(text: string, edits: readonly LineEdit[]): EditOutcome {
  const {lines, newline} = split(text)
  for (const edit of edits) {
    const stale = staleEdit(lines, edit)
    if (stale) return {ok: false, reason: stale}
  }
  const lined = edits.filter((e) => e.op !== 'append')
  const touched = new Set<number>()
  for (const edit of lined) {
    if (touched.has(edit.line)) return {ok: false, reason: `two edits change line ${edit.line}`}
    touched.add(edit.line)
  }
  const out = [...lines]
  let endsWithNewline = newline
  for (const edit of bottomUp(edits)) {
    if (edit.op === 'replace') out.splice(edit.line - 1, 1, ...linesOf(edit.text))
    else if (edit.op === 'delete') {
      out.splice(edit.line - 1, 1)
      // sed prints the line before a deleted last line with its newline.
      if (edit.line === lines.length) endsWithNewline = true
    } else {
      out.push(...split(edit.text.endsWith('\n') ? edit.text : `${edit.text}\n`).lines)
      endsWithNewline = true
    }
  }
  // sed keeps a last line without a newline as it was: so does this.
  const body = out.join('\n')
  return {ok: true, text: out.length === 0 ? '' : endsWithNewline ? `${body}\n` : body}
}
