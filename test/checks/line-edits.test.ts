import {execFile} from 'node:child_process'
import {mkdtemp, readFile, rm, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import path from 'node:path'
import {promisify} from 'node:util'

import {describe, expect, it} from 'vitest'

import {applyLineEdits} from '../../src/checks/line-edits.js'
import {type LineEdit, remedyCommand} from '../../src/checks/remedy.js'

const sh = promisify(execFile)

/** Edits and the texts they apply to, as the checks use them to judge a remedy before offering it. */
const CASES: [string, string, LineEdit[]][] = [
  [
    'a line replaced',
    'a\nallow * : all;\nc\n',
    [{op: 'replace', line: 2, expect: 'allow * : all;', text: 'allow * : fetch;'}],
  ],
  [
    'a line split in two',
    '-A\n-Q   # CA\n',
    [{op: 'replace', line: 2, expect: '-Q   # CA', text: '# CA\n-Q'}],
  ],
  ['a line deleted', '-A\n-x no_exec\n-Q\n', [{op: 'delete', line: 2, expect: '-x no_exec'}]],
  ['an append after a last line with no newline', 'tls-cert-file = /x', [{op: 'append', text: ''}]],
  ['an append with a header', 'pmcd 2 dso x\n', [{op: 'append', text: '[access]\ndisallow ".*" : store;'}]],
  [
    'two edits and an append, bottom-up',
    'disallow ".*" : store;\ndisallow ":*" : store;\n',
    [
      {op: 'replace', line: 2, expect: 'disallow ":*" : store;', text: 'disallow ":*" : all;'},
      {op: 'replace', line: 1, expect: 'disallow ".*" : store;', text: 'disallow ".*" : all;'},
      {op: 'append', text: 'allow "local:*" : all;'},
    ],
  ],
]

describe('line edits in memory leave exactly what the printed command leaves on disk', () => {
  it.each(CASES)('%s', async (_name, text, edits) => {
    const dir = await mkdtemp(path.join(tmpdir(), 'pcp-harden-edits-'))
    try {
      const file = path.join(dir, 'f.conf')
      await writeFile(file, text)
      await sh('sh', ['-c', remedyCommand({kind: 'edit', path: file, edits})], {timeout: 10_000})
      expect(applyLineEdits(text, edits)).toBe(await readFile(file, 'utf8'))
    } finally {
      await rm(dir, {recursive: true, force: true})
    }
  })

  it('an edit whose line no longer reads what it expects changes nothing', () => {
    expect(applyLineEdits('-A\n-Q\n', [{op: 'delete', line: 2, expect: '-x no_exec'}])).toBeUndefined()
  })
})
