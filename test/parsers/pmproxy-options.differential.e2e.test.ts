import {spawnSync} from 'node:child_process'
import {existsSync, readFileSync} from 'node:fs'
import {mkdir, mkdtemp, rm, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import path from 'node:path'

import fc from 'fast-check'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {parsePmproxySysconfig, rcWords} from '../../src/parsers/pmproxy-options.js'
import {fuzzTexts} from './mutate.js'

/**
 * Our reading of $PCP_SYSCONFIG_DIR/pmproxy against rc_pmproxy's own line (Debian's pcp 6.0.3
 * /etc/init.d/pmproxy), run by dash as Debian's /bin/sh and by bash as RHEL's: the environment it
 * leaves, or that it stops. The shell runs in an empty directory, so no word globs to a file.
 */
const RC_ENV =
  "PMPROXYENVS=$1\n`sed -n 's/^PMPROXY/export PMPROXY/p' < $PMPROXYENVS 2>/dev/null`\n/usr/bin/env"
const DEFAULTS = existsSync('/etc/default/pmproxy') ? readFileSync('/etc/default/pmproxy', 'utf8') : ''

let dir: string
let cwd: string

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'pcp-harden-pmproxy-env-'))
  cwd = path.join(dir, 'empty')
  await mkdir(cwd)
})

afterAll(async () => {
  await rm(dir, {recursive: true, force: true})
})

/** The environment rc_pmproxy gives pmproxy, or undefined when the script stops. */
async function realEnvironment(shell: string, text: string): Promise<Map<string, string> | undefined> {
  const file = path.join(dir, 'pmproxy')
  await writeFile(file, text)
  const run = spawnSync(shell, ['-c', RC_ENV, 'rc', file], {
    cwd,
    env: {PATH: '/usr/bin:/bin', LC_ALL: 'C'},
    encoding: 'utf8',
  })
  if (run.status !== 0) return undefined
  return new Map(
    run.stdout
      .split('\n')
      .filter(Boolean)
      .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
  )
}

const baselines: Partial<Record<'dash' | 'bash', Map<string, string>>> = {}

/** The same, as we predict it: the shell's own environment with our exports applied. */
async function ourEnvironment(
  shell: 'dash' | 'bash',
  text: string,
): Promise<Map<string, string> | undefined> {
  const parsed = parsePmproxySysconfig(
    text,
    shell === 'dash' ? '/etc/default/pmproxy' : '/etc/sysconfig/pmproxy',
  )
  if (shell === 'dash' && parsed.problems.length > 0) return undefined
  baselines[shell] ??= (await realEnvironment(shell, '')) as Map<string, string>
  const env = new Map(baselines[shell])
  for (const s of parsed.settings) env.set(s.name, s.value)
  return env
}

const seeds = [
  DEFAULTS,
  'PMPROXY_LOCAL=1\n',
  'PMPROXY_LOCAL="1"\nPMPROXY_MAXPENDING=5 # five\n',
  "PMPROXY_LOCAL=1 PMPROXY_PORT='44322'\n PMPROXY_X=2\nPMPROXY\n",
]

describe.each(['dash', 'bash'] as const)(
  '$PCP_SYSCONFIG_DIR/pmproxy under %s: we predict what rc_pmproxy exports',
  (shell) => {
    it.each(seeds.map((s, i) => [i, s]))('case %d', async (_index, text) => {
      expect(await ourEnvironment(shell, text)).toEqual(await realEnvironment(shell, text))
    })

    it('200 random and mutated files (fixed seed: reproducible)', async () => {
      await fc.assert(
        fc.asyncProperty(fuzzTexts(seeds, 'PMPROXY_LOCAL=1 #"\'\n\t-x$'), async (text) => {
          expect(await ourEnvironment(shell, text)).toEqual(await realEnvironment(shell, text))
        }),
        {numRuns: 200, seed: 20260523},
      )
    }, 60_000)
  },
)

/** rc_pmproxy's lines, verbatim: the options it builds, then the words the unquoted $OPTS splits into. */
const RC_WORDS = `OPTS=\`sed < "$1" 2>/dev/null \\
    -e '/^[^-]/d' \\
    -e 's/^/ /' \\
    -e 's/$/ /' \\
    -e 's/ -f / /g' \\
    -e 's/^ //' \\
    -e 's/ $//' \\
  | tr '\\012' ' ' \`
for word in $OPTS; do printf '%s\\n' "$word"; done`

describe('pmproxy.options: we split it into the words rc_pmproxy passes', () => {
  it('200 random and mutated files (fixed seed: reproducible)', async () => {
    const file = path.join(dir, 'pmproxy.options')
    const options = [
      '-A\n-i 127.0.0.1 -f\n-f -f\n\t-i 10.1.2.5\n-i "x y" # z\n',
      '-f\n  -A\nPMPROXY_LOCAL=1\n-l\t/tmp/x',
    ]
    await fc.assert(
      fc.asyncProperty(
        fuzzTexts(options, '-fAi \t\n#"x1').filter((t) => !t.includes('\u0000')),
        async (text) => {
          await writeFile(file, text)
          const run = spawnSync('/bin/sh', ['-c', RC_WORDS, 'rc', file], {
            cwd,
            env: {PATH: '/usr/bin:/bin'},
            encoding: 'utf8',
          })
          expect(rcWords(text).map((w) => w.word)).toEqual(run.stdout.split('\n').filter(Boolean))
        },
      ),
      {numRuns: 200, seed: 20260523},
    )
  }, 60_000)
})
