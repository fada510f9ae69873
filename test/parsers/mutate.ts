import fc from 'fast-check'

/** Texts to fuzz with: random strings, and real inputs mutated (chars and lines inserted, deleted, moved). */
export function fuzzTexts(
  seeds: readonly string[],
  alphabet = 'allow disallow : ; , " # * . \n\t\\[access]fetchstore',
): fc.Arbitrary<string> {
  const piece = fc.oneof(
    fc.string({maxLength: 12}),
    fc.string({unit: fc.constantFrom(...alphabet.split('')), maxLength: 16}),
    fc.constantFrom('\n', '"', '#', '\\\n', ';', ':', ',', '[', ']', '*', '=', ' ', '\r\n', '\u0000', 'é'),
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
    fc.string({unit: fc.constantFrom(...alphabet.split('')), maxLength: 200}),
    mutated,
    lines,
  )
}
