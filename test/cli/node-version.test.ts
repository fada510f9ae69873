import {mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import path from 'node:path'

import {afterAll, describe, expect, it} from 'vitest'

// @ts-expect-error: bin/main.js is plain JavaScript, with no declarations.
import {olderThanEngines} from '../../bin/main.js'

const repo = path.resolve(import.meta.dirname, '../..')
const dirs: string[] = []
afterAll(() => dirs.forEach((d) => rmSync(d, {recursive: true, force: true})))

function rootWith(engines: unknown): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'pcp-harden-engines-'))
  dirs.push(dir)
  writeFileSync(path.join(dir, 'package.json'), JSON.stringify({name: 'x', engines}))
  return dir
}

describe('the Node.js version check (in place of oclif semver check)', () => {
  it('warns, as oclif does, when Node.js is older than the engines field', () => {
    expect(olderThanEngines(repo, '18.19.0')).toMatch(
      /^Node version must be >=\d+\.\d+ to use this CLI\. Current node version: 18\.19\.0$/,
    )
    const root = rootWith({node: '>=20.19'})
    expect(olderThanEngines(root, '20.18.3')).toContain('>=20.19')
    expect(olderThanEngines(root, '20.19.0')).toBeUndefined()
    expect(olderThanEngines(root, '20.20.2')).toBeUndefined()
    expect(olderThanEngines(root, '22.1.0')).toBeUndefined()
    expect(olderThanEngines(rootWith({node: '>= 20'}), '19.9.9')).toContain('>= 20')
  })

  it('this Node.js satisfies the package (the suite runs on a supported version)', () => {
    expect(olderThanEngines(repo)).toBeUndefined()
  })

  it('stays silent on an engines field it cannot read as one lower bound', () => {
    expect(olderThanEngines(rootWith({node: '^20 || ^22'}), '18.0.0')).toBeUndefined()
    expect(olderThanEngines(rootWith(undefined), '18.0.0')).toBeUndefined()
    expect(olderThanEngines(path.join(tmpdir(), 'no-such-dir-pcp-harden'), '18.0.0')).toBeUndefined()
  })
})
