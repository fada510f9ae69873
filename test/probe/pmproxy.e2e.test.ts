import {type ChildProcess, spawn} from 'node:child_process'
import {mkdir, mkdtemp, readFile, rm} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import path from 'node:path'

import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {probePmproxy} from '../../src/probe/pmproxy.js'
import {judgeProbe} from '../../src/probe/report.js'
import {freePort} from '../helpers/pmcd.js'
import {type RunningPmproxy, startPmproxy} from '../helpers/pmproxy.js'
import {makePki, type TestPki, writeTlsConf} from './certs.js'

const PLAIN = '[pmproxy]\nsecure.enabled = false\n[discover]\nenabled = false\n'
const SECURE = '[pmproxy]\nsecure.enabled = true\n[discover]\nenabled = false\n'

describe('probe of a real pmproxy', () => {
  let dir: string
  let pki: TestPki
  const running: RunningPmproxy[] = []
  let plain: RunningPmproxy
  let secure: RunningPmproxy
  let relaying: RunningPmproxy
  let redis: ChildProcess
  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'pcp-harden-probe-pmproxy-'))
    pki = await makePki(dir)
    const tlsConf = await writeTlsConf(dir, pki)
    const start = async (name: string, conf: string, env: Record<string, string> = {}) => {
      const sub = path.join(dir, name)
      await mkdir(sub)
      const p = await startPmproxy(sub, conf, {args: ['-i', '127.0.0.1'], env})
      running.push(p)
      return p
    }
    plain = await start('plain', PLAIN)
    secure = await start('secure', SECURE, {PCP_TLSCONF_PATH: tlsConf})
    // A real key server on loopback, without persistence, and a pmproxy that relays to it.
    const redisPort = await freePort()
    redis = spawn(
      'redis-server',
      ['--port', String(redisPort), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir],
      {stdio: 'ignore'},
    )
    relaying = await start(
      'relaying',
      `[pmproxy]\nsecure.enabled = false\nredis.enabled = true\n[redis]\nenabled = true\nservers = 127.0.0.1:${redisPort}\n`,
    )
  }, 90_000)
  afterAll(async () => {
    for (const p of running) await p.stop()
    if (redis && redis.exitCode === null) {
      const exited = new Promise((resolve) => redis.once('exit', resolve))
      redis.kill('SIGTERM')
      await exited
    }
    await rm(dir, {recursive: true, force: true})
  })

  const options = () => ({now: new Date(), timeoutMs: 5000})

  it('plain HTTP: the REST API answers without credentials, no HTTPS', async () => {
    const result = await probePmproxy('127.0.0.1', plain.port, options())
    // No pmcd behind it here: the API still answers, with its own JSON error.
    expect(result.http).toMatchObject({
      servedWithoutCredentials: true,
      body: expect.stringMatching(/^\{"message"/),
    })
    expect(result.https?.tls).toMatchObject({error: expect.stringMatching(/^TLS handshake failed/)})
    // No key server runs here: the PING goes nowhere.
    expect(result.resp).toEqual({state: 'ignored'})
    const report = judgeProbe(result, {warningDays: 30, criticalDays: 7})
    expect(report.status).toBe('WARNING')
    expect(report.problems.map((p) => p.message)).toEqual([
      "pmproxy's REST API answers GET /pmapi/context without credentials in plain HTTP (HTTP 400)",
    ])
  })

  it('relaying to a key server: the RESP PING comes back +PONG, CRITICAL (CVE-2024-3019)', async () => {
    let result = await probePmproxy('127.0.0.1', relaying.port, options())
    // pmproxy connects to the key server in the background after it starts listening.
    for (let i = 0; i < 50 && result.resp.state !== 'relayed'; i++) {
      await new Promise((r) => setTimeout(r, 200))
      result = await probePmproxy('127.0.0.1', relaying.port, options())
    }
    expect(result.resp).toEqual({state: 'relayed', reply: '+PONG'})
    const report = judgeProbe(result, {warningDays: 30, criticalDays: 7})
    expect(report.status).toBe('CRITICAL')
    expect(report.problems[0]?.message).toMatch(
      /^pmproxy relays RESP commands to its key server .*CVE-2024-3019/,
    )
  }, 30_000)

  it('TLS on: HTTPS offered on the same port, with the certificate checked against --ca', async () => {
    const result = await probePmproxy('localhost', secure.port, {...options(), ca: await readFile(pki.ca)})
    expect(result.https?.tls).toMatchObject({
      protocol: expect.stringMatching(/^TLSv1\.[23]$/),
      chain: {ok: true},
      name: {ok: true},
      certificate: {subject: 'CN=localhost', key: 'RSA 2048 bits'},
    })
    expect(result.https?.answer).toMatchObject({servedWithoutCredentials: true})
    // -w above the certificate's 30 days: a WARNING with days_left perfdata.
    const report = judgeProbe(result, {warningDays: 60, criticalDays: 7})
    expect(report.problems).toContainEqual({
      state: 'WARNING',
      message: expect.stringMatching(/^the certificate expires in (29|30) days \(warning below 60\)$/),
    })
  })
})
