import type {LineEdit} from './remedy.js'

/**
 * A text with line edits applied in memory, as remedyCommand's commands leave the file (bottom-up,
 * appends last, after a newline if the text lacks one), so a check can judge its own remedy before
 * offering it; undefined when a line does not read what an edit expects.
 */
export function applyLineEdits(text: string, edits: readonly LineEdit[]): string | undefined {
  const at = (e: LineEdit) => (e.op === 'append' ? Number.POSITIVE_INFINITY : e.line)
  let result = text
  for (const edit of [...edits].sort((a, b) => at(b) - at(a))) {
    if (edit.op === 'append') {
      const body = edit.text.endsWith('\n') ? edit.text : `${edit.text}\n`
      result = `${result}${result === '' || result.endsWith('\n') ? '' : '\n'}${body}`
      continue
    }
    const lines = result.split('\n')
    if (lines[edit.line - 1] !== edit.expect) return undefined
    if (edit.op === 'delete') lines.splice(edit.line - 1, 1)
    else lines.splice(edit.line - 1, 1, ...edit.text.split('\n'))
    result = lines.join('\n')
  }
  return result
}
