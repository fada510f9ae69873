import {describe, expect, it} from 'vitest'

import {wrap} from '../../src/report/text.js'
import {errorWords} from '../../src/cli/errno.js'

describe('wrap', () => {
  it('leaves a line that fits', () => {
    expect(wrap('  [HIGH]     X-Y-001 short', 80)).toEqual(['  [HIGH]     X-Y-001 short'])
  })

  it('continues a result under its message and a detail under its text, none wider than asked', () => {
    const result = `  [HIGH]     X-Y-001 ${'word '.repeat(30).trim()}`
    const wrapped = wrap(result, 40)
    expect(wrapped.length).toBeGreaterThan(1)
    for (const line of wrapped) expect(line.length).toBeLessThanOrEqual(40)
    for (const line of wrapped.slice(1)) expect(line).toMatch(/^ {13}word/)
    expect(wrapped.join(' ').replace(/ +/g, ' ')).toBe(result.replace(/ +/g, ' '))
    const detail = `             fix: ${'chmod '.repeat(20).trim()}`
    for (const line of wrap(detail, 40).slice(1)) expect(line).toMatch(/^ {15}chmod/)
  })

  it('keeps a word wider than the line whole, and ignores colour codes in the width', () => {
    const long = `/${'x'.repeat(100)}`
    expect(wrap(`  [LOW]      A-B-001 ${long} end`, 40)).toEqual([
      '  [LOW]      A-B-001',
      `             ${long}`,
      '             end',
    ])
    const red = '\u001B[31m[HIGH]\u001B[39m'
    expect(wrap(`  ${red}     X-Y-001 ${'a '.repeat(28).trim()}`, 80)).toHaveLength(1)
  })
})

describe('errorWords', () => {
  it('names system errors in words', () => {
    expect(
      errorWords(
        Object.assign(new Error("EISDIR: illegal operation on a directory, open '/tmp'"), {code: 'EISDIR'}),
      ),
    ).toBe('is a directory')
    expect(errorWords(Object.assign(new Error('x'), {code: 'EACCES'}))).toBe('permission denied')
    expect(errorWords(Object.assign(new Error("EWHAT: something odd, open '/x'"), {code: 'EWHAT'}))).toBe(
      'something odd',
    )
  })
})
