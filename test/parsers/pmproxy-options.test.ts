import fc from 'fast-check'
import {describe, expect, it} from 'vitest'

import {atoi, parsePmproxyOptions, parsePmproxySysconfig} from '../../src/parsers/pmproxy-options.js'
import {fuzzTexts} from './mutate.js'

/** Debian's pcp 6.0.3 /etc/pcp/pmproxy/pmproxy.options. */
const SHIPPED = `# command-line options and environment variables for pmproxy
# uncomment/edit lines as required

# run in the foreground
# -f

# disable service advertising (comment out to enable)
-A

# restrict PCP monitoring client connections to these interfaces
# -i gateway-public-0.foo.bar.com
# -i gateway-public-1.foo.bar.com

# make log go someplace else
# -l /some/place/else

# maximum incoming PDU size (default 64KB)
# -L 16384 

# assume identity of some user other than "pcp"
# -U nobody

# emergency messages before logfile created
# -x /tmp/desperate.log
`

const interfaces = (text: string) =>
  parsePmproxyOptions(text)
    .options.filter((o) => o.option === 'i')
    .map((o) => o.value)

describe('parsePmproxyOptions: the command line rc_pmproxy builds', () => {
  it('the shipped file sets only -A', () => {
    expect(parsePmproxyOptions(SHIPPED)).toEqual({
      path: '/etc/pcp/pmproxy/pmproxy.options',
      options: [{option: 'A', line: 8}],
      ignored: [],
      problems: [],
    })
  })

  it.each([
    ['-i ADDR', '-i 127.0.0.1\n', ['127.0.0.1']],
    ['-iADDR', '-i127.0.0.1\n', ['127.0.0.1']],
    ['clustered after a flag', '-Ai 10.1.2.5\n', ['10.1.2.5']],
    ['--interface=ADDR', '--interface=10.1.2.5\n', ['10.1.2.5']],
    ['--interface ADDR', '--interface 10.1.2.5\n', ['10.1.2.5']],
    ['repeated, over lines', '-i 127.0.0.1\n-i ::1\n', ['127.0.0.1', '::1']],
    ['quotes stay literal', '-i "127.0.0.1"\n', ['"127.0.0.1"']],
    ['indented lines are not options', '  -i 10.1.2.5\n', []],
  ])('%s', (_name, text, expected) => {
    expect(interfaces(text)).toEqual(expected)
  })

  it('drops a standalone -f, as the rc script does', () => {
    expect(parsePmproxyOptions('-f\n-A\n').options).toEqual([{option: 'A', line: 2}])
  })

  it('keeps a second -f (sed replaces " -f " without overlaps), which pmproxy refuses after -F', () => {
    expect(parsePmproxyOptions('-f -f\n').problems).toEqual([
      {line: 1, message: '-f after start-systemd\'s -F: "at most one of -f and -F", pmproxy does not start'},
    ])
  })

  it('a trailing comment becomes operands: pmproxy does not start', () => {
    const parsed = parsePmproxyOptions('-A\n-i 127.0.0.1   # loopback only\n')
    expect(parsed.problems).toEqual([
      {line: 2, message: '"#" is not an option: pmproxy takes no operands and does not start'},
      {line: 2, message: '"loopback" is not an option: pmproxy takes no operands and does not start'},
      {line: 2, message: '"only" is not an option: pmproxy takes no operands and does not start'},
    ])
  })

  it.each([
    ['-Q', /unknown option -Q/],
    ['-i', /-i needs an argument/],
    ['--bind=127.0.0.1', /unknown option --bind/],
    ['-?', /usage/],
  ])('%s stops pmproxy from starting', (line, message) => {
    expect(parsePmproxyOptions(`${line}\n`).problems[0]?.message).toMatch(message)
  })

  it('drops other lines that are not comments, as the rc script does', () => {
    expect(parsePmproxyOptions('PMPROXY_LOCAL=1\n  -i 10.1.2.5\n# -i 10.1.2.6\n\n').ignored).toEqual([
      {line: 1, text: 'PMPROXY_LOCAL=1'},
      {line: 2, text: '  -i 10.1.2.5'},
    ])
  })
})

describe('parsePmproxySysconfig and atoi', () => {
  it('exports every word of the PMPROXY lines, quotes kept', () => {
    const parsed = parsePmproxySysconfig(
      '# PMPROXY_LOCAL=1\nPMPROXY_LOCAL="1"\nPMCD_LOCAL=1\n PMPROXY_MAXPENDING=5\nPMPROXY_MAXPENDING=7 PMPROXY_X\n',
      '/etc/default/pmproxy',
    )
    expect(parsed).toEqual({
      path: '/etc/default/pmproxy',
      shell: 'dash',
      settings: [
        {name: 'PMPROXY_LOCAL', value: '"1"', line: 2},
        {name: 'PMPROXY_MAXPENDING', value: '7', line: 5},
      ],
      problems: [],
    })
  })

  it('a trailing comment stops the rc script under dash (Debian); bash (RHEL) skips it', () => {
    expect(parsePmproxySysconfig('PMPROXY_LOCAL=1 # local only\n', '/etc/default/pmproxy').problems).toEqual([
      {
        line: 1,
        message: '"#" is no variable name: /bin/sh (dash) stops the rc script, so pmproxy does not start',
      },
    ])
    expect(parsePmproxySysconfig('PMPROXY_LOCAL=1 # local only\n', '/etc/sysconfig/pmproxy')).toMatchObject({
      shell: 'bash',
      settings: [{name: 'PMPROXY_LOCAL', value: '1', line: 1}],
      problems: [{line: 1, message: '"#" is no variable name: bash skips it'}],
    })
  })

  it.each([
    ['1', 1],
    [' 12x', 12],
    ['-3', -3],
    ['"1"', 0],
    ['', 0],
    ['yes', 0],
  ])('atoi(%j) = %d', (text, expected) => {
    expect(atoi(text)).toBe(expected)
  })
})

describe('parsePmproxyOptions never throws, and every line it names is in the file', () => {
  it('random and mutated option files', () => {
    const seeds = [
      SHIPPED,
      '-A\n-i 127.0.0.1\n--interface=::1 -c /etc/x.conf\nPMPROXY_LOCAL=1\n',
      '-Ai\n--\nx\n',
    ]
    fc.assert(
      fc.property(fuzzTexts(seeds, '-iAcf=: \n\t127.0.1PMPROXY_LOCAL#"'), (text) => {
        const parsed = parsePmproxyOptions(text)
        const lines = text.split('\n').length
        for (const item of [...parsed.options, ...parsed.ignored, ...parsed.problems]) {
          expect(item.line).toBeGreaterThanOrEqual(1)
          expect(item.line).toBeLessThanOrEqual(lines)
        }
        const sysconfig = parsePmproxySysconfig(text, '/etc/default/pmproxy')
        for (const s of [...sysconfig.settings, ...sysconfig.problems])
          expect(s.line).toBeLessThanOrEqual(lines)
      }),
      {numRuns: 200},
    )
  })
})
