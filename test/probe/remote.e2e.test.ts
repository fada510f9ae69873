import {mkdir, mkdtemp, rm, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import path from 'node:path'

import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {REPO} from '../cli/run-cli.js'
import {createNetns, type Netns} from '../helpers/netns.js'
import {type RunningPmcd, startPmcd} from '../helpers/pmcd.js'
import {makePki, writeTlsConf} from './certs.js'

const PMCD_CONF = 'pmcd\t2\tdso\tpmcd_init\t/var/lib/pcp/pmdas/pmcd/pmda_pmcd.so\n'

/** Run the probe library inside the namespace (a remote client) and return its result. */
async function probeFrom(netns: Netns, host: string, port: number) {
  const script =
    `import {probePmcd} from ${JSON.stringify(path.join(REPO, 'src/probe/pmcd.ts'))};` +
    `const r = await probePmcd(${JSON.stringify(host)}, ${port}, {now: new Date(), timeoutMs: 5000});` +
    'process.stdout.write(JSON.stringify(r))'
  const file = path.join(await mkdtemp(path.join(tmpdir(), 'pcp-harden-probe-run-')), 'probe.mts')
  await writeFile(file, script)
  const run = await netns.exec([path.join(REPO, 'node_modules/.bin/tsx'), file], {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
  })
  await rm(path.dirname(file), {recursive: true, force: true})
  expect(run.stderr).toBe('')
  return JSON.parse(run.stdout)
}

describe('probe of a real pmcd from another host (a network namespace)', () => {
  let dir: string
  let netns: Netns
  let strict: RunningPmcd
  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'pcp-harden-probe-remote-'))
    netns = await createNetns()
    const pki = await makePki(dir, [netns.hostAddress])
    const tlsConf = await writeTlsConf(dir, pki)
    const conf = path.join(dir, 'pmcd.conf')
    await writeFile(conf, PMCD_CONF)
    await mkdir(path.join(dir, 'strict'))
    strict = await startPmcd(path.join(dir, 'strict'), conf, {args: ['-Q'], env: {PCP_TLSCONF_PATH: tlsConf}})
  }, 90_000)
  afterAll(async () => {
    await strict?.stop()
    await netns?.remove()
    await rm(dir, {recursive: true, force: true})
  })

  it('pmcd -Q: a remote client without a certificate is refused in plaintext and over TLS', async () => {
    const result = await probeFrom(netns, netns.hostAddress, strict.port)
    expect(result.greeting.featureNames).toContain('cert-reqd')
    expect(result.clientCertRequired).toBe(true)
    expect(result.plaintext).toEqual({
      accepted: false,
      reason: 'PM_ERR_NEEDCLIENTCERT: PMCD requires a client certificate',
    })
    expect(result.tls).toMatchObject({
      error: expect.stringMatching(/certificate required/),
      clientCertRequired: true,
    })
  })
})
