import {execFile} from 'node:child_process'
import {mkdtemp, readFile, rm, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import path from 'node:path'
import {promisify} from 'node:util'

import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {sedDeleteLine, sedReplaceLine, sedSetKeyLine, shellQuote} from '../../src/checks/fix.js'

const sh = promisify(execFile)
let dir: string
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'pcp-harden-fix-'))
})
afterAll(() => rm(dir, {recursive: true, force: true}))

/** Run a fix command with the real sh and sed on a file, and return the file afterwards. */
async function applied(content: string, fix: (file: string) => string): Promise<string> {
  const file = path.join(dir, "conf with 'quote'")
  await writeFile(file, content)
  await sh('sh', ['-c', fix(file)], {timeout: 10_000})
  return readFile(file, 'utf8')
}

describe('fix commands', () => {
  it('never quote a secret of the line they edit, and still edit only that line', async () => {
    const token = "PULSE_TOKEN='c0ffee5ecretvalue'"
    const del = (file: string) => sedDeleteLine(file, token, 2)
    expect(del('/f')).not.toContain('c0ffee5ecretvalue')
    expect(await applied(`a=1\n${token}\nPULSE_URL=x\n`, del)).toBe('a=1\nPULSE_URL=x\n')
    const rep = (file: string) => sedReplaceLine(file, token, 'PULSE_TOKEN_FILE=/etc/t', 2)
    expect(rep('/f')).not.toContain('c0ffee5ecretvalue')
    expect(await applied(`a=1\n${token}\n`, rep)).toBe('a=1\nPULSE_TOKEN_FILE=/etc/t\n')
    const pem = 'MIICdgIBADANBgkqhkiG9w0BAQEFAASCAmAwggJcAgEAAoGBAMJv7rYq2y3k'
    const line = (file: string) => sedDeleteLine(file, pem, 3)
    expect(line('/f')).not.toContain('MIICdgIB')
    expect(await applied(`a\nb\n${pem}\nc\n`, line)).toBe('a\nb\nc\n')
  })

  it('quotes only what needs it', () => {
    expect(shellQuote('/etc/pcp/tls/server.key')).toBe('/etc/pcp/tls/server.key')
    expect(shellQuote("a b'c")).toBe(`'a b'\\''c'`)
  })

  it('deletes exactly the line with that text, whatever regex characters it holds', async () => {
    const text = '  -i 10.1.*.[5]|$x\\y & z'
    expect(await applied(`-A\n${text}\n  -i 10.1.2.5\n`, (f) => sedDeleteLine(f, text))).toBe(
      '-A\n  -i 10.1.2.5\n',
    )
  })

  it('replaces exactly the line with that text, the replacement taken literally', async () => {
    expect(
      await applied('# PMCD_LOCAL="1"\nPMCD_LOCAL="1"\n', (f) =>
        sedReplaceLine(f, 'PMCD_LOCAL="1"', 'A=1 & \\|'),
      ),
    ).toBe('# PMCD_LOCAL="1"\nA=1 & \\|\n')
  })

  it('rewrites a numbered line only while it still sets the key, keeping its indentation', async () => {
    const yaml = 'a: 1\n  metrics_address: "0.0.0.0:9127"\nb: 2\n'
    const fix = (f: string) => sedSetKeyLine(f, 2, 'metrics_address', 'metrics_address: "127.0.0.1:9127"')
    expect(await applied(yaml, fix)).toBe('a: 1\n  metrics_address: "127.0.0.1:9127"\nb: 2\n')
    expect(await applied('a: 1\nb: 2\n', fix)).toBe('a: 1\nb: 2\n')
  })
})
