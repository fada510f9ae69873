import {mkdtemp, rm, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import path from 'node:path'

import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {cli} from '../cli/run-cli.js'

let dir: string
const file = (name: string) => path.join(dir, name)

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'pcp-harden-lint-'))
  await writeFile(
    file('default.conf'),
    '[access]\ndisallow ".*" : store;\ndisallow ":*" : store;\nallow "local:*" : all;\n',
  )
  await writeFile(file('broken.conf'), '[access]\nallow local:* : all;\n')
  await writeFile(file('open.conf'), '[access]\nallow * : all;\n')
  await writeFile(file('pmcd.access'), 'localhost cert\n10.0.0.0/8 sasl\n* reject\n')
})

afterAll(async () => {
  await rm(dir, {recursive: true, force: true})
})

describe('access lint', () => {
  it('the shipped default is valid, with fetch open to every host: WARNING', async () => {
    const run = await cli(['access', 'lint', file('default.conf'), '--format', 'json'])
    expect(run.code).toBe(1)
    const out = JSON.parse(run.stdout)
    expect(out).toMatchObject({valid: true, status: 'WARNING', credentialsRequired: false})
    expect(out.findings.map((f: {check: string}) => f.check)).toEqual(['PCP-ACCESS-003', 'PCP-ACCESS-003'])
  })

  it('a file pmcd rejects: valid false, the line and why, CRITICAL', async () => {
    const run = await cli(['access', 'lint', file('broken.conf')])
    expect(run.code).toBe(2)
    expect(run.stdout).toContain('INVALID: pmcd rejects it and will not start')
    expect(run.stdout).toContain(`${file('broken.conf')}:2: error: bad access specifier`)
    const json = JSON.parse((await cli(['access', 'lint', file('broken.conf'), '--format', 'json'])).stdout)
    expect(json.valid).toBe(false)
  })

  it('--explain shows who may do what and which line decides', async () => {
    const run = await cli(['access', 'lint', file('open.conf'), '--explain'])
    expect(run.code).toBe(2)
    expect(run.stdout).toMatch(/any other IPv4 host\s+allowed \(line 2\)\s+allowed \(line 2\)\s+unlimited/)
  })

  it('a seed-style pmcd.access: PCP never reads it; each line translated', async () => {
    const run = await cli(['access', 'lint', file('pmcd.access'), '--format', 'json'])
    expect(run.code).toBe(1)
    const out = JSON.parse(run.stdout)
    expect(out).toMatchObject({kind: 'guide-policy', readByPcp: false})
    expect(out.translation.map((t: {statement: string}) => t.statement)).toEqual([
      'allow localhost : all;',
      'allow 10.* : all;',
      'disallow .*, ":*" : all;',
    ])
  })
})
