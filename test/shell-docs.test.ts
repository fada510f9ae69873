import {execFile} from 'node:child_process'
import {mkdtemp, readFile, rm} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import path from 'node:path'
import {promisify} from 'node:util'

import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {REPO} from './cli/run-cli.js'

const run = promisify(execFile)
const FILES = ['completions/pcp-harden.bash', 'completions/_pcp-harden', 'man/pcp-harden.1']

it('the completions and the man page are what the build generates from the current manifest', async () => {
  const dir = await mkdtemp(path.join(tmpdir(), 'pcp-harden-shell-docs-'))
  try {
    await run(process.execPath, [path.join(REPO, 'scripts/shell-docs.js'), dir], {timeout: 30_000})
    for (const file of FILES)
      expect(await readFile(path.join(dir, file), 'utf8'), file).toBe(
        await readFile(path.join(REPO, file), 'utf8'),
      )
  } finally {
    await rm(dir, {recursive: true, force: true})
  }
}, 60_000)

/** What bash's completion function offers for the words typed, the last one being completed. */
async function complete(...words: string[]): Promise<string[]> {
  const script = `source ${JSON.stringify(path.join(REPO, 'completions/pcp-harden.bash'))}
COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); _pcp_harden; printf '%s\\n' "\${COMPREPLY[@]}"`
  const {stdout} = await run('bash', ['--norc', '-c', script, 'bash', ...words], {cwd: REPO, timeout: 10_000})
  return stdout.split('\n').filter((line) => line !== '')
}

/** The topics and commands a first word completes to, in the manifest's order. */
const FIRST_WORDS = [
  'access',
  'cert',
  'checks',
  'decommission',
  'help',
  'keys',
  'logs',
  'lxc',
  'probe',
  'rotate-keys',
  'tls',
  'unit',
  'verify',
  'version',
]

describe('bash completion, run in bash', () => {
  it('the first word: topics and commands', async () => {
    expect(await complete('pcp-harden', '')).toEqual(FIRST_WORDS)
    expect(await complete('pcp-harden', 've')).toEqual(['verify', 'version'])
  })

  it("a topic's commands", async () => {
    expect(await complete('pcp-harden', 'cert', '')).toEqual(['check', 'init', 'issue'])
  })

  it("a command's flags", async () => {
    expect(await complete('pcp-harden', 'verify', '--f')).toEqual([
      '--format',
      '--fail-on',
      '--fail-on-new',
      '--fix',
    ])
    expect(await complete('pcp-harden', 'access', 'lint', '--')).toEqual([
      '--root',
      '--format',
      '--explain',
      '--help',
    ])
  })

  it('profiles, formats and check ids as flag values and arguments', async () => {
    expect(await complete('pcp-harden', 'verify', '--profile', 'pulse-')).toEqual([
      'pulse-proxy',
      'pulse-agent',
      'pulse-container',
    ])
    expect(await complete('pcp-harden', 'verify', '--format', 'j')).toEqual(['json', 'junit'])
    expect(await complete('pcp-harden', 'verify', '--skip', 'PSP-KEYS-00')).toEqual(
      Array.from({length: 9}, (_, i) => `PSP-KEYS-00${i + 1}`),
    )
    expect(await complete('pcp-harden', 'checks', 'explain', 'PCP-ACCESS-00')).toContain('PCP-ACCESS-001')
  })

  it('paths where a flag or argument names a file or directory', async () => {
    expect(await complete('pcp-harden', 'verify', '--root', 'tem')).toEqual(['templates'])
    expect(await complete('pcp-harden', 'keys', 'lint', 'package.j')).toEqual(['package.json'])
  })
})

describe('zsh completion, run in zsh', () => {
  let dir: string
  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'pcp-harden-zsh-'))
    // compinit's dump, written once (scanning every completion function takes seconds on a busy machine).
    const completions = JSON.stringify(path.join(REPO, 'completions'))
    await run(
      'zsh',
      [
        '-f',
        '-c',
        `fpath=(${completions} $fpath); autoload -Uz compinit && compinit -u -d "$1"`,
        'zsh',
        dump(),
      ],
      {timeout: 100_000},
    )
  })
  const dump = () => path.join(dir, 'zcompdump')
  afterAll(async () => {
    await rm(dir, {recursive: true, force: true})
  })

  /**
   * What zsh's completion system offers when Tab is pressed after `line`, sorted: a real zsh in a
   * pseudo-terminal with compinit and our _pcp-harden (test/helpers/zsh-complete.zsh).
   */
  async function zshComplete(line: string): Promise<string[]> {
    const {stdout} = await run(
      'zsh',
      ['-f', path.join(REPO, 'test/helpers/zsh-complete.zsh'), path.join(REPO, 'completions'), dump(), line],
      {cwd: REPO, timeout: 25_000},
    )
    return stdout
      .split('\n')
      .filter((l) => l !== '')
      .sort()
  }

  it('the first word: topics and commands', async () => {
    expect(await zshComplete('pcp-harden ')).toEqual([...FIRST_WORDS].sort())
    expect(await zshComplete('pcp-harden ve')).toEqual(['verify', 'version'])
  })

  it("a topic's commands", async () => {
    expect(await zshComplete('pcp-harden cert ')).toEqual(['check', 'init', 'issue'])
  })

  it("a command's flags, of a one-word command and of a topic's command", async () => {
    expect(await zshComplete('pcp-harden verify --f')).toEqual([
      '--fail-on',
      '--fail-on-new',
      '--fix',
      '--format',
    ])
    expect(await zshComplete('pcp-harden access lint --')).toEqual([
      '--explain',
      '--format',
      '--help',
      '--root',
    ])
  })

  it('profiles, formats and check ids as flag values and arguments', async () => {
    expect(await zshComplete('pcp-harden verify --profile pulse-')).toEqual([
      'pulse-agent',
      'pulse-container',
      'pulse-proxy',
    ])
    expect(await zshComplete('pcp-harden verify --format j')).toEqual(['json', 'junit'])
    expect(await zshComplete('pcp-harden verify --format=j')).toEqual(['json', 'junit'])
    expect(await zshComplete('pcp-harden verify --skip PSP-KEYS-00')).toEqual(
      Array.from({length: 9}, (_, i) => `PSP-KEYS-00${i + 1}`),
    )
    expect(await zshComplete('pcp-harden checks explain PCP-ACCESS-00')).toContain('PCP-ACCESS-001')
  })

  it('paths where a flag or argument names a file or directory', async () => {
    expect(await zshComplete('pcp-harden verify --root tem')).toEqual(['templates'])
    expect(await zshComplete('pcp-harden keys lint package.j')).toEqual(['package.json'])
  })
})

it('man renders pcp-harden(1) without warnings', async () => {
  const {stdout, stderr} = await run('man', ['--warnings', '-l', path.join(REPO, 'man/pcp-harden.1')], {
    env: {...process.env, MANWIDTH: '80', MANPAGER: 'cat', PAGER: 'cat'},
    timeout: 30_000,
  })
  expect(stderr).toBe('')
  expect(stdout).toContain('pcp-harden verify')
  expect(stdout).toContain('EXIT STATUS')
})
