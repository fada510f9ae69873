import {readFileSync} from 'node:fs'
import path from 'node:path'

import {describe, expect, it} from 'vitest'

import type {TreeEntry, TreeSpec} from '../../src/host/tree.js'
import {REPO} from '../cli/run-cli.js'
import {CONFIG_BREAKS, seedAccess, seedTreeWith, seedTreeWithout} from './seed-tree.js'
import {runConfigChecks} from './tls-run.js'

const PMPROXY_CONF = '/etc/pcp/pmproxy/pmproxy.conf'
const OPTIONS = '/etc/pcp/pmproxy/pmproxy.options'
const NOT_LOCAL = {path: '/etc/default/pmproxy', content: '# PMPROXY_LOCAL=1\n'}
const ENABLED: Partial<TreeEntry> & {path: string} = {
  path: '/etc/systemd/system/multi-user.target.wants/pmproxy.service',
  type: 'symlink',
  target: '/lib/systemd/system/pmproxy.service',
}
const UNIT = {
  path: '/lib/systemd/system/pmproxy.service',
  content: '[Service]\nExecStart=/etc/pcp/pmproxy/rc start\n',
}

/** The seed tree without /etc/pcp/tls.conf, and with this pmproxy.conf. */
function withoutTlsConf(pmproxyConf: string): TreeSpec {
  const spec = seedTreeWithout('/etc/pcp/tls.conf')
  ;(spec.entries.find((e) => e.path === PMPROXY_CONF) as TreeEntry).content = pmproxyConf
  return spec
}

async function resultsOf(spec: TreeSpec, check: string) {
  return (await runConfigChecks(spec)).filter((r) => r.check === check)
}

describe('PCP-PMPROXY checks: each break of the seed tree is reported where it is', () => {
  it.each(CONFIG_BREAKS.filter(([, , ids]) => ids[0]?.startsWith('PCP-PMPROXY')))(
    '%s',
    async (_name, change, ids) => {
      const failed = (await runConfigChecks(seedTreeWith(change))).filter((r) => r.status === 'fail')
      expect(failed.map((r) => r.check).sort()).toEqual([...ids].sort())
      for (const r of failed) expect(r.path).toMatch(/^\//)
    },
  )
})

describe('PCP-PMPROXY checks', () => {
  it('skip when pmproxy is not installed', async () => {
    const results = (await runConfigChecks(seedTreeWithout(PMPROXY_CONF))).filter((r) =>
      r.check.startsWith('PCP-PMPROXY'),
    )
    expect(new Set(results.map((r) => r.status))).toEqual(new Set(['skip']))
    expect(results[0]?.message).toBe('not applicable: pmproxy is not installed under the root')
  })

  it('PCP-PMPROXY-001: an enabled pmproxy on the network with the shipped access section is critical', async () => {
    const shipped = seedAccess('disallow ".*" : store;\ndisallow ":*" : store;\nallow "local:*" : all;')
    const spec = seedTreeWith(NOT_LOCAL, UNIT, ENABLED, {path: '/etc/pcp/pmcd/pmcd.conf', content: shipped})
    const [result] = await resultsOf(spec, 'PCP-PMPROXY-001')
    expect(result).toMatchObject({
      status: 'fail',
      path: '/etc/pcp/pmcd/pmcd.conf',
      line: 5,
      evidence: 'store from 127.0.0.1: allowed',
    })
    expect(result?.message).toMatch(
      /^pmproxy is enabled \(\/etc\/systemd\/system\/multi-user.target.wants\/pmproxy.service\) and listens on every interface/,
    )
  })

  it.each([
    ['-i on the monitoring network', [NOT_LOCAL, {path: OPTIONS, content: '-A\n-i 10.1.2.5\n'}], 'fail'],
    ['-i 127.0.0.1', [NOT_LOCAL, {path: OPTIONS, content: '-i 127.0.0.1\n'}], 'pass'],
    ['PMPROXY_LOCAL=1 plus -i on the network', [{path: OPTIONS, content: '-i 10.1.2.5\n'}], 'fail'],
    [
      'PMPROXY_LOCAL=1 in pmproxy.options, which PCP 6 drops',
      [NOT_LOCAL, {path: OPTIONS, content: 'PMPROXY_LOCAL=1\n'}],
      'fail',
    ],
    [
      'a comment after PMPROXY_LOCAL: dash stops the rc script',
      [{path: '/etc/default/pmproxy', content: 'PMPROXY_LOCAL=0 # for now\n'}],
      'pass',
    ],
    ['a host name for -i: no TCP port', [NOT_LOCAL, {path: OPTIONS, content: '-i localhost\n'}], 'pass'],
    ['an option pmproxy rejects: it does not start', [NOT_LOCAL, {path: OPTIONS, content: '-Q\n'}], 'pass'],
    [
      'masked',
      [NOT_LOCAL, {path: '/etc/systemd/system/pmproxy.service', type: 'symlink', target: '/dev/null'}],
      'pass',
    ],
    ['installed, not enabled', [NOT_LOCAL, UNIT], 'pass'],
    ['enabled through a SysV link', [NOT_LOCAL, {path: '/etc/rc2.d/S95pmproxy', content: ''}], 'fail'],
  ] as [string, (Partial<TreeEntry> & {path: string})[], string][])(
    'PCP-PMPROXY-001: %s',
    async (_name, changes, status) => {
      const [result] = await resultsOf(seedTreeWith(...changes), 'PCP-PMPROXY-001')
      expect(result?.status, result?.message).toBe(status)
    },
  )

  it('PCP-PMPROXY-001 passes on the network when pmcd refuses store from local clients', async () => {
    const spec = seedTreeWith(NOT_LOCAL, {
      path: '/etc/pcp/pmcd/pmcd.conf',
      content: seedAccess('disallow ".*" : all;\ndisallow ":*" : all;\nallow "local:*" : fetch;'),
    })
    const [result] = await resultsOf(spec, 'PCP-PMPROXY-001')
    expect(result).toMatchObject({status: 'pass', path: '/etc/pcp/pmcd/pmcd.conf', line: 3})
  })

  it('PCP-PMPROXY-002 passes for a password in a file only root and pcp can read', async () => {
    const spec = seedTreeWith({
      path: PMPROXY_CONF,
      mode: 0o640,
      group: 'pcp',
      content: '[keys]\nservers = localhost:6379\npassword = s3cret\n',
    })
    expect((await resultsOf(spec, 'PCP-PMPROXY-002')).map((r) => r.status)).toEqual(['pass'])
  })

  it('PCP-PMPROXY-002 reports the password line, whoever else can read it', async () => {
    const spec = seedTreeWith({
      path: PMPROXY_CONF,
      mode: 0o640,
      group: 'alice',
      content: '[pmseries]\nauth.password = s3cret\n',
    })
    expect(await resultsOf(spec, 'PCP-PMPROXY-002')).toEqual([
      expect.objectContaining({
        status: 'fail',
        line: 2,
        message: '[pmseries] auth.password is a plaintext password in a file readable by group alice',
        evidence: '0640 root:alice',
      }),
    ])
  })

  it("PCP-PMPROXY-003 reports a pmproxy.conf in pcp's home", async () => {
    const spec = seedTreeWith({path: '/var/lib/pcp/.pcp/pmproxy.conf', owner: 'pcp', content: '[pmproxy]\n'})
    const [result] = await resultsOf(spec, 'PCP-PMPROXY-003')
    expect(result).toMatchObject({
      status: 'fail',
      path: '/var/lib/pcp/.pcp/pmproxy.conf',
      evidence: '0644 pcp:root',
    })
    expect(result?.message).toMatch(/in the home directory of user pcp/)
  })

  it('PCP-PMPROXY-003: with -c, pmproxy reads only that file', async () => {
    const spec = seedTreeWith(
      {path: OPTIONS, content: `-c ${PMPROXY_CONF}\n`},
      {path: '/var/log/pcp/pmproxy/pmproxy.conf', owner: 'pcp', content: '[pmproxy]\n'},
    )
    expect((await resultsOf(spec, 'PCP-PMPROXY-003')).map((r) => r.status)).toEqual(['pass'])
  })

  it.each([
    [
      'secure.enabled unset',
      '[pmproxy]\n',
      /is not set .* there is no \/etc\/pcp\/tls.conf: pmproxy exits at start \("no certificate file found"\)/,
    ],
    ['secure.enabled = true', '[pmproxy]\nsecure.enabled = true\n', /pmproxy exits at start/],
    ['secure.enabled = t (a prefix of true)', '[pmproxy]\nsecure.enabled = t\n', /pmproxy exits at start/],
    [
      'a legacy certificate without its key',
      '[pmproxy]\ncertificates = /etc/pcp/tls/server.crt\n',
      /no private key found/,
    ],
  ])('PCP-PMPROXY-004 fails without tls.conf: %s', async (_name, content, message) => {
    const [result] = await resultsOf(withoutTlsConf(content), 'PCP-PMPROXY-004')
    expect(result?.status).toBe('fail')
    expect(result?.message).toMatch(message)
  })

  it.each([
    ['secure.enabled = false', '[pmproxy]\nsecure.enabled = false\n'],
    ['secure.enabled = f (a prefix of false)', '[pmproxy]\nsecure.enabled = f\n'],
    ['secure.enabled empty (a prefix of false too)', '[pmproxy]\nsecure.enabled =\n'],
    ['secure.enabled = no', '[pmproxy]\nsecure.enabled = no\n'],
  ])('PCP-PMPROXY-004 passes without tls.conf: %s', async (_name, content) => {
    expect((await resultsOf(withoutTlsConf(content), 'PCP-PMPROXY-004')).map((r) => r.status)).toEqual([
      'pass',
    ])
  })

  it('PCP-PMPROXY-004 leaves a tls.conf certificate without its key to PCP-TLS-002', async () => {
    const spec = seedTreeWith({
      path: '/etc/pcp/tls.conf',
      content: 'tls-cert-file = /etc/pcp/tls/server.crt\n',
    })
    const failed = (await runConfigChecks(spec)).filter((r) => r.status === 'fail')
    expect(failed.map((r) => r.check)).toEqual(['PCP-TLS-002'])
  })

  it("PCP-PMPROXY-005 reports seed 000's pmproxy.conf, line by line", async () => {
    const seed000 =
      'bind=127.0.0.1\nport=44322\nssl_cert=/etc/pcp/ssl/pmproxy.crt\n[PMProxy]\nsecure.enabled = false\n[pmproxy]\nbind = 127.0.0.1\n'
    const results = await resultsOf(seedTreeWith({path: PMPROXY_CONF, content: seed000}), 'PCP-PMPROXY-005')
    expect(results.map((r) => [r.line, r.message])).toEqual([
      [
        4,
        'pmproxy looks up [pmproxy], and section names are case- and blank-sensitive: it never reads [PMProxy]',
      ],
      [1, 'bind comes before any [section]: pmproxy never reads it'],
      [2, 'port comes before any [section]: pmproxy never reads it'],
      [3, 'ssl_cert comes before any [section]: pmproxy never reads it'],
      [
        7,
        'bind is not a pmproxy setting: it protects nothing (pmproxy binds with -i in /etc/pcp/pmproxy/pmproxy.options or PMPROXY_LOCAL=1, and takes TLS files from tls.conf)',
      ],
    ])
  })

  it('PCP-PMPROXY-005 reports pmproxy.options lines the rc script drops', async () => {
    const spec = seedTreeWith({path: OPTIONS, content: '-A\nPMPROXY_LOCAL=1\n  -i 127.0.0.1\n'})
    expect((await resultsOf(spec, 'PCP-PMPROXY-005')).map((r) => [r.path, r.line, r.message])).toEqual([
      [
        OPTIONS,
        2,
        'rc_pmproxy passes pmproxy only the lines that start with "-": it drops this one: PMPROXY_* variables belong in /etc/sysconfig/pmproxy or /etc/default/pmproxy',
      ],
      [OPTIONS, 3, 'rc_pmproxy passes pmproxy only the lines that start with "-": it drops this one'],
    ])
  })

  it('PCP-PMPROXY-005 reports the shipped-looking pcp.enabled = false of a deployed file, not its true ones', async () => {
    const pbench = readFileSync(path.resolve(REPO, 'test/fixtures/field/pmcd/deployed-pmproxy.conf'), 'utf8')
    const asShipped = await resultsOf(seedTreeWith({path: PMPROXY_CONF, content: pbench}), 'PCP-PMPROXY-005')
    expect(asShipped.map((r) => r.status)).toEqual(['pass'])
    const disabled = pbench.replace('pcp.enabled = true', 'pcp.enabled = false')
    const [result] = await resultsOf(seedTreeWith({path: PMPROXY_CONF, content: disabled}), 'PCP-PMPROXY-005')
    expect(result).toMatchObject({
      status: 'fail',
      line: 26,
      message:
        'pmproxy never reads pcp.enabled: it protects nothing, the PCP protocol proxy stays on; keep pmproxy on ' +
        'loopback (PMPROXY_LOCAL=1) or behind a front end that authenticates instead',
      // The line does nothing: removing it is automatic, and pmproxy reads its configuration at start.
      remedy: {
        kind: 'edit',
        path: PMPROXY_CONF,
        edits: [{op: 'delete', line: 26, expect: 'pcp.enabled = false'}],
        restart: ['pmproxy.service'],
      },
      fix: "sed -i '26{\\|^pcp\\.enabled = false$|d;}' /etc/pcp/pmproxy/pmproxy.conf",
    })
  })
})
