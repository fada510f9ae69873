import fc from 'fast-check'
import {describe, expect, it} from 'vitest'

import {Host} from '../../src/host/host.js'
import {MemoryBackend, parseTreeSpec} from '../../src/host/tree.js'
import {atoi, parsePmcdEnv, pmcdLocal, readPmcdEnv} from '../../src/parsers/pmcd-env.js'
import {fuzzTexts} from './mutate.js'
import {SHIPPED_PMCD_ENV} from './pmcd-env.fixtures.js'

const variables = (text: string) =>
  Object.fromEntries([...parsePmcdEnv(text).variables].map(([k, v]) => [k, v.value]))

describe('the pmcd environment file as rc_pmcd exports it', () => {
  it("Debian's shipped file: PMCD_LOCAL commented out, three settings", () => {
    const env = parsePmcdEnv(SHIPPED_PMCD_ENV)
    expect([...env.variables].map(([name, {value, line}]) => [name, value, line])).toEqual([
      ['PMCD_ROOT_AGENT', '1', 17],
      ['PMCD_RESTART_AGENTS', '1', 24],
      ['PCP_NSS_INIT_MODE', 'readonly', 35],
    ])
    expect(env.problems).toEqual([])
    expect(env.ignored).toEqual([])
    expect(pmcdLocal(env)).toEqual({on: false})
  })

  it('keeps quotes: PMCD_LOCAL="1" reads as 0', () => {
    const env = parsePmcdEnv('PMCD_LOCAL="1"\n')
    expect(env.variables.get('PMCD_LOCAL')).toEqual({value: '"1"', line: 1})
    expect(pmcdLocal(env)).toEqual({on: false, line: 1})
  })

  it('PMCD_LOCAL is on for any value atoi reads as non-zero', () => {
    for (const value of ['1', '2', '-1', '+1', '01', '1abc', '1\r'])
      expect(pmcdLocal(parsePmcdEnv(`PMCD_LOCAL=${value}\n`)).on, value).toBe(true)
    for (const value of ['0', '', 'yes', 'true', "'1'", ' 1'])
      expect(pmcdLocal(parsePmcdEnv(`PMCD_LOCAL=${value}\n`)).on, value).toBe(false)
  })

  it('uses only lines that start with PMCD or PCP; the last value wins', () => {
    const env = parsePmcdEnv(
      'PMCD_LOCAL=1\n  PMCD_LOCAL=0\nexport PMCD_PORT=1\npmcd_local=0\nPCPX=a\nPMCD_LOCAL=3\n# PMCD_LOCAL=0\n',
    )
    expect(env.ignored).toEqual([
      {line: 2, text: '  PMCD_LOCAL=0'},
      {line: 3, text: 'export PMCD_PORT=1'},
      {line: 4, text: 'pmcd_local=0'},
    ])
    expect(env.variables.get('PMCD_LOCAL')).toEqual({value: '3', line: 6})
    expect(env.variables.get('PCPX')).toEqual({value: 'a', line: 5})
  })

  it('no expansion, no comments: every word is an export argument', () => {
    expect(variables('PMCD_MAXPENDING=$HOME\nPCP_A=a b\nPCP_B=x=y;z\n')).toEqual({
      PMCD_MAXPENDING: '$HOME',
      PCP_A: 'a',
      PCP_B: 'x=y;z',
    })
  })

  it('dash exits on a trailing comment: rc_pmcd stops, pmcd does not start', () => {
    const env = parsePmcdEnv('PMCD_ROOT_AGENT=1\nPMCD_LOCAL=1   # loopback only\n')
    expect(env.problems).toEqual([
      {
        line: 2,
        severity: 'error',
        message:
          'a trailing comment is not a comment here: "#" goes to "export" as a variable name; dash says ' +
          '"export: #: bad variable name" and exits, so rc_pmcd stops and pmcd is not started',
      },
    ])
  })

  it('bash complains and goes on', () => {
    const env = parsePmcdEnv('PMCD_LOCAL = 1\n', '/etc/sysconfig/pmcd', 'bash')
    expect(env.problems).toEqual([
      {
        line: 1,
        severity: 'warning',
        message:
          '"=" goes to "export" as a variable name; bash rejects it ("not a valid identifier") and goes on: ' +
          'the line does not set what it says',
      },
    ])
    expect(pmcdLocal(env).on).toBe(false)
  })

  it('atoi as glibc', () => {
    expect([atoi('12abc'), atoi('  -3'), atoi('x'), atoi('4294967297'), atoi('"1"')]).toEqual([
      12, -3, 0, 1, 0,
    ])
  })
})

describe('readPmcdEnv: which file, which shell', () => {
  const host = (entries: string) =>
    new Host(new MemoryBackend(parseTreeSpec(`entries:\n${entries}`, 't'), 't'))

  it('/etc/default/pmcd under dash (Debian)', async () => {
    const env = await readPmcdEnv(
      host(
        '  - {path: /etc/default/pmcd, content: "PMCD_LOCAL=1 #\\n"}\n  - {path: /bin/sh, target: dash}\n',
      ),
    )
    expect(env).toMatchObject({path: '/etc/default/pmcd', shell: 'dash', present: true})
  })

  it('/etc/sysconfig/pmcd; /bin/sh a link to bash', async () => {
    const env = await readPmcdEnv(
      host(
        '  - {path: /etc/sysconfig/pmcd, content: "PMCD_LOCAL=1\\n"}\n  - {path: /usr/bin/sh, target: bash}\n',
      ),
    )
    expect(env).toMatchObject({path: '/etc/sysconfig/pmcd', shell: 'bash'})
  })

  it('no file: empty, at the path the distribution uses', async () => {
    expect(await readPmcdEnv(host('  - {path: /etc/sysconfig, type: dir}\n'))).toMatchObject({
      path: '/etc/sysconfig/pmcd',
      present: false,
      shell: 'bash',
    })
  })
})

const lineCount = (text: string) => text.split('\n').length

describe('the environment parser never throws, and every line it reports is in the file', () => {
  it('random and mutated inputs', () => {
    const seeds = [SHIPPED_PMCD_ENV, 'PMCD_LOCAL="1"\nPMCD_LOCAL=1 # c\n export PMCD_PORT=1\nPCP_A = b\n']
    fc.assert(
      fc.property(
        fuzzTexts(seeds, 'PMCD_LOCAL=1PCP #"\' \n\t-'),
        fc.constantFrom('dash', 'bash'),
        (text, shell) => {
          const env = parsePmcdEnv(text, '/etc/default/pmcd', shell as 'dash' | 'bash')
          for (const item of [...env.ignored, ...env.problems, ...env.variables.values()]) {
            expect(item.line).toBeGreaterThanOrEqual(1)
            expect(item.line).toBeLessThanOrEqual(lineCount(text))
          }
          for (const name of env.variables.keys()) expect(name).toMatch(/^[A-Za-z_][A-Za-z0-9_]*$/)
          expect(env.problems.every((p) => p.severity === (shell === 'dash' ? 'error' : 'warning'))).toBe(
            true,
          )
        },
      ),
      {numRuns: 200},
    )
  })
})
