import {spawnSync} from 'node:child_process'
import {mkdir, mkdtemp, rm, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import path from 'node:path'

import fc from 'fast-check'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {parsePmcdEnv, type RcShell} from '../../src/parsers/pmcd-env.js'
import {fuzzTexts} from './mutate.js'
import {SHIPPED_PMCD_ENV} from './pmcd-env.fixtures.js'

/**
 * Our reading of /etc/default/pmcd against rc_pmcd's own line, run by dash (Debian's /bin/sh) and by
 * bash in POSIX mode (RHEL's): whether the script goes on, and the PMCD and PCP variables it exports.
 */
const RC_ENV = `\`gawk --posix '/^PMCD/||/^PCP/ {print("export", $0)}' < "$1" 2>/dev/null\`
echo rc_pmcd goes on
env`

const SHELLS: Record<RcShell, string[]> = {dash: ['/bin/dash'], bash: ['/bin/bash', '--posix', '--norc']}

let dir: string
let cwd: string

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'pcp-harden-pmcd-env-'))
  cwd = path.join(dir, 'empty')
  await mkdir(cwd)
})

afterAll(async () => {
  await rm(dir, {recursive: true, force: true})
})

async function rcEnv(
  text: string,
  shell: RcShell,
): Promise<{goesOn: boolean; variables: Record<string, string>}> {
  const file = path.join(dir, 'pmcd')
  await writeFile(file, text)
  const [command = '', ...args] = SHELLS[shell]
  const result = spawnSync(command, [...args, '-c', RC_ENV, 'sh', file], {
    cwd,
    env: {PATH: '/usr/bin:/bin', LC_ALL: 'C'},
    // stdin a socket would make bash read ~/.bashrc (its rshd heuristic).
    stdio: ['ignore', 'pipe', 'pipe'],
    encoding: 'utf8',
    timeout: 10_000,
    killSignal: 'SIGKILL',
  })
  const lines = result.stdout.split('\n')
  const goesOn = lines.includes('rc_pmcd goes on')
  const variables: Record<string, string> = {}
  if (!goesOn) return {goesOn, variables}
  for (const line of lines.slice(lines.indexOf('rc_pmcd goes on') + 1)) {
    const eq = line.indexOf('=')
    if (/^(PMCD|PCP)/.test(line) && eq > 0) variables[line.slice(0, eq)] = line.slice(eq + 1)
  }
  return {goesOn, variables}
}

function ours(text: string, shell: RcShell) {
  const env = parsePmcdEnv(text, '/etc/default/pmcd', shell)
  const goesOn = !env.problems.some((p) => p.severity === 'error')
  return {
    goesOn,
    variables: goesOn
      ? Object.fromEntries(
          [...env.variables].filter(([name]) => /^(PMCD|PCP)/.test(name)).map(([name, v]) => [name, v.value]),
        )
      : {},
  }
}

const SEEDS = [
  SHIPPED_PMCD_ENV,
  'PMCD_LOCAL="1"\nPMCD_LOCAL=1 # loopback\n export PMCD_PORT=1\nPCP_A = b\nPMCD_MAXPENDING=$HOME\n',
  "PMCD_LOCAL='1'\nPCP_TLSCONF_PATH=/etc/pcp/tls.conf\nPMCDX\nPMCD-LOCAL=1\nPCP_X=a=b c\r\nPMCD_WAIT_TIMEOUT=60\n",
]

describe.each(['dash', 'bash'] as const)('rc_pmcd under %s exports what we say', (shell) => {
  it.each(SEEDS.map((s, i) => [i, s] as const))('seed %i', async (_i, text) => {
    expect(ours(text, shell)).toEqual(await rcEnv(text, shell))
  })

  it('200 random and mutated files (fixed seed: reproducible)', async () => {
    await fc.assert(
      fc.asyncProperty(fuzzTexts(SEEDS, 'PMCD_LOCAL=1PCP #"\' \n\t-$'), async (raw) => {
        // On disk as UTF-8; the shell drops NULs and would expand file name patterns (not modelled).
        const text = Buffer.from(raw.replace(/[*?[]/g, '').replaceAll('\0', ''), 'utf8').toString('utf8')
        expect(ours(text, shell), JSON.stringify(text)).toEqual(await rcEnv(text, shell))
      }),
      {numRuns: 200, seed: 20261124},
    )
  }, 120_000)
})
