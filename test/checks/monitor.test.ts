import {describe, expect, it} from 'vitest'

import {detectProfiles} from '../../src/engine/profiles.js'
import {Host} from '../../src/host/host.js'
import {MemoryBackend, type TreeEntry, type TreeSpec} from '../../src/host/tree.js'
import {CONFIG_BREAKS, seedTreeWith, seedTreeWithout} from './seed-tree.js'
import {runConfigChecks} from './tls-run.js'

type Change = Partial<TreeEntry> & {path: string}

const PROFILE_D = '/etc/profile.d/pcp-tls.sh'
const ALICE_PROFILE = '/home/alice/.profile'
const ALICE_TLS = '/home/alice/.pcp/tls.conf'

async function resultsOf(spec: TreeSpec, check: string) {
  return (await runConfigChecks(spec)).filter((r) => r.check === check)
}

const aliceProfile = (content: string): Change => ({path: ALICE_PROFILE, owner: 'alice', content})

describe('PCP-MON checks: each break of the seed tree is reported where it is', () => {
  it.each(CONFIG_BREAKS.filter(([, , ids]) => ids[0]?.startsWith('PCP-MON')))(
    '%s',
    async (_name, change, ids) => {
      const failed = (await runConfigChecks(seedTreeWith(change))).filter((r) => r.status === 'fail')
      expect(failed.map((r) => r.check).sort()).toEqual([...ids].sort())
      for (const r of failed) expect(r.path).toMatch(/^\//)
    },
  )
})

describe('PCP-MON checks', () => {
  it('skip on a host without any PCP client configuration', async () => {
    const spec = seedTreeWithout('/home/alice', PROFILE_D)
    const results = (await runConfigChecks(spec)).filter((r) => r.check.startsWith('PCP-MON'))
    expect(new Set(results.map((r) => r.status))).toEqual(new Set(['skip']))
    expect(results[0]?.message).toBe(
      'not applicable: no PCP client configuration (~/.pcp/tls.conf, PCP_* variables) under the root',
    )
  })

  it.each([
    ['unset', seedTreeWithout(PROFILE_D), 'fail', /PCP_SECURE_SOCKETS is not set/],
    ['"1"', seedTreeWith({path: PROFILE_D, content: 'export PCP_SECURE_SOCKETS=1\n'}), 'pass', /require TLS/],
    [
      'empty',
      seedTreeWith({path: PROFILE_D, content: 'export PCP_SECURE_SOCKETS=\n'}),
      'pass',
      /require TLS/,
    ],
    [
      'not exported',
      seedTreeWith({path: PROFILE_D, content: 'PCP_SECURE_SOCKETS=enforce\n'}),
      'fail',
      /set but not exported/,
    ],
    [
      'exported in /etc/environment, relaxed by the user',
      seedTreeWith(
        {path: PROFILE_D, content: '# nothing\n'},
        {path: '/etc/environment', content: 'PCP_SECURE_SOCKETS="enforce"\n'},
        aliceProfile('export PCP_TLSCONF_PATH="$HOME/.pcp/tls.conf"\nPCP_SECURE_SOCKETS=relaxed\n'),
      ),
      'fail',
      /relaxed: clients fall back to plaintext/,
    ],
    [
      'a value PCP does not know',
      seedTreeWith({path: PROFILE_D, content: 'export PCP_SECURE_SOCKETS=yes\n'}),
      'fail',
      /PCP_SECURE_SOCKETS=yes is not a value PCP knows/,
    ],
  ])('PCP-MON-001: PCP_SECURE_SOCKETS %s', async (_name, spec, status, message) => {
    const [result] = await resultsOf(spec, 'PCP-MON-001')
    expect(result?.status).toBe(status)
    expect(result?.message).toMatch(message)
  })

  it('PCP-MON-001 says when the deciding line is conditional', async () => {
    const spec = seedTreeWith({
      path: PROFILE_D,
      content: 'if [ -n "$PS1" ]; then\n  export PCP_SECURE_SOCKETS=relaxed\nfi\n',
    })
    expect(await resultsOf(spec, 'PCP-MON-001')).toEqual([
      expect.objectContaining({line: 2, evidence: 'set inside a conditional block; user alice'}),
    ])
  })

  it('PCP-MON-001 names every user a system-wide setting fails, once', async () => {
    const spec = seedTreeWith(
      {path: PROFILE_D, content: 'export PCP_SECURE_SOCKETS=relaxed\n'},
      {path: '/var/lib/pcp', type: 'dir', owner: 'pcp', group: 'pcp', mode: 0o755},
      {path: '/var/lib/pcp/.pcp/tls.conf', owner: 'pcp', content: 'tls-verify-clients = true\n'},
    )
    expect(await resultsOf(spec, 'PCP-MON-001')).toEqual([
      expect.objectContaining({status: 'fail', path: PROFILE_D, line: 1, evidence: 'users pcp, alice'}),
    ])
  })

  it('PCP-MON-002: a PCP_TLSCONF_PATH naming a missing file', async () => {
    const spec = seedTreeWith(aliceProfile('export PCP_TLSCONF_PATH=~/.pcp/client.conf\n'))
    const [result] = await resultsOf(spec, 'PCP-MON-002')
    expect(result).toMatchObject({
      status: 'fail',
      path: ALICE_PROFILE,
      line: 1,
      message:
        'PCP_TLSCONF_PATH names /home/alice/.pcp/client.conf, which does not exist: PCP clients run without a tls.conf and do not verify the collector',
    })
  })

  it('PCP-MON-002: no CA, and tls-verify-clients = yes (which clients accept)', async () => {
    const spec = seedTreeWith({path: ALICE_TLS, owner: 'alice', content: 'tls-verify-clients = yes\n'})
    expect((await resultsOf(spec, 'PCP-MON-002')).map((r) => r.message)).toEqual([
      "no tls-ca-cert-file or tls-ca-cert-dir: clients cannot check the collector against its CA (OpenSSL falls back to the system's CAs)",
    ])
  })

  it('PCP-MON-002 judges the file a system-wide PCP_TLSCONF_PATH names', async () => {
    const spec = seedTreeWith(
      {path: '/etc/environment', content: 'PCP_TLSCONF_PATH=/etc/pcp/client-tls.conf\n'},
      aliceProfile('# nothing\n'),
      {
        path: '/etc/pcp/client-tls.conf',
        content: 'tls-ca-cert-dir = /etc/ssl/certs\ntls-verify-clients = TRUE\n',
      },
    )
    const results = await resultsOf(spec, 'PCP-MON-002')
    expect(results).toEqual([
      expect.objectContaining({
        status: 'fail',
        path: '/etc/pcp/client-tls.conf',
        line: 2,
        message:
          'tls-verify-clients = TRUE: a client verifies only with exactly "true" or "yes", so it accepts any certificate',
      }),
    ])
  })

  it('PCP-MON-003 says why the file is not read: not exported', async () => {
    const spec = seedTreeWith(aliceProfile('PCP_TLSCONF_PATH="$HOME/.pcp/tls.conf"\n'))
    const [result] = await resultsOf(spec, 'PCP-MON-003')
    expect(result?.message).toBe(
      "PCP never reads this file: PCP_TLSCONF_PATH is set but not exported (/home/alice/.profile line 1), so alice's PCP clients read /etc/pcp/tls.conf",
    )
  })

  it('PCP-MON-004 reports NSS-era variables in /etc/environment and in users’ files', async () => {
    const spec = seedTreeWith(
      {path: '/etc/environment', content: 'PCP_ALLOW_BAD_CERT_DOMAIN=1\n'},
      aliceProfile('export PCP_TLSCONF_PATH="$HOME/.pcp/tls.conf"\nexport PCP_ALLOW_SERVER_SELF_CERT=1\n'),
    )
    expect((await resultsOf(spec, 'PCP-MON-004')).map((r) => [r.path, r.line])).toEqual([
      ['/etc/environment', 1],
      [ALICE_PROFILE, 2],
    ])
  })

  it('PCP-MON-005 reports ~/.pki/nssdb of a monitoring user, and /etc/pki/nssdb where PCP variables are system-wide', async () => {
    const spec = seedTreeWith(
      {path: '/home/alice/.pki/nssdb/cert9.db', owner: 'alice', content: 'nss\n'},
      {path: '/etc/pki/nssdb/cert8.db', content: 'nss\n'},
    )
    expect((await resultsOf(spec, 'PCP-MON-005')).map((r) => r.path).sort()).toEqual([
      '/etc/pki/nssdb/cert8.db',
      '/home/alice/.pki/nssdb/cert9.db',
    ])
  })

  it('PCP-MON-005 leaves /etc/pki/nssdb alone where nothing system-wide mentions PCP', async () => {
    const spec = seedTreeWith(
      {path: PROFILE_D, content: '# nothing\n'},
      {path: '/etc/pki/nssdb/cert9.db', content: 'nss\n'},
    )
    expect((await resultsOf(spec, 'PCP-MON-005')).map((r) => r.status)).toEqual(['pass'])
  })
})

describe('monitor-side settings with no ~/.pcp anywhere', () => {
  const noUsers = (...changes: Change[]) => {
    const spec = seedTreeWithout('/home/alice', PROFILE_D)
    for (const c of changes)
      spec.entries.push({type: 'file', mode: 0o644, owner: 'root', group: 'root', ...c} as TreeEntry)
    return spec
  }
  const monitorEvidence = async (spec: TreeSpec) =>
    (await detectProfiles(new Host(new MemoryBackend(spec, 'monitor')))).find(
      (d) => d.profile === 'pcp-monitor',
    )?.evidence

  it('PCP_SECURE_SOCKETS=relaxed in /etc/profile.d: the monitor profile, and PCP-MON-001 at that line', async () => {
    const spec = noUsers({path: PROFILE_D, content: '# PCP clients\nexport PCP_SECURE_SOCKETS=relaxed\n'})
    expect(await monitorEvidence(spec)).toBe(PROFILE_D)
    expect(await resultsOf(spec, 'PCP-MON-001')).toEqual([
      expect.objectContaining({
        status: 'fail',
        path: PROFILE_D,
        line: 2,
        message: 'PCP_SECURE_SOCKETS=relaxed: clients fall back to plaintext when TLS is not offered',
        evidence: 'every login session (set system-wide)',
      }),
    ])
    // The host's /etc/pcp/tls.conf may be a collector's: a session setting alone does not judge it.
    expect((await resultsOf(spec, 'PCP-MON-002')).map((r) => r.status)).toEqual(['pass'])
  })

  it('the NSS-era variables in /etc/environment: the monitor profile, PCP-MON-004, and PCP_SECURE_SOCKETS unset', async () => {
    const spec = noUsers({
      path: '/etc/environment',
      content: 'PCP_ALLOW_BAD_CERT_DOMAIN=1\nPCP_ALLOW_SERVER_SELF_CERT=1\n',
    })
    expect(await monitorEvidence(spec)).toBe('/etc/environment')
    expect((await resultsOf(spec, 'PCP-MON-004')).map((r) => [r.path, r.line])).toEqual([
      ['/etc/environment', 1],
      ['/etc/environment', 2],
    ])
    expect(await resultsOf(spec, 'PCP-MON-001')).toEqual([
      expect.objectContaining({
        status: 'fail',
        path: '/etc/environment',
        message: expect.stringMatching(/is not set/),
      }),
    ])
  })

  it('PCP_SECURE_SOCKETS=enforce system-wide passes', async () => {
    const spec = noUsers({path: '/etc/environment', content: 'PCP_SECURE_SOCKETS=enforce\n'})
    expect(await monitorEvidence(spec)).toBe('/etc/environment')
    expect((await resultsOf(spec, 'PCP-MON-001')).map((r) => r.status)).toEqual(['pass'])
  })

  it('no PCP variable anywhere: not a monitor', async () => {
    const spec = noUsers({path: PROFILE_D, content: 'export EDITOR=vi\n'})
    expect(await monitorEvidence(spec)).toBeUndefined()
  })
})
