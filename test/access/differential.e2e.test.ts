import {spawn} from 'node:child_process'
import {existsSync} from 'node:fs'
import {mkdir, mkdtemp, readFile, rm, writeFile} from 'node:fs/promises'
import {hostname, tmpdir} from 'node:os'
import path from 'node:path'

import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {DiskBackend} from '../../src/host/backend.js'
import {Host} from '../../src/host/host.js'
import {inetAton, localhostResolver, parseHosts} from '../../src/host/resolve.js'
import type {AccessContext} from '../../src/pcp/access.js'
import {lintPmcdConf} from '../../src/pcp/lint.js'
import {AGENTS, CASES, caseText} from './cases.js'
import {accessSections, MONITOR, MONITOR_ADDRESS} from './grammar.js'

/**
 * Our verdict on generated pmcd.conf files against real `pmcd -v -c FILE` (Debian's pcp, installed
 * by .ci/run): the same accept/reject on every file, and the same line for the first problem when
 * pmcd names one. pmcd runs in a mount namespace of its own whose /etc/hosts is ours and whose
 * nsswitch.conf reads names from files only: no name is ever sent to DNS, and a name the file
 * does not list is decided: it does not resolve. Our linter is given the same hosts file.
 */
const PMCD = '/usr/lib/pcp/bin/pmcd'
const GENERATED = 2000
const SEED = 20261207
const WORKERS = 3
let dir: string
let ctx: AccessContext

beforeAll(async () => {
  if (!existsSync(PMCD))
    throw new Error(`${PMCD} is missing: install Debian's pcp (SYSTEMD_OFFLINE=1 apt-get install pcp)`)
  dir = await mkdtemp(path.join(tmpdir(), 'pcp-harden-pmcd-v-'))
  const root = path.join(dir, 'root')
  await mkdir(path.join(root, 'etc'), {recursive: true})
  // pmcd takes "localhost" to mean this machine's host name: list it, on loopback.
  const hosts = `127.0.0.1 localhost\n127.0.0.1 ${hostname()}\n${MONITOR_ADDRESS} ${MONITOR}\n`
  await writeFile(path.join(root, 'etc/hosts'), hosts)
  await writeFile(path.join(root, 'etc/hostname'), `${hostname()}\n`)
  await writeFile(path.join(dir, 'nsswitch.conf'), 'passwd: files\ngroup: files\nhosts: files\n')
  const table = parseHosts(hosts)
  const live = new Host(new DiskBackend('/'))
  const {users, groups} = await live.accounts()
  ctx = {
    resolveHost: async (name) => {
      const numeric = inetAton(name)
      return numeric ? [numeric] : table.get(name.toLowerCase())
    },
    localhost: localhostResolver(new Host(new DiskBackend(root)), false),
    users,
    groups,
  }
})

afterAll(async () => {
  await rm(dir, {recursive: true, force: true})
})

interface Verdict {
  valid: boolean
  /** The line of the first problem that stops pmcd, when pmcd names one. */
  line?: number
  output: string
}

/** The first fatal problem in pmcd's output (a host it only ignores is announced as such first). */
function pmcdVerdict(status: number, output: string): Verdict {
  const lines = output.split('\n')
  for (const [i, line] of lines.entries()) {
    const match = /pmcd config\[line (\d+)\]: (Error|Warning): (.*)$/.exec(line)
    if (!match) continue
    const ignored = lines[i - 1]?.includes('the following access control specification will be ignored')
    if (match[2] === 'Error' || (/access control error for/.test(match[3] ?? '') && !ignored))
      return {valid: status === 0, line: Number(match[1]), output}
  }
  return {valid: status === 0, output}
}

/** Run `pmcd -v -c FILE` on every file, WORKERS at a time, each worker in one mount namespace. */
async function runPmcd(files: string[]): Promise<Verdict[]> {
  const script =
    'mount --bind "$0" /etc/hosts && mount --bind "$1" /etc/nsswitch.conf && shift && ' +
    `for f; do ${PMCD} -v -c "$f" >"$f.out" 2>&1; echo $? >"$f.rc"; done`
  const chunks = Array.from({length: WORKERS}, (_, w) => files.filter((_, i) => i % WORKERS === w))
  await Promise.all(
    chunks.map(
      (chunk) =>
        new Promise<void>((resolve, reject) => {
          const child = spawn(
            'unshare',
            [
              '-m',
              '--propagation',
              'private',
              'sh',
              '-c',
              script,
              path.join(dir, 'root/etc/hosts'),
              path.join(dir, 'nsswitch.conf'),
              ...chunk,
            ],
            {stdio: ['ignore', 'ignore', 'pipe']},
          )
          let stderr = ''
          child.stderr.on('data', (d: Buffer) => (stderr += d.toString()))
          const timer = setTimeout(() => child.kill('SIGKILL'), 450_000)
          child.on('error', reject)
          child.on('exit', (code) => {
            clearTimeout(timer)
            if (code === 0) resolve()
            else reject(new Error(`pmcd worker exited ${code}: ${stderr}`))
          })
        }),
    ),
  )
  return Promise.all(
    files.map(async (f) =>
      pmcdVerdict(Number((await readFile(`${f}.rc`, 'utf8')).trim()), await readFile(`${f}.out`, 'utf8')),
    ),
  )
}

async function differential(texts: string[]): Promise<{agreed: number; first?: string}> {
  const files = texts.map((_, i) => path.join(dir, `case-${String(i).padStart(4, '0')}.conf`))
  await Promise.all(files.map((f, i) => writeFile(f, texts[i] as string)))
  const verdicts = await runPmcd(files)
  let agreed = 0
  let first: string | undefined
  for (const [i, text] of texts.entries()) {
    const pmcd = verdicts[i] as Verdict
    const ours = await lintPmcdConf(text, ctx)
    const ourLine = ours.diagnostics.find((d) => d.severity === 'error')?.line
    const same = ours.valid === pmcd.valid && (pmcd.valid || pmcd.line === undefined || ourLine === pmcd.line)
    if (same) agreed++
    if (!same)
      first ??= [
        `case ${i} (${files[i]}):`,
        text,
        `pmcd -v: exit ${pmcd.valid ? 0 : 1}${pmcd.line ? `, first problem on line ${pmcd.line}` : ''}`,
        pmcd.output,
        `access lint: ${ours.valid ? 'valid' : `invalid, first problem on line ${ourLine}`}`,
        JSON.stringify(ours.diagnostics, null, 1),
      ].join('\n')
  }
  return {agreed, ...(first ? {first} : {})}
}

describe('access lint agrees with pmcd -v', () => {
  it(`on ${GENERATED} [access] sections from the grammar (seed ${SEED})`, async () => {
    const texts = accessSections(GENERATED, SEED).map((body) => `${AGENTS}[access]\n${body}\n`)
    const started = Date.now()
    const {agreed, first} = await differential(texts)
    const share = agreed === texts.length ? '100' : ((100 * agreed) / texts.length).toFixed(2)
    console.log(
      `access differential: ${texts.length} cases, ${agreed} agree with pmcd -v (${share}%), ${((Date.now() - started) / 1000).toFixed(0)} s`,
    )
    if (first) console.log(`first disagreement:\n${first}`)
    expect(first).toBeUndefined()
    expect(agreed).toBe(texts.length)
  }, 480_000)

  it('on whole files: the agents table and the section header', async () => {
    const texts = CASES.filter((c) => c.whole).map(caseText)
    const {agreed, first} = await differential(texts)
    console.log(`access differential (whole files): ${texts.length} cases, ${agreed} agree`)
    expect(first).toBeUndefined()
  }, 120_000)
})
