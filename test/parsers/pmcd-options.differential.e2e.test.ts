import {spawnSync} from 'node:child_process'
import {existsSync} from 'node:fs'
import {mkdir, mkdtemp, rm, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import path from 'node:path'

import fc from 'fast-check'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {parsePmcdArgv, parsePmcdOptions, type PmcdArgvVerdict} from '../../src/parsers/pmcd-options.js'
import {fuzzTexts} from './mutate.js'
import {SHIPPED_PMCD_OPTIONS} from './pmcd-options.fixtures.js'

/**
 * Our reading of pmcd.options against the real thing: rc_pmcd's own sed/tr pipeline and word
 * splitting (run by /bin/sh), and Debian's pmcd 6.0.3 deciding the argv with `pmcd -v`, which parses
 * every option and exits (it never starts a daemon). pmcd runs in an empty directory, and no input
 * gives -x (the file DontStart writes) a path: the fuzzed texts contain no "x" at all.
 */
const PMCD = '/usr/lib/pcp/bin/pmcd'
const CONF = 'pmcd 2 dso pmcd_init /var/lib/pcp/pmdas/pmcd/pmda_pmcd.so\n[access]\nallow "local:*" : all;\n'

/** rc_pmcd's lines, verbatim: the options it builds, then the words the unquoted $OPTS splits into. */
const RC_OPTIONS = `OPTS=\`sed <"$1" 2>/dev/null \\
    -e '/^[^-]/d' \\
    -e 's/^/ /' \\
    -e 's/$/ /' \\
    -e 's/ -f / /g' \\
    -e 's/^ //' \\
    -e 's/ $//' \\
  | tr '\\012' ' ' \``
const RC_WORDS = `${RC_OPTIONS}\nfor word in $OPTS; do printf '%s\\n' "$word"; done`
const RC_VERIFY = `${RC_OPTIONS}\nexec "$2" --verify -c "$3" $OPTS`

let dir: string
let cwd: string
let conf: string

beforeAll(async () => {
  if (!existsSync(PMCD))
    throw new Error(`${PMCD} is missing: install Debian's pcp (SYSTEMD_OFFLINE=1 apt-get install pcp)`)
  dir = await mkdtemp(path.join(tmpdir(), 'pcp-harden-pmcd-options-'))
  cwd = path.join(dir, 'empty')
  await mkdir(cwd)
  conf = path.join(dir, 'pmcd.conf')
  await writeFile(conf, CONF)
})

afterAll(async () => {
  await rm(dir, {recursive: true, force: true})
})

const ENV = {PATH: '/usr/bin:/bin', LC_ALL: 'C'}

function run(command: string, args: string[]) {
  return spawnSync(command, args, {
    cwd,
    env: ENV,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
    timeout: 10_000,
    killSignal: 'SIGKILL',
  })
}

/** pmcd's verdict: exit 0 (with its usage: it did not start), or exit 1 with its usage; else its pmcd.conf failed. */
function pmcdVerdict(status: number | null, output: string): PmcdArgvVerdict | 'config' {
  const usage = output.includes('Usage:')
  if (status === 0) return usage ? 'usage' : 'accepted'
  if (status === 1 && usage) return 'rejected'
  if (status === 1) return 'config'
  throw new Error(`pmcd ended with status ${status}: ${output}`)
}

async function rcWords(text: string): Promise<string[]> {
  const file = path.join(dir, 'pmcd.options')
  await writeFile(file, text)
  const result = run('/bin/sh', ['-c', RC_WORDS, 'sh', file])
  return result.stdout.split('\n').slice(0, -1)
}

async function rcVerify(text: string): Promise<PmcdArgvVerdict | 'config'> {
  const file = path.join(dir, 'pmcd.options')
  await writeFile(file, text)
  const result = run('/bin/sh', ['-c', RC_VERIFY, 'sh', file, PMCD, conf])
  return pmcdVerdict(result.status, `${result.stdout}${result.stderr}`)
}

/** A text as it is on disk (invalid UTF-16 becomes U+FFFD), without the shell's pathname patterns and NULs. */
function diskText(text: string, drop = /[*?[]/g): string {
  return Buffer.from(text.replace(drop, '').replaceAll('\0', ''), 'utf8').toString('utf8')
}

const SEEDS = [
  SHIPPED_PMCD_OPTIONS,
  '-l ssl\n-c /etc/pcp/ssl/pmcd.crt\n-k /etc/pcp/ssl/pmcd.key\n-C /etc/pcp/ssl/ca.crt\n-a /etc/pcp/pmda/allowed',
  '-A\n-Q # certificates\n  -i 10.1.2.5\n-f /var/log/pcp/pmcd.log\n-p 1,2 -D fetch\n--interf=::1\n-f -f\n-Af\n',
  '-i 10.1.2.5 -i 10.1.3.5\r\n-t 10\n-T 3\n-L 16384\n-q 5\n-U pcp\n-s /run/pcp/pmcd.socket\n-H collector\n',
]

describe("rc_pmcd's words: our reading against its sed, tr and /bin/sh", () => {
  it.each(SEEDS.map((s, i) => [i, s] as const))('seed %i', async (_i, text) => {
    expect(parsePmcdOptions(text).argv.map((w) => w.text)).toEqual(await rcWords(text))
  })

  it('200 random and mutated files (fixed seed: reproducible)', async () => {
    await fc.assert(
      fc.asyncProperty(fuzzTexts(SEEDS, '-AQSfivlcpD #"\'\n\t10.:=,\r'), async (raw) => {
        const text = diskText(raw)
        expect(
          parsePmcdOptions(text).argv.map((w) => w.text),
          JSON.stringify(text),
        ).toEqual(await rcWords(text))
      }),
      {numRuns: 200, seed: 20261124},
    )
  }, 120_000)
})

describe('pmcd -v decides the command line as we do', () => {
  const CASES: string[][] = [
    ['-A', '-Q', '-i', '10.1.2.5'],
    ['-l', 'ssl'],
    ['-x', 'no_exec'],
    ['-a', 'allowed_agents'],
    ['-k', 'pmcd.key'],
    ['-C', 'ca.crt'],
    ['-M', 'nickname'],
    ['-P', 'passfile'],
    ['-f', 'pmcd.log'],
    ['-A', '#', 'comment'],
    ['-i'],
    ['-p', '0x10,44321,'],
    ['-p', '1,abc'],
    ['-L', '2147483648'],
    ['-q', ''],
    ['-t', ''],
    ['-T', '99999999999'],
    ['-D', 'fetch,PMNS,'],
    ['-D', 'fetch,,pmns'],
    ['-D', '0x10'],
    ['--interf=10.1.2.5', '--remotecert', '--reqauth'],
    ['--re'],
    ['--u=x'],
    ['--foreground=1'],
    ['--nosuch'],
    ['-?'],
    ['--', '-A'],
    ['-A\r'],
  ]
  it.each(CASES.map((argv) => [JSON.stringify(argv), argv] as const))('%s', (_name, argv) => {
    const result = run(PMCD, ['-v', '-c', conf, ...argv])
    const ours = parsePmcdArgv(argv.map((text) => ({text, line: 1}))).verdict
    expect(ours, result.stderr).toBe(pmcdVerdict(result.status, `${result.stdout}${result.stderr}`))
  })

  it('200 random command lines (fixed seed: reproducible)', () => {
    const word = fc.oneof(
      fc.constantFrom(
        ...'-A -Q -S -f -v -? -: -a -k -C -i -p -L -q -t -T -D -U -H -s -n -N -l -c -x --'.split(' '),
        ...[
          '--interface',
          '--interf=::1',
          '--port=',
          '--re',
          '--log',
          '--reqauth=1',
          '--debug',
          '--help',
          '-AQ',
        ],
        ...[
          '-i10.1.2.5',
          '-Ai',
          '10.1.2.5',
          'INADDR_ANY',
          'ssl',
          'no_exec',
          '#',
          '0',
          '-1',
          '5s',
          '0x1f',
          '1,2',
        ],
        ...['fetch', 'fetch,', 'ALL', 'nope', '4294967296', '2147483648', '', '+3', 'pcp'],
      ),
      fc.string({unit: fc.constantFrom(...'-AQSivpLqtTDx0159,:=#'.split('')), maxLength: 6}),
    )
    fc.assert(
      fc.property(fc.array(word, {maxLength: 8}), (argv) => {
        // -x names the file pmcd writes when it does not start: keep it in the empty directory.
        const safe = argv.map((w) => w.replace(/\//g, ''))
        const result = run(PMCD, ['-v', '-c', conf, ...safe])
        const ours = parsePmcdArgv(safe.map((text) => ({text, line: 1}))).verdict
        expect(ours, `${JSON.stringify(safe)}\n${result.stderr}`).toBe(
          pmcdVerdict(result.status, `${result.stdout}${result.stderr}`),
        )
      }),
      {numRuns: 200, seed: 20261124},
    )
  }, 120_000)
})

describe('rc_pmcd then pmcd --verify, end to end', () => {
  it('200 random and mutated files (fixed seed: reproducible)', async () => {
    await fc.assert(
      fc.asyncProperty(fuzzTexts(SEEDS, '-AQSfivlcpD #"\'\n\t10.:=,'), async (raw) => {
        const text = diskText(raw, /[*?[xX/]/g)
        const ours = parsePmcdOptions(text)
        const real = await rcVerify(text)
        if (real === 'config') {
          // Another -c: pmcd read a pmcd.conf of its own choosing (we do not read it).
          expect(
            ours.options.some((o) => o.letter === 'c'),
            JSON.stringify(text),
          ).toBe(true)
          return
        }
        expect(ours.verdict, JSON.stringify(text)).toBe(real)
      }),
      {numRuns: 200, seed: 20261124},
    )
  }, 120_000)
})
