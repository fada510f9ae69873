import {describe, expect, it} from 'vitest'

import {weakCiphers} from '../../src/checks/tls/analysis.js'
import {parseTreeSpec} from '../../src/host/tree.js'
import {CONFIG_BREAKS, SEED_TREE, seedTreeWith, seedTreeWithout} from './seed-tree.js'
import {CONFIG_CHECKS, runConfigChecks} from './tls-run.js'

const TLS_CONF = '/etc/pcp/tls.conf'
const SEED_TLS = parseTreeSpec(SEED_TREE, 'seed').entries.find((e) => e.path === TLS_CONF)?.content ?? ''
const tlsConf = (content: string) => seedTreeWith({path: TLS_CONF, content})
const fails = async (spec: Parameters<typeof runConfigChecks>[0], check: string) =>
  (await runConfigChecks(spec)).filter((r) => r.check === check && r.status === 'fail')

describe('PCP-TLS, PCP-PMPROXY and PCP-MON checks on the unmodified seed tree', () => {
  it('all pass, each with the path it judged', async () => {
    const results = await runConfigChecks(parseTreeSpec(SEED_TREE, 'seed'))
    expect(results.map((r) => r.check)).toEqual(CONFIG_CHECKS.map((e) => e.id))
    for (const r of results) {
      expect(r.status, `${r.check}: ${r.message}`).toBe('pass')
      expect(r.path, r.check).toMatch(/^\//)
    }
  })
})

describe('PCP-TLS checks: each break of the seed tree is reported where it is', () => {
  it.each(CONFIG_BREAKS.filter(([, , ids]) => ids[0]?.startsWith('PCP-TLS')))(
    '%s',
    async (_name, change, ids) => {
      const failed = (await runConfigChecks(seedTreeWith(change))).filter((r) => r.status === 'fail')
      expect(failed.map((r) => r.check).sort()).toEqual([...ids].sort())
      for (const r of failed) expect([r.path, (r.line ?? 0) > 0]).toEqual([TLS_CONF, true])
    },
  )
})

describe('PCP-TLS checks', () => {
  it('skip when there is no tls.conf', async () => {
    const results = (await runConfigChecks(seedTreeWithout(TLS_CONF))).filter((r) =>
      r.check.startsWith('PCP-TLS'),
    )
    expect(results.map((r) => r.status)).toEqual(['skip', 'skip', 'skip', 'skip', 'skip'])
    expect(results[0]?.message).toBe('not applicable: no /etc/pcp/tls.conf under the root')
  })

  it("PCP-TLS-001 names the seeds' key and the tls.conf one", async () => {
    const [fail] = await fails(tlsConf('ssl_cert = /etc/pcp/tls/server.crt\n'), 'PCP-TLS-001')
    expect(fail).toMatchObject({
      line: 1,
      message: 'unknown key "ssl_cert": PCP ignores it; the tls.conf setting is tls-cert-file',
    })
  })

  it('PCP-TLS-001 reports a TLS key without a separator; PCP-TLS-005 a line that is no TLS setting', async () => {
    const results = await runConfigChecks(tlsConf('tls-ca-cert-file /etc/pcp/tls/ca.crt\nhello world\n'))
    const failed = results.filter((r) => r.status === 'fail').map((r) => [r.check, r.line, r.message])
    expect(failed).toEqual([
      ['PCP-TLS-001', 1, 'no "=" or ":" after the key: PCP ignores the line'],
      ['PCP-TLS-005', 2, 'no "=" or ":" after the key: PCP ignores the line'],
    ])
  })

  it('PCP-TLS-002: a certificate without a key makes pmcd exit', async () => {
    const [fail] = await fails(tlsConf('tls-cert-file = /etc/pcp/tls/server.crt\n'), 'PCP-TLS-002')
    expect(fail?.message).toMatch(/tls-cert-file without tls-key-file: pmcd and pmproxy exit at start/)
  })

  it('PCP-TLS-002: relative paths, directories and missing client files', async () => {
    const results = await fails(
      tlsConf(
        'tls-ca-cert-file = ca.crt\ntls-client-cert-file = /etc/pcp/tls\ntls-client-key-file = /etc/pcp/tls/monitor.key\n',
      ),
      'PCP-TLS-002',
    )
    expect(results.map((r) => [r.line, r.message])).toEqual([
      [
        1,
        'tls-ca-cert-file ca.crt is not an absolute path: each daemon looks for it in its own working directory',
      ],
      [
        2,
        'tls-client-cert-file /etc/pcp/tls is not a regular file: PCP clients on this host cannot set up TLS, so their secure connections fail',
      ],
      [
        3,
        'tls-client-key-file /etc/pcp/tls/monitor.key does not exist: PCP clients on this host cannot set up TLS, so their secure connections fail',
      ],
    ])
  })

  it('PCP-TLS-002 leaves an unused server key alone', async () => {
    expect(await fails(tlsConf('tls-key-file = /etc/pcp/tls/gone.key\n'), 'PCP-TLS-002')).toEqual([])
  })

  it('PCP-TLS-004 does not report a last line whose value a blank ends (libpcp reads it)', async () => {
    const results = await runConfigChecks(tlsConf(`${SEED_TLS}tls-ciphers = HIGH !aNULL`))
    expect(results.filter((r) => r.status === 'fail').map((r) => r.check)).toEqual(['PCP-TLS-001'])
  })

  it('PCP-TLS-004 says which value stays in force', async () => {
    const [fail] = await fails(
      tlsConf('tls-ca-cert-file = /etc/pcp/tls/ca.crt\ntls-ca-cert-file = /etc/pcp/tls/new-ca.crt'),
      'PCP-TLS-004',
    )
    expect(fail).toMatchObject({
      line: 2,
      message: expect.stringMatching(/tls-ca-cert-file stays \/etc\/pcp\/tls\/ca.crt$/),
    })
  })
})

describe('weakCiphers: what an OpenSSL cipher list leaves enabled', () => {
  it.each([
    ['HIGH:!aNULL:!MD5', []],
    ['DEFAULT', []],
    ['ALL:RC4:3DES', ['RC4', '3DES']],
    ['HIGH:NULL', ['NULL']],
    ['eNULL', ['NULL']],
    ['aNULL:ADH', ['aNULL']],
    ['EXPORT', ['EXPORT']],
    ['EXP-RC4-MD5', ['EXPORT', 'RC4', 'MD5']],
    ['DES-CBC3-SHA', ['3DES']],
    ['DES-CBC-SHA', ['DES']],
    ['LOW', ['DES']],
    ['NULL-SHA256', ['NULL']],
    ['ADH-AES128-SHA', ['aNULL']],
    ['aRSA+RC4', ['RC4']],
    ['RC4:!RC4', []],
    ['!RC4:RC4', []],
    ['RC4:-RC4', []],
    ['RC4:-RC4:RC4', ['RC4']],
    ['HIGH:+3DES', []],
    ['HIGH,RC4 MD5', ['RC4', 'MD5']],
  ])('%s', (list, expected) => {
    expect(weakCiphers(list)).toEqual(expected)
  })
})
