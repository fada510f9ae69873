/*
 * Text from an audited file or from an argument must not drive the terminal it is printed on: an
 * ESC or CSI starts a sequence that can clear the screen or fake a line ("ESC[2J ESC[H OK"), and a
 * bidi override reorders what the reader sees. Every text path prints such values through these.
 */

/**
 * C0 controls, DEL, C1 controls (U+0080-U+009F, CSI U+009B among them), the bidi embedding,
 * override and isolate controls, the line and paragraph separators, and the blanks a reader cannot
 * tell from a space or from nothing (no-break and zero-width spaces, a BOM): a host name
 * 'localhost\u00a0' must not read as 'localhost '.
 */
const UNSAFE =
  // eslint-disable-next-line no-control-regex
  /[\u0000-\u001f\u007f-\u00a0\u00ad\u061c\u2000-\u200f\u2028-\u202f\u205f\u2066-\u2069\u3000\ufeff]/g

const UNSAFE_BUT_LINES =
  // eslint-disable-next-line no-control-regex
  /[\u0000-\u0008\u000b-\u001f\u007f-\u00a0\u00ad\u061c\u2000-\u200f\u2028-\u202f\u205f\u2066-\u2069\u3000\ufeff]/g

const visible = (c: string) => {
  const code = c.charCodeAt(0)
  return code <= 0xff
    ? `\\x${code.toString(16).padStart(2, '0')}`
    : `\\u${code.toString(16).padStart(4, '0')}`
}

/** One value on one line: every unsafe character, newline and tab included, as `\xNN` or `\uNNNN`. */
export function escapeControl(text: string): string {
  return text.replace(UNSAFE, visible)
}

/** Lines of output (a plan, a diff): as escapeControl, but newlines and tabs stay. */
export function escapeLines(text: string): string {
  return text.replace(UNSAFE_BUT_LINES, visible)
}

const JSON_UNSAFE = /[\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g

/**
 * JSON text (JSON, SARIF) with the characters JSON.stringify leaves raw (DEL, C1, bidi controls,
 * U+2028/2029) written as `\uNNNN` escapes. They can only occur inside strings, where the escape
 * reads back as the same character: the document stays valid and means the same.
 */
export function escapeJson(json: string): string {
  return json.replace(JSON_UNSAFE, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`)
}
