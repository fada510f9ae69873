import fc from 'fast-check'
import {describe, expect, it} from 'vitest'

import {
  type EnvFile,
  type EnvVariable,
  evaluateEnvironment,
  parseEnvironmentFile,
  parseShellProfile,
} from '../../src/parsers/pcp-env.js'
import {fuzzTexts} from './mutate.js'

const HOME: EnvVariable = {
  name: 'HOME',
  value: '/home/alice',
  exported: true,
  path: '/etc/passwd',
  line: 4,
  conditional: false,
  uncertain: false,
}

/** What a login session of alice sees after these files. */
function session(...files: EnvFile[]): Map<string, EnvVariable> {
  return evaluateEnvironment(files, new Map([['HOME', HOME]]))
}

const valueOf = (file: EnvFile, name: string) => session(file).get(name)?.value

describe('parseEnvironmentFile: /etc/environment as pam_env reads it', () => {
  it.each([
    ['plain', 'PCP_SECURE_SOCKETS=enforce\n', 'enforce'],
    ['double quotes go', 'PCP_SECURE_SOCKETS="enforce"\n', 'enforce'],
    ['single quotes go', "PCP_SECURE_SOCKETS='enforce'\n", 'enforce'],
    ['a leading export is skipped', 'export PCP_SECURE_SOCKETS=enforce\n', 'enforce'],
    ['a "#" anywhere ends the line', 'PCP_SECURE_SOCKETS=enforce#relaxed\n', 'enforce'],
    ['trailing blanks stay', 'PCP_SECURE_SOCKETS=enforce  \n', 'enforce  '],
    ['nothing is expanded', 'PCP_TLSCONF_PATH=$HOME/.pcp/tls.conf\n', '$HOME/.pcp/tls.conf'],
    ['a backslash continues the line', 'PCP_TLSCONF_PATH=/etc/pcp/\\\ntls.conf\n', '/etc/pcp/ tls.conf'],
    ['the last line wins', 'PCP_SECURE_SOCKETS=relaxed\nPCP_SECURE_SOCKETS=enforce\n', 'enforce'],
  ])('%s', (_name, text, expected) => {
    const file = parseEnvironmentFile(text)
    expect(valueOf(file, file.statements[0]?.name ?? '')).toBe(expected)
    expect(session(file).get(file.statements[0]?.name ?? '')?.exported).toBe(true)
  })

  it('a bare name unsets; a non-alphanumeric name is reported and ignored', () => {
    const file = parseEnvironmentFile('PCP_X=1\nPCP_X\nPCP-Y=1\n=2\n')
    expect(file.statements.map((s) => [s.kind, s.name, s.line])).toEqual([
      ['assign', 'PCP_X', 1],
      ['unset', 'PCP_X', 2],
    ])
    expect(file.problems.map((p) => p.line)).toEqual([3, 4])
    expect(session(file).has('PCP_X')).toBe(false)
  })

  it('drops a last line that a backslash continues', () => {
    const file = parseEnvironmentFile('PCP_SECURE_SOCKETS=enforce\\\n')
    expect(file.statements).toEqual([])
    expect(file.problems).toEqual([{line: 1, message: 'the file ends in a continued line: pam_env drops it'}])
  })
})

describe('parseShellProfile: profile.d scripts and ~/.profile', () => {
  const shell = (text: string) => parseShellProfile(text, '/etc/profile.d/pcp.sh')

  it.each([
    ['export NAME=value', 'export PCP_SECURE_SOCKETS=enforce\n', 'enforce', true],
    [
      'double quotes with $HOME',
      'export PCP_TLSCONF_PATH="$HOME/.pcp/tls.conf"\n',
      '/home/alice/.pcp/tls.conf',
      true,
    ],
    ['${HOME}', 'export PCP_TLSCONF_PATH=${HOME}/.pcp/tls.conf\n', '/home/alice/.pcp/tls.conf', true],
    ['a leading ~/', 'export PCP_TLSCONF_PATH=~/.pcp/tls.conf\n', '/home/alice/.pcp/tls.conf', true],
    ['single quotes are literal', "export PCP_TLSCONF_PATH='$HOME/x'\n", '$HOME/x', true],
    ['assigned, then exported', 'PCP_SECURE_SOCKETS=enforce\nexport PCP_SECURE_SOCKETS\n', 'enforce', true],
    ['exported, then assigned', 'export PCP_SECURE_SOCKETS\nPCP_SECURE_SOCKETS=enforce\n', 'enforce', true],
    ['assigned only', 'PCP_SECURE_SOCKETS=enforce\n', 'enforce', false],
    ['declare -x', 'declare -x PCP_SECURE_SOCKETS=enforce\n', 'enforce', true],
    ['after ";"', 'true; export PCP_SECURE_SOCKETS=enforce\n', 'enforce', true],
    ['a comment after the value', 'export PCP_SECURE_SOCKETS=enforce # TLS only\n', 'enforce', true],
    ['an escaped blank', 'export PCP_TLSCONF_PATH=/my\\ dir/tls.conf\n', '/my dir/tls.conf', true],
  ])('%s', (_name, text, value, exported) => {
    const variable = session(shell(text)).get(
      text.includes('TLSCONF') ? 'PCP_TLSCONF_PATH' : 'PCP_SECURE_SOCKETS',
    )
    expect(variable?.value).toBe(value)
    expect(variable?.exported).toBe(exported)
    expect(variable?.path).toBe('/etc/profile.d/pcp.sh')
  })

  it('an assignment before a command reaches only that command', () => {
    expect(shell('PCP_SECURE_SOCKETS=enforce pminfo -f kernel.all.load\n').statements).toEqual([])
  })

  it('unset removes', () => {
    expect(
      session(shell('export PCP_SECURE_SOCKETS=enforce\nunset PCP_SECURE_SOCKETS\n')).has(
        'PCP_SECURE_SOCKETS',
      ),
    ).toBe(false)
  })

  it('marks statements inside if, case, loops and functions as conditional, with their lines', () => {
    const file = shell(
      'if [ -n "$PS1" ]; then\n  export PCP_A=1\nfi\nexport PCP_B=2\nf() {\n  export PCP_C=3\n}\ncase $x in\n  y) export PCP_D=4 ;;\nesac\n',
    )
    expect(file.statements.map((s) => [s.name, s.line, s.conditional])).toEqual([
      ['PCP_A', 2, true],
      ['PCP_B', 4, false],
      ['PCP_C', 6, true],
      ['PCP_D', 9, true],
    ])
  })

  it('skips here-documents and redirections', () => {
    const file = shell('cat > /tmp/x <<EOF\nexport PCP_A=1\nEOF\nexport PCP_B=2 2>/dev/null\n')
    expect(file.statements.map((s) => [s.name, s.line])).toEqual([['PCP_B', 4]])
  })

  it('values from commands or unknown variables are uncertain', () => {
    const env = session(shell('export PCP_A="$(cat /etc/x)"\nexport PCP_B=$UNKNOWN/x\nexport PCP_C=$HOME\n'))
    expect([env.get('PCP_A')?.uncertain, env.get('PCP_B')?.uncertain, env.get('PCP_C')?.uncertain]).toEqual([
      true,
      true,
      false,
    ])
    expect(env.get('PCP_B')?.value).toBe('/x')
  })

  it('later files win over earlier ones', () => {
    const system = parseEnvironmentFile('PCP_SECURE_SOCKETS=enforce\n')
    const user = parseShellProfile('PCP_SECURE_SOCKETS=relaxed\n', '/home/alice/.profile')
    const variable = session(system, user).get('PCP_SECURE_SOCKETS')
    // Already exported by pam_env, so the shell assignment is exported too.
    expect(variable).toMatchObject({value: 'relaxed', exported: true, path: '/home/alice/.profile', line: 1})
  })
})

describe('the environment parsers never throw, and every line they name is in the file', () => {
  const seeds = [
    'export PCP_SECURE_SOCKETS=enforce\nexport PCP_TLSCONF_PATH="$HOME/.pcp/tls.conf"\n',
    "if [ x ]; then\n  PCP_A='a b' ; export PCP_A\nfi\ncat <<EOF\nx\nEOF\n",
    'PCP_ALLOW_BAD_CERT_DOMAIN=1\nexport X="${Y:-z}" `date` $(echo \\")\n',
  ]
  const alphabet = 'export PCP_=$"\'`(){};#\\\n\t~/HOME<>|&'

  it.each([
    ['/etc/environment', (text: string) => parseEnvironmentFile(text)],
    ['shell profiles', (text: string) => parseShellProfile(text, '/etc/profile')],
  ])('%s', (_name, parse) => {
    fc.assert(
      fc.property(fuzzTexts(seeds, alphabet), (text) => {
        const file = parse(text)
        const lines = text.split('\n').length
        for (const item of [...file.statements, ...file.problems]) {
          expect(item.line).toBeGreaterThanOrEqual(1)
          expect(item.line).toBeLessThanOrEqual(lines)
        }
        session(file)
      }),
      {numRuns: 200},
    )
  })
})
