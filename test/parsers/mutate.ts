import fc from 'fast-check'

/**
 * Characters a careless editor or a hostile user puts in a file, that an ASCII-minded scanner may
 * treat as neither blank nor word: Unicode blanks (no-break, ideographic, en space), a BOM, line and
 * paragraph separators, NEL, C0 and C1 controls (ESC, CSI U+009B), DEL, bidi overrides, a lone
 * surrogate.
 */
export const HOSTILE_CHARACTERS = [
  '\u00a0',
  '\u3000',
  '\u2002',
  '\u200b',
  '\ufeff',
  '\u2028',
  '\u2029',
  '\u0085',
  '\u0000',
  '\u0001',
  '\u001b',
  '\u001b[2J',
  '\u007f',
  '\u009b',
  '\u202e',
  '\u2066',
  // What an invalid UTF-8 byte in a file becomes once read (a lone surrogate never reaches a parser:
  // the real programs, which the differential tests run on the same bytes, would see U+FFFD too).
  '\ufffd',
  '\v',
  '\f',
  '\r',
] as const

/** Texts to fuzz with: random strings, and real inputs mutated (chars and lines inserted, deleted, moved). */
export function fuzzTexts(
  seeds: readonly string[],
  alphabet = 'allow disallow : ; , " # * . \n\t\\[access]fetchstore',
): fc.Arbitrary<string> {
  const piece = fc.oneof(
    fc.string({maxLength: 12}),
    fc.string({unit: fc.constantFrom(...alphabet.split('')), maxLength: 16}),
    fc.constantFrom('\n', '"', '#', '\\\n', ';', ':', ',', '[', ']', '*', '=', ' ', '\r\n', '\u0000', 'é'),
    fc.constantFrom(...HOSTILE_CHARACTERS),
    fc.string({unit: fc.constantFrom(...HOSTILE_CHARACTERS, ...alphabet.split('')), maxLength: 16}),
  )
  const edit = fc.record({at: fc.nat(), length: fc.nat({max: 20}), insert: piece})
  const mutated = fc.tuple(fc.constantFrom(...seeds), fc.array(edit, {maxLength: 6})).map(([seed, edits]) =>
    edits.reduce((text, e) => {
      const at = text.length === 0 ? 0 : e.at % (text.length + 1)
      return text.slice(0, at) + e.insert + text.slice(at + e.length)
    }, seed),
  )
  const lines = fc.tuple(fc.constantFrom(...seeds), fc.nat(), fc.nat()).map(([seed, a, b]) => {
    const all = seed.split('\n')
    const from = a % all.length
    const to = b % all.length
    const [moved] = all.splice(from, 1)
    all.splice(to, 0, moved ?? '')
    return all.join('\n')
  })
  return fc.oneof(
    fc.string({maxLength: 200}),
    fc.string({unit: 'grapheme', maxLength: 60}),
    fc.string({unit: fc.constantFrom(...alphabet.split('')), maxLength: 200}),
    mutated,
    lines,
  )
}
