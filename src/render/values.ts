import {InputError} from '../engine/errors.js'

/**
 * Values a writer puts into a file it writes (a cipher list into tls.conf, a forced command into
 * authorized_keys, a path into a unit): a control character there would split a line into two
 * settings or hide one on a terminal, so such a value is refused, never written or echoed.
 */

/** C0 controls (tab and newline included), DEL, and C1 controls (U+0080..U+009F, e.g. U+009B CSI). */
function isControl(code: number): boolean {
  return code < 0x20 || (code >= 0x7f && code <= 0x9f)
}

/** Where the first control character of `value` is: its code point and its 1-based position. */
export function controlCharacterIn(value: string): {codePoint: string; position: number} | undefined {
  let position = 0
  for (const char of value) {
    position += 1
    const code = char.codePointAt(0)!
    if (isControl(code)) return {codePoint: `U+${code.toString(16).toUpperCase().padStart(4, '0')}`, position}
  }
  return undefined
}

/**
 * Refuse (InputError, exit 3) any flag or argument value with a control character, naming the flag,
 * the character and its position, never the value itself.
 */
export function refuseControlCharacters(
  values: Record<string, unknown>,
  args: readonly unknown[] = [],
): void {
  const check = (shown: string, value: unknown) => {
    const found = typeof value === 'string' ? controlCharacterIn(value) : undefined
    if (found)
      throw new InputError(
        `${shown}: refusing a value with a control character (${found.codePoint} at character ${found.position})`,
      )
  }
  for (const [name, value] of Object.entries(values)) {
    for (const item of Array.isArray(value) ? value : [value]) check(`--${name}`, item)
  }
  for (const [index, arg] of args.entries()) check(`argument ${index + 1}`, arg)
}

/**
 * The entries of an OpenSSL cipher list (ciphers(1): `:`, `,` or space separated; `!`/`-` remove,
 * `+` combines) that enable ciphers without encryption (NULL, eNULL, COMPLEMENTOFALL...), without
 * authentication (aNULL) or export-grade ones (EXPORT, EXP-...), unless the list also removes them
 * for good with `!`.
 */
export function weakCiphers(list: string): string[] {
  const entries = list.split(/[:, ]+/).filter((entry) => entry !== '')
  const banned = new Set(entries.filter((e) => e.startsWith('!')).map((e) => e.slice(1)))
  const weak = (part: string) =>
    /^(e|a)?NULL$|^EXP(ORT(40|56)?)?$|^COMPLEMENTOF(ALL|DEFAULT)$/.test(part) ||
    /(^|-)NULL(-|$)/.test(part) ||
    part.startsWith('EXP-')
  return entries.filter(
    (entry) =>
      !/^[!-]/.test(entry) &&
      entry
        .replace(/^\+/, '')
        .split('+')
        .some((p) => weak(p) && !banned.has(p)),
  )
}
