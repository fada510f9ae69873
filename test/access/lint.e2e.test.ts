import {mkdir, mkdtemp, rm, writeFile} from 'node:fs/promises'
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

describe('access lint on an offline image (no /etc/hosts): names only the live host can resolve', () => {
  const CONF = 'etc/pcp/pmcd/pmcd.conf'
  const image = async (access: string) => {
    const root = path.join(dir, `image-${Math.random().toString(36).slice(2)}`)
    await mkdir(path.join(root, 'etc/pcp/pmcd'), {recursive: true})
    await writeFile(path.join(root, CONF), `[access]\n${access}\n`)
    return root
  }

  it('localhost always resolves: valid, never "pmcd will not start"', async () => {
    const root = await image('disallow ".*" : all;\ndisallow ":*" : all;\nallow localhost : all;')
    const run = await cli(['access', 'lint', '--root', root, '--format', 'json'])
    const out = JSON.parse(run.stdout)
    expect(out).toMatchObject({valid: true, status: 'OK'})
    expect(out.undecided).toBeUndefined()
    expect(run.code).toBe(0)
  })

  it('a DNS name beside a valid rule: valid, and an UNKNOWN diagnostic naming its line', async () => {
    const root = await image(
      'disallow ".*" : all;\ndisallow ":*" : all;\nallow monitor.example.com : fetch, maximum 4 connections;',
    )
    const run = await cli(['access', 'lint', '--root', root])
    expect(run.stdout).toContain('valid: pmcd accepts it')
    expect(run.stdout).toContain(
      `${'/etc/pcp/pmcd/pmcd.conf'}:4: unknown: cannot decide offline whether host 'monitor.example.com' resolves`,
    )
    expect(run.stdout).toMatch(/\[UNKNOWN\] PCP-ACCESS-005 \/etc\/pcp\/pmcd\/pmcd.conf:4/)
    expect(run.stdout).not.toContain('INVALID')
    expect(run.code).toBe(3)
  })

  it('a DNS name as the only rule: whether pmcd starts is undecidable offline, never "will not start"', async () => {
    const root = await image('allow monitor.example.com : fetch;')
    const run = await cli(['access', 'lint', '--root', root, '--format', 'json'])
    const out = JSON.parse(run.stdout)
    expect(out.undecided).toMatch(/pmcd starts only if one of the names/)
    const startup = out.findings.filter((f: {check: string}) => f.check === 'PCP-ACCESS-001')
    expect(startup).toEqual([expect.objectContaining({line: 2, undecided: true})])
    // CRITICAL all the same, and truly: nothing denies store to any host.
    expect(out.findings.map((f: {check: string}) => f.check)).toContain('PCP-ACCESS-002')
    expect(run.code).toBe(2)
  })

  it('".invalid" names and CIDR are decided offline: they never resolve', async () => {
    const root = await image('allow no-such.invalid, 10.0.0.0/8 : fetch;')
    const run = await cli(['access', 'lint', '--root', root, '--format', 'json'])
    const out = JSON.parse(run.stdout)
    expect(out).toMatchObject({valid: false})
    expect(out.diagnostics.at(-1).message).toBe('no valid statements in [access] section')
    expect(run.code).toBe(2)
  })
})
