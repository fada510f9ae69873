import fc from 'fast-check'
import {describe, expect, it} from 'vitest'

import {
  classifyInterface,
  parseCLong,
  parsePmcdArgv,
  parsePmcdOptions,
  rcOptionWords,
  toCInt,
} from '../../src/parsers/pmcd-options.js'
import {fuzzTexts} from './mutate.js'
import {SHIPPED_PMCD_OPTIONS} from './pmcd-options.fixtures.js'

const argv = (...words: string[]) => words.map((text) => ({text, line: 1}))
const verdict = (...words: string[]) => parsePmcdArgv(argv(...words)).verdict

/** Seed 000's pmcd.options lines, all in one file. */
const SEED_000 = `-l ssl
-c /etc/pcp/ssl/pmcd.crt
-k /etc/pcp/ssl/pmcd.key
-C /etc/pcp/ssl/ca.crt
`

describe('pmcd.options as rc_pmcd reads it', () => {
  it("Debian's shipped file: only -A is active", () => {
    const options = parsePmcdOptions(SHIPPED_PMCD_OPTIONS)
    expect(options.argv).toEqual([{text: '-A', line: 23}])
    expect(options.options).toEqual([{letter: 'A', name: '-A', line: 23}])
    expect(options.ignored).toEqual([])
    expect(options.problems).toEqual([])
    expect(options.verdict).toBe('accepted')
  })

  it('keeps the line of every option, its value included', () => {
    const options = parsePmcdOptions('# c\n-A\n\n-i 10.1.2.5\n-i ::1 -Q\n--port=44321\n')
    expect(options.options).toEqual([
      {letter: 'A', name: '-A', line: 2},
      {letter: 'i', name: '-i', value: '10.1.2.5', line: 4},
      {letter: 'i', name: '-i', value: '::1', line: 5},
      {letter: 'Q', name: '-Q', line: 5},
      {letter: 'p', name: '--port', value: '44321', line: 6},
    ])
  })

  it('drops indented lines and lines that do not start with "-", and lists them (not comments)', () => {
    const options = parsePmcdOptions('-A\n  -i 10.1.2.5\n\t-Q\nPCD_HOST=localhost\n   # note\n\n')
    expect(options.ignored).toEqual([
      {line: 2, text: '  -i 10.1.2.5'},
      {line: 3, text: '\t-Q'},
      {line: 4, text: 'PCD_HOST=localhost'},
    ])
    expect(options.options.map((o) => o.letter)).toEqual(['A'])
  })

  it('a trailing comment reaches pmcd as arguments: pmcd --verify fails', () => {
    const options = parsePmcdOptions('-A\n-i 10.1.2.5   # monitoring network\n-Q\n')
    expect(options.verdict).toBe('rejected')
    expect(options.problems).toEqual([
      {
        line: 2,
        severity: 'error',
        message:
          'a trailing comment: rc_pmcd does not strip it, so pmcd gets "#" and the words after it as arguments; ' +
          'pmcd prints its usage and exits 1: "pmcd --verify" fails and the rc script does not start pmcd',
      },
    ])
    // POSIX order: the options after the comment are never read.
    expect(options.options.map((o) => o.letter)).toEqual(['A', 'i'])
  })

  it('removes a separate -f, as rc_pmcd does, but not -Af or --foreground', () => {
    expect(rcOptionWords('-f\n-A -f\n-f -f\n-Af\n--foreground\n').words.map((w) => w.text)).toEqual([
      '-A',
      '-f',
      '-Af',
      '--foreground',
    ])
    const options = parsePmcdOptions('-f /var/log/pcp/pmcd.log\n')
    expect(options.foregroundRemoved).toEqual([1])
    expect(options.problems[0]?.message).toMatch(
      /^"\/var\/log\/pcp\/pmcd.log" reaches pmcd as an argument: rc_pmcd removed the -f/,
    )
  })

  it('keeps quotes, and says so', () => {
    const options = parsePmcdOptions('-U "pcp"\n')
    expect(options.options[0]?.value).toBe('"pcp"')
    expect(options.problems).toEqual([
      {
        line: 1,
        severity: 'warning',
        message: 'quotes are not removed: pmcd gets "pcp" with its quote characters',
      },
    ])
  })

  it('CRLF line ends: the \\r sticks to the last word and pmcd exits with its usage', () => {
    const options = parsePmcdOptions('-A\r\n')
    expect(options.verdict).toBe('usage')
    expect(options.problems[0]?.message).toMatch(
      /^-\r is not a pmcd option: pmcd prints its usage and exits without starting/,
    )
  })

  it('-v makes pmcd check and exit: it never starts', () => {
    const options = parsePmcdOptions('-A\n-v\n')
    expect(options.verdict).toBe('accepted')
    expect(options.problems).toEqual([expect.objectContaining({line: 2, severity: 'error'})])
  })

  it('warns of an -i pmcd cannot bind and of a -c elsewhere', () => {
    const options = parsePmcdOptions(
      '-i monitor.example\n-c /etc/pcp/pmcd/other.conf\n-c /etc/pcp/pmcd/pmcd.conf\n',
    )
    expect(options.problems.map((p) => [p.line, p.severity, p.message.slice(0, 40)])).toEqual([
      [1, 'warning', 'pmcd cannot listen on "monitor.example":'],
      [2, 'warning', 'pmcd reads its agents and [access] rules'],
    ])
  })

  it("seed 000's TLS options: -l is the log, -c the pmcd.conf, -k unknown, and pmcd stops reading there", () => {
    const options = parsePmcdOptions(SEED_000)
    expect(options.options).toEqual([
      {letter: 'l', name: '-l', value: 'ssl', line: 1},
      {letter: 'c', name: '-c', value: '/etc/pcp/ssl/pmcd.crt', line: 2},
    ])
    expect(options.unknown).toEqual([{name: '-k', line: 3}])
    expect(options.verdict).toBe('usage')
    expect(options.problems.map((p) => [p.line, p.severity])).toEqual([
      [2, 'warning'],
      [3, 'error'],
      [3, 'error'],
    ])
  })
})

describe("pmcd's getopt", () => {
  it.each([
    [['-A', '-Q', '-S', '-i', '10.1.2.5', '-i', '::1'], 'accepted'],
    [['-AQi10.1.2.5'], 'accepted'],
    [['--interf=10.1.2.5', '--remotecert', '--reqauth', '--log', 'x'], 'accepted'],
    [['-a', 'x'], 'usage'],
    [['-C', '/etc/pcp/ssl/ca.crt'], 'usage'],
    [['-M', 'name'], 'usage'],
    [['-i'], 'usage'],
    [['--re'], 'usage'],
    [['--foreground=1'], 'usage'],
    [['-?'], 'usage'],
    [['--help'], 'usage'],
    [['-:'], 'usage'],
    [['-A', 'x'], 'rejected'],
    [['--', '-A'], 'rejected'],
    [['-'], 'rejected'],
    [['-a', 'x', '-p', 'abc'], 'usage'],
  ] as const)('%j: %s', (words, expected) => {
    expect(verdict(...words)).toBe(expected)
  })

  it.each([
    ['-p', '44321,44322', 'accepted'],
    ['-p', '44321,', 'accepted'],
    ['-p', '0x10', 'accepted'],
    ['-p', '0', 'accepted'],
    ['-p', '-5', 'rejected'],
    ['-p', '1,abc', 'rejected'],
    ['-L', '16k', 'accepted'],
    ['-L', '0', 'rejected'],
    ['-L', '2147483648', 'rejected'],
    ['-L', '4294967297', 'accepted'],
    ['-q', '', 'rejected'],
    ['-q', '+5', 'accepted'],
    ['-q', '5s', 'rejected'],
    ['-t', '', 'accepted'],
    ['-t', '0', 'accepted'],
    ['-t', '-1', 'rejected'],
    ['-t', '2147483648', 'rejected'],
    ['-T', '99999999999', 'accepted'],
    ['-D', 'fetch,PMNS', 'accepted'],
    ['-D', 'fetch,', 'accepted'],
    ['-D', 'fetch,,pmns', 'rejected'],
    ['-D', 'all', 'accepted'],
    ['-D', '-1', 'accepted'],
    ['-D', '1,2', 'accepted'],
    ['-D', '0x10', 'rejected'],
    ['-D', 'none', 'rejected'],
    ['-D', '', 'accepted'],
  ])('%s %j: %s', (option, value, expected) => {
    expect(verdict(option, value)).toBe(expected)
  })

  it("words in pmcd's message about a bad value", () => {
    expect(parsePmcdArgv(argv('-p', 'abc')).problems[0]?.message).toBe(
      '-p abc: pmcd says "-p requires a positive numeric argument (abc)"; pmcd prints its usage and exits 1: ' +
        '"pmcd --verify" fails and the rc script does not start pmcd',
    )
  })
})

describe('C number parsing', () => {
  it.each([
    ['42', 10, 42n, 2],
    ['  -7x', 10, -7n, 4],
    ['0x1F', 0, 31n, 4],
    ['0x', 0, 0n, 1],
    ['017', 0, 15n, 3],
    ['08', 0, 0n, 1],
    ['abc', 10, 0n, 0],
    ['+', 10, 0n, 0],
    ['99999999999999999999', 10, 2n ** 63n - 1n, 20],
  ] as const)('strtol(%j, %d)', (text, base, value, end) => {
    expect(parseCLong(text, base)).toEqual({value, end})
  })

  it('casts to int as C does', () => {
    expect(toCInt(2n ** 31n)).toBe(-(2 ** 31))
    expect(toCInt(2n ** 32n + 1n)).toBe(1)
  })
})

describe('-i addresses', () => {
  it.each([
    ['10.1.2.5', 'address'],
    ['0.0.0.0', 'any'],
    ['INADDR_ANY', 'any'],
    ['::', 'any'],
    ['0:0::0', 'any'],
    ['127.0.0.1', 'loopback'],
    ['INADDR_LOOPBACK', 'loopback'],
    ['0::1', 'loopback'],
    ['fe80::1%eth0', 'address'],
    ['010.1.2.5', 'invalid'],
    ['monitor.example', 'invalid'],
    ['10.1.2.0/24', 'invalid'],
  ] as const)('%s is %s', (address, kind) => {
    expect(classifyInterface(address)).toBe(kind)
  })
})

const lineCount = (text: string) => text.split('\n').length

describe('the pmcd.options parser never throws, and every line it reports is in the file', () => {
  it('random and mutated inputs', () => {
    const seeds = [
      SHIPPED_PMCD_OPTIONS,
      SEED_000,
      '-A\n-Q # c\n  -i 10.1.2.5\n-f /x\n-p 1,2 -D fetch\n--interf=::1\n',
    ]
    fc.assert(
      fc.property(fuzzTexts(seeds, '-AQSfivlcpDUx #"\'\n\t10.:=,'), (text) => {
        const options = parsePmcdOptions(text)
        const lines = lineCount(text)
        for (const item of [
          ...options.argv,
          ...options.options,
          ...options.ignored,
          ...options.problems,
          ...options.unknown,
        ]) {
          expect(item.line).toBeGreaterThanOrEqual(1)
          expect(item.line).toBeLessThanOrEqual(lines)
        }
        for (const word of options.argv) expect(word.text).not.toMatch(/[ \t\n]|^$/)
        expect(options.verdict === 'accepted').toBe(
          !options.problems.some(
            (p) => p.severity === 'error' && !p.message.includes('check its configuration'),
          ),
        )
      }),
      {numRuns: 200},
    )
  })
})
