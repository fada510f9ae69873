import {mkdir, mkdtemp, readFile, rm, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import path from 'node:path'

import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {probePmcd} from '../../src/probe/pmcd.js'
import {cli} from '../cli/run-cli.js'
import {type RunningPmcd, startPmcd} from '../helpers/pmcd.js'
import {makePki, type TestPki, writeTlsConf} from './certs.js'

const PMCD_CONF = 'pmcd\t2\tdso\tpmcd_init\t/var/lib/pcp/pmdas/pmcd/pmda_pmcd.so\n'

describe('probe of a real pmcd', () => {
  let dir: string
  let pki: TestPki
  const running: RunningPmcd[] = []
  let plain: RunningPmcd
  let secure: RunningPmcd
  let strict: RunningPmcd
  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'pcp-harden-probe-'))
    pki = await makePki(dir)
    const tlsConf = await writeTlsConf(dir, pki)
    const conf = path.join(dir, 'pmcd.conf')
    await writeFile(conf, PMCD_CONF)
    const start = async (name: string, args: string[], env: Record<string, string>) => {
      const sub = path.join(dir, name)
      await mkdir(sub)
      const p = await startPmcd(sub, conf, {args, env})
      running.push(p)
      return p
    }
    plain = await start('plain', [], {PCP_TLSCONF_PATH: path.join(dir, 'none.conf')})
    secure = await start('secure', [], {PCP_TLSCONF_PATH: tlsConf})
    strict = await start('strict', ['-Q'], {PCP_TLSCONF_PATH: tlsConf})
  }, 90_000)
  afterAll(async () => {
    for (const p of running) await p.stop()
    await rm(dir, {recursive: true, force: true})
  })

  const options = () => ({now: new Date(), timeoutMs: 5000})

  it('without TLS: plaintext accepted, TLS not offered', async () => {
    const result = await probePmcd('127.0.0.1', plain.port, options())
    expect(result.failure).toBeUndefined()
    expect(result.greeting?.status).toBe(0)
    expect(result.greeting?.version).toBe(2)
    expect(result.greeting?.featureNames).not.toContain('secure')
    expect(result.plaintext).toEqual({accepted: true})
    expect(result.tls).toBeUndefined()
    expect(result.clientCertRequired).toBe(false)
  })

  it('with TLS: offered, its certificate read and checked against --ca', async () => {
    const result = await probePmcd('localhost', secure.port, {...options(), ca: await readFile(pki.ca)})
    expect(result.greeting?.featureNames).toContain('secure')
    expect(result.plaintext).toEqual({accepted: true})
    expect(result.tls).toMatchObject({
      protocol: expect.stringMatching(/^TLSv1\.[23]$/),
      chain: {ok: true},
      name: {ok: true},
      clientCertRequired: false,
      certificate: {
        subject: 'CN=localhost',
        key: 'RSA 2048 bits',
        san: ['DNS:localhost', 'IP Address:127.0.0.1'],
      },
    })
    const days = (result.tls as {certificate: {daysLeft: number}}).certificate.daysLeft
    expect(days).toBeGreaterThanOrEqual(28)
    const other = await probePmcd('localhost', secure.port, {...options(), ca: await readFile(pki.otherCa)})
    expect(other.tls).toMatchObject({chain: {ok: false}})
  })

  it('with -Q: the features ask for a client certificate, yet pmcd serves a plaintext client on loopback', async () => {
    // Only libpcp's client refuses itself there (check_feature_flags); pmcd enforces -Q for remote
    // clients alone (test/probe/remote.e2e.test.ts).
    const result = await probePmcd('127.0.0.1', strict.port, options())
    expect(result.greeting?.featureNames).toContain('cert-reqd')
    expect(result.clientCertRequired).toBe(true)
    expect(result.plaintext).toEqual({accepted: true})
  })

  it('the CLI: text, JSON and Nagios output with Nagios exit codes', async () => {
    const text = await cli(['probe', `127.0.0.1:${plain.port}`])
    expect(text.code).toBe(1)
    expect(text.stdout).toContain(`WARNING pmcd at 127.0.0.1:${plain.port}\n  WARNING: pmcd offers no TLS`)
    const json = await cli([
      'probe',
      `localhost:${secure.port}`,
      '--ca',
      pki.ca,
      '--format',
      'json',
      '-w',
      '20',
    ])
    expect(json.code).toBe(0)
    expect(JSON.parse(json.stdout)).toMatchObject({
      status: 'OK',
      probe: {kind: 'pmcd', tls: {chain: {ok: true}}},
    })
    const nagios = await cli([
      'probe',
      `localhost:${secure.port}`,
      '--ca',
      pki.otherCa,
      '--format',
      'nagios',
      '-w',
      '60',
    ])
    expect(nagios.code).toBe(2)
    expect(nagios.stdout).toMatch(
      /^PCP-HARDEN PROBE CRITICAL - the certificate does not chain to --ca: .* \| days_left=(29|30);60;7;0\n/,
    )
    const closed = await cli(['probe', '127.0.0.1:1', '--format', 'nagios'])
    expect(closed.code).toBe(3)
    expect(closed.stdout).toMatch(/^PCP-HARDEN PROBE UNKNOWN - cannot connect: /)
  })

  it('says so when nothing listens', async () => {
    const closed = await probePmcd('127.0.0.1', 1, options())
    expect(closed.failure).toMatch(/^cannot connect: connect ECONNREFUSED/)
  })
})
