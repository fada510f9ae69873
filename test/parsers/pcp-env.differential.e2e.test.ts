import {spawnSync} from 'node:child_process'
import {mkdir, mkdtemp, rm, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import path from 'node:path'

import fc from 'fast-check'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {evaluateEnvironment, parseShellProfile} from '../../src/parsers/pcp-env.js'
import {fuzzTexts} from './mutate.js'

/**
 * Our reading of a profile script against bash sourcing it (a login shell), in an empty HOME: the
 * PCP_* variables it exports. Texts are limited to characters that cannot run or redirect anything
 * but the assignments, exports and unsets they spell (no backquotes, parentheses, redirections,
 * pipes, globs or backslashes), and an EXIT trap prints the environment whatever they do.
 */
const SAFE = /^[A-Za-z0-9_ \t\n="'#;~/$.:-]*$/
const SOURCE = 'trap "/usr/bin/env" EXIT; . "$1" >/dev/null 2>&1'

let home: string

beforeAll(async () => {
  home = await mkdtemp(path.join(tmpdir(), 'pcp-harden-profile-'))
  await mkdir(path.join(home, 'empty'))
})

afterAll(async () => {
  await rm(home, {recursive: true, force: true})
})

async function bashExports(text: string): Promise<Record<string, string>> {
  const file = path.join(home, 'profile.sh')
  await writeFile(file, text)
  const run = spawnSync('/bin/bash', ['-c', SOURCE, 'bash', file], {
    cwd: path.join(home, 'empty'),
    env: {PATH: '/usr/bin:/bin', HOME: home},
    encoding: 'utf8',
  })
  return Object.fromEntries(
    run.stdout
      .split('\n')
      .filter((l) => l.startsWith('PCP_'))
      .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
  )
}

function ourExports(text: string): Record<string, string> {
  const initial = {
    name: 'HOME',
    value: home,
    exported: true,
    path: '',
    line: 0,
    conditional: false,
    uncertain: false,
  }
  const env = evaluateEnvironment([parseShellProfile(text, 'profile.sh')], new Map([['HOME', initial]]))
  return Object.fromEntries(
    [...env.values()]
      .filter((v) => v.name.startsWith('PCP_') && v.exported && v.value !== undefined)
      .map((v) => [v.name, v.value as string]),
  )
}

describe('profile scripts: we predict the PCP_* variables bash exports', () => {
  it.each([
    ['export PCP_SECURE_SOCKETS=enforce\nexport PCP_TLSCONF_PATH="$HOME/.pcp/tls.conf"\n'],
    ["PCP_A='a b'; export PCP_A\nPCP_B=~/x export PCP_C=~/y\n"],
    ['export PCP_A=1 PCP_B\nPCP_B=2\nunset PCP_A\n# export PCP_C=3\nexport PCP_D=x#y PCP_E="#"\n'],
  ])('%j', async (text) => {
    expect(ourExports(text)).toEqual(await bashExports(text))
  })

  it('200 random and mutated scripts (fixed seed: reproducible)', async () => {
    const seeds = [
      'export PCP_SECURE_SOCKETS=enforce\nexport PCP_TLSCONF_PATH="$HOME/.pcp/tls.conf"\n',
      "PCP_A='a b'; export PCP_A\nPCP_B=~/x\nexport PCP_B\nunset PCP_C\nexport PCP_C=$HOME:$PCP_A\n",
    ]
    await fc.assert(
      fc.asyncProperty(
        fuzzTexts(seeds, 'export unset PCP_AB=$HOME"\'~/#; \n\t').filter((t) => SAFE.test(t)),
        async (text) => {
          expect(ourExports(text)).toEqual(await bashExports(text))
        },
      ),
      {numRuns: 200, seed: 20260523},
    )
  }, 60_000)
})
