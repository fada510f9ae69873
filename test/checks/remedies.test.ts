import {describe, expect, it} from 'vitest'

import type {ReportResult} from '../../src/engine/model.js'
import {Host} from '../../src/host/host.js'
import {MemoryBackend, type TreeSpec} from '../../src/host/tree.js'
import {auditHost} from '../helpers/audit.js'
import {SEED_FILE_BREAKS} from './breaks-extra.js'
import {seedTreeWithAll} from './pmcd-breaks.js'
import {REMEDY_BREAKS} from './remedy-breaks.js'
import {seedAccess, seedTreeWith} from './seed-tree.js'

const OPTIONS = '/etc/pcp/pmcd/pmcd.options'
const PMCD_CONF = '/etc/pcp/pmcd/pmcd.conf'
const SASL = '/etc/sasl2/pmcd.conf'
const TLS_CONF = '/etc/pcp/tls.conf'
const RESTART_PMCD = ['pmcd.service']
const SEED_TLS =
  'tls-ca-cert-file = /etc/pcp/tls/ca.crt\ntls-key-file = /etc/pcp/tls/server.key\n' +
  'tls-cert-file = /etc/pcp/tls/server.crt\ntls-client-key-file = /etc/pcp/tls/client.key\n' +
  'tls-client-cert-file = /etc/pcp/tls/client.crt\n'

/** The failures of the collector's and the monitor's checks on a tree. */
async function failures(spec: TreeSpec): Promise<ReportResult[]> {
  const host = new Host(new MemoryBackend(spec, 'remedies'))
  const report = await auditHost(host, {rootLabel: 'remedies', profiles: ['pcp-collector', 'pcp-monitor']})
  return report.results.filter((r) => r.status === 'fail')
}

async function failureOf(spec: TreeSpec, check: string): Promise<ReportResult> {
  const found = (await failures(spec)).filter((r) => r.check === check)
  expect(found, `${check} fails once`).toHaveLength(1)
  return found[0] as ReportResult
}

describe('breaks whose findings carry a remedy of the kind the finding allows', () => {
  it.each(REMEDY_BREAKS)('%s', async (_name, changes, expected) => {
    const fails = await failures(seedTreeWithAll(changes))
    expect(fails.map((f) => [f.check, f.remedy?.kind ?? 'none'])).toEqual(expected)
    // A remedy, automatic or not, always prints its exact command; without one there is none.
    for (const f of fails) expect(f.fix === undefined).toBe(f.remedy === undefined)
  })
})

describe('pmcd: -Q only when the certificates it needs are in place and valid', () => {
  const noQ = {path: OPTIONS, content: '-A\n-S\n-i 10.1.2.5\n'}

  it('valid certificates: -Q is appended to pmcd.options, and pmcd restarted', async () => {
    const result = await failureOf(seedTreeWith(noQ), 'PCP-PMCD-006')
    expect(result.remedy).toEqual({
      kind: 'edit',
      path: OPTIONS,
      edits: [{op: 'append', text: '-Q'}],
      restart: RESTART_PMCD,
    })
  })

  it('a server certificate that is not one: the certificate commands, for the admin to run', async () => {
    const [, wrongCert] = SEED_FILE_BREAKS.find(([name]) => name.startsWith('a client certificate'))!
    const result = await failureOf(seedTreeWith(noQ, wrongCert), 'PCP-PMCD-006')
    expect(result.remedy).toMatchObject({kind: 'manual', restart: RESTART_PMCD})
    expect(result.fix).toBe(
      'pcp-harden cert init --san "$(hostname -f)" && pcp-harden tls write --require-client-certs',
    )
    expect(result.remedy?.kind === 'manual' && result.remedy.why).toMatch(
      /^-Q needs pmcd's certificate, its key and the CA in place and valid, and \/etc\/pcp\/tls\/server\.crt is not usable/,
    )
  })

  it('no tls.conf key file: manual, naming what is missing', async () => {
    const tls = {path: TLS_CONF, content: SEED_TLS.replace('tls-key-file = /etc/pcp/tls/server.key\n', '')}
    const fails = await failures(seedTreeWith({path: OPTIONS, content: '-A\n-i 10.1.2.5\n'}, tls))
    const result = fails.find((f) => f.check === 'PCP-PMCD-005')!
    expect(result.remedy?.kind === 'manual' && result.remedy.why).toMatch(
      /\/etc\/pcp\/tls\.conf has no tls-key-file/,
    )
  })

  it("neither -Q nor -S: which one is the admin's choice, with the exact -Q command", async () => {
    const result = await failureOf(
      seedTreeWith({path: OPTIONS, content: '-A\n-i 10.1.2.5\n'}),
      'PCP-PMCD-005',
    )
    expect(result.remedy).toMatchObject({kind: 'manual', restart: RESTART_PMCD})
    expect(result.fix).toContain(`printf '%s' '-Q\n'; } >> ${OPTIONS}`)
    expect(result.message).toMatch(/choose -Q .* or -S /)
  })
})

describe("pmcd: lines that do nothing PCP knows are removed, the rest is the admin's", () => {
  it('-x no_exec on a line of its own is deleted', async () => {
    const result = await failureOf(
      seedTreeWith({path: OPTIONS, content: '-A\n-Q\n-i 10.1.2.5\n-x no_exec\n'}),
      'PCP-PMCD-008',
    )
    expect(result.fix).toBe(`sed -i '4{\\|^-x no_exec$|d;}' ${OPTIONS}`)
  })

  it("the guide's /etc/pcp/sasl/pmcd.conf is moved aside, never deleted", async () => {
    const result = await failureOf(
      seedTreeWith({path: '/etc/pcp/sasl/pmcd.conf', content: 'mech_list: plain\n'}),
      'PCP-PMCD-008',
    )
    expect(result.remedy).toEqual({
      kind: 'move',
      path: '/etc/pcp/sasl/pmcd.conf',
      to: '/var/backups/pcp-harden',
    })
  })

  it('a trailing comment goes to a line of its own above the option', async () => {
    const result = await failureOf(
      seedTreeWith({path: OPTIONS, content: '-A\n-Q   # from our CA\n-i 10.1.2.5\n'}),
      'PCP-PMCD-001',
    )
    expect(result.remedy).toMatchObject({
      edits: [{op: 'replace', line: 2, expect: '-Q   # from our CA', text: '# from our CA\n-Q'}],
    })
  })

  it('-U root on a line of its own is deleted; pmcd then runs as pcp', async () => {
    const result = await failureOf(
      seedTreeWith({path: OPTIONS, content: '-A\n-Q\n-i 10.1.2.5\n-U root\n'}),
      'PCP-PMCD-009',
    )
    expect(result.remedy).toMatchObject({kind: 'edit', edits: [{op: 'delete', line: 4, expect: '-U root'}]})
  })

  it('pmcd on every interface: loopback only, for the admin to run (remote monitors lose pmcd)', async () => {
    const result = await failureOf(seedTreeWith({path: OPTIONS, content: '-A\n-Q\n'}), 'PCP-PMCD-003')
    expect(result.remedy).toMatchObject({kind: 'manual', restart: RESTART_PMCD})
    expect(result.fix).toContain("printf '%s' 'PMCD_LOCAL=1\n'; } >> /etc/default/pmcd")
  })
})

describe('SASL mechanisms', () => {
  const sasl = (mechs: string) => ({
    path: SASL,
    content: `mech_list: ${mechs}\nsasldb_path: /etc/pcp/passwd.db\n`,
  })

  it('ANONYMOUS beside other mechanisms is removed automatically', async () => {
    const result = await failureOf(seedTreeWith(sasl('anonymous scram-sha-256')), 'PCP-SASL-001')
    expect(result.remedy).toEqual({
      kind: 'edit',
      path: SASL,
      edits: [
        {
          op: 'replace',
          line: 1,
          expect: 'mech_list: anonymous scram-sha-256',
          text: 'mech_list: scram-sha-256',
        },
      ],
      restart: RESTART_PMCD,
    })
  })

  it('ANONYMOUS alone: scram-sha-256 needs users first, so it is manual', async () => {
    const result = await failureOf(seedTreeWith(sasl('ANONYMOUS')), 'PCP-SASL-001')
    expect(result.remedy?.kind).toBe('manual')
    expect(result.fix).toBe(`sed -i '1s|^mech_list: ANONYMOUS$|mech_list: scram-sha-256|' ${SASL}`)
  })

  it('PLAIN without -Q: dropping it may break a client that asks for it, so it is manual', async () => {
    const spec = seedTreeWith({path: OPTIONS, content: '-A\n-S\n-i 10.1.2.5\n'}, sasl('plain scram-sha-256'))
    const result = await failureOf(spec, 'PCP-PMCD-007')
    expect(result.remedy?.kind).toBe('manual')
    expect(result.fix).toBe(`sed -i '1s|^mech_list: plain scram-sha-256$|mech_list: scram-sha-256|' ${SASL}`)
  })

  it('PLAIN with saslauthd, which checks only cleartext passwords: -Q instead', async () => {
    const spec = seedTreeWith(
      {path: OPTIONS, content: '-A\n-S\n-i 10.1.2.5\n'},
      {path: SASL, content: 'mech_list: plain\npwcheck_method: saslauthd\n'},
    )
    const result = await failureOf(spec, 'PCP-PMCD-007')
    expect(result.remedy?.kind).toBe('manual')
    expect(result.fix).toContain(`printf '%s' '-Q\n'; } >> ${OPTIONS}`)
  })
})

describe('access rules: manual, exact, and never granting more', () => {
  it('allow * : all grants store to every host: no exact change keeps every other finding as it is', async () => {
    const fails = await failures(seedTreeWith({path: PMCD_CONF, content: seedAccess('allow * : all;')}))
    const store = fails.filter((f) => f.check === 'PCP-ACCESS-002')
    expect(store).toHaveLength(3)
    for (const f of store) expect(f.remedy).toBeUndefined()
  })

  it('a CIDR allow is not rewritten: pmcd ignores it today, so a wildcard would grant more', async () => {
    const content = seedAccess(
      'disallow ".*" : all;\ndisallow ":*" : all;\nallow 10.1.0.0/16 : fetch, maximum 5 connections;\nallow "local:*" : all;',
    )
    const result = await failureOf(seedTreeWith({path: PMCD_CONF, content}), 'PCP-ACCESS-004')
    expect(result.remedy).toBeUndefined()
    expect(result.message).toMatch(/write 10\.1\.\*$/)
  })

  it('the shipped default: both disallows widened to all, in place', async () => {
    const content = seedAccess('disallow ".*" : store;\ndisallow ":*" : store;\nallow "local:*" : all;')
    const fails = (await failures(seedTreeWith({path: PMCD_CONF, content}))).filter(
      (f) => f.check === 'PCP-ACCESS-003',
    )
    expect(fails.map((f) => f.fix)).toEqual([
      `sed -i '4s|^disallow ":\\*" : store;$|disallow ":*" : all;|' ${PMCD_CONF} && sed -i '3s|^disallow "\\.\\*" : store;$|disallow ".*" : all;|' ${PMCD_CONF}`,
      `sed -i '4s|^disallow ":\\*" : store;$|disallow ":*" : all;|' ${PMCD_CONF} && sed -i '3s|^disallow "\\.\\*" : store;$|disallow ".*" : all;|' ${PMCD_CONF}`,
    ])
    for (const f of fails) expect(f.remedy).toMatchObject({kind: 'manual', restart: RESTART_PMCD})
  })

  it("the guide's pmcd.access is moved aside, not deleted", async () => {
    const [, change] = SEED_FILE_BREAKS.find(([, , id]) => id === 'PCP-ACCESS-008')!
    const result = await failureOf(seedTreeWith(change), 'PCP-ACCESS-008')
    expect(result.fix).toBe(
      'install -d -m 0700 /var/backups/pcp-harden && mv -n /etc/pcp/pmcd/pmcd.access /var/backups/pcp-harden/pmcd.access',
    )
  })
})

describe('tls.conf', () => {
  const tls = (extra: string) => seedTreeWith({path: TLS_CONF, content: `${SEED_TLS}${extra}`})

  it('a misspelt key gets the real one', async () => {
    const result = await failureOf(tls('tls-cipher-list = HIGH:!aNULL\n'), 'PCP-TLS-001')
    expect(result.remedy).toMatchObject({
      kind: 'edit',
      edits: [
        {op: 'replace', line: 6, expect: 'tls-cipher-list = HIGH:!aNULL', text: 'tls-ciphers = HIGH:!aNULL'},
      ],
    })
  })

  it('a misspelt key that, spelt right, would name a missing file is left to the admin', async () => {
    const result = await failureOf(tls('ssl_cert = /etc/pcp/tls/nowhere.crt\n'), 'PCP-TLS-001')
    expect(result.remedy).toBeUndefined()
  })

  it('a cipher list cut at a blank is joined with ":"', async () => {
    const result = await failureOf(tls('tls-ciphers = HIGH !aNULL\n'), 'PCP-TLS-001')
    expect(result.remedy).toMatchObject({
      edits: [{op: 'replace', line: 6, text: 'tls-ciphers = HIGH:!aNULL'}],
    })
  })

  it('weak ciphers are banned for good', async () => {
    const result = await failureOf(tls('tls-ciphers = ALL:RC4:3DES\n'), 'PCP-TLS-003')
    expect(result.remedy).toMatchObject({
      edits: [{op: 'replace', line: 6, text: 'tls-ciphers = ALL:RC4:3DES:!RC4:!3DES'}],
    })
  })

  it('a line PCP ignores anyway is commented out', async () => {
    const result = await failureOf(tls('enable = yes\n'), 'PCP-TLS-005')
    expect(result.remedy).toMatchObject({
      edits: [{op: 'replace', line: 6, expect: 'enable = yes', text: '# enable = yes'}],
    })
  })
})

describe("monitor settings: /etc is the admin's, a home is its user's", () => {
  it('relaxed in /etc/profile.d becomes enforce automatically', async () => {
    const spec = seedTreeWith({
      path: '/etc/profile.d/pcp-tls.sh',
      content: 'export PCP_SECURE_SOCKETS=relaxed\n',
    })
    const result = await failureOf(spec, 'PCP-MON-001')
    expect(result.remedy).toEqual({
      kind: 'edit',
      path: '/etc/profile.d/pcp-tls.sh',
      edits: [
        {
          op: 'replace',
          line: 1,
          expect: 'export PCP_SECURE_SOCKETS=relaxed',
          text: 'export PCP_SECURE_SOCKETS=enforce',
        },
      ],
    })
  })

  it("relaxed in a user's ~/.profile is the user's to change (manual)", async () => {
    const spec = seedTreeWith({
      path: '/home/alice/.profile',
      owner: 'alice',
      content: 'export PCP_SECURE_SOCKETS="relaxed"\nexport PCP_TLSCONF_PATH="$HOME/.pcp/tls.conf"\n',
    })
    const result = await failureOf(spec, 'PCP-MON-001')
    expect(result.remedy?.kind).toBe('manual')
    expect(result.fix).toBe(
      `sed -i '1s|^export PCP_SECURE_SOCKETS="relaxed"$|export PCP_SECURE_SOCKETS="enforce"|' /home/alice/.profile`,
    )
  })

  it("~/.pcp/tls.conf that no PCP_TLSCONF_PATH names: the export goes to the user's ~/.profile (manual)", async () => {
    const spec = seedTreeWith({path: '/home/alice/.profile', owner: 'alice', content: '# no PCP settings\n'})
    const result = await failureOf(spec, 'PCP-MON-003')
    expect(result.remedy?.kind).toBe('manual')
    expect(result.fix).toBe(
      `{ [ ! -s /home/alice/.profile ] || [ -z "$(tail -c1 /home/alice/.profile)" ] || echo; ` +
        `printf '%s' 'export PCP_TLSCONF_PATH="$HOME/.pcp/tls.conf"\n'; } >> /home/alice/.profile`,
    )
  })

  it('an NSS-era variable in /etc/profile.d is deleted', async () => {
    const spec = seedTreeWith({
      path: '/etc/profile.d/pcp-tls.sh',
      content: 'export PCP_SECURE_SOCKETS=enforce\nexport PCP_ALLOW_SERVER_SELF_CERT=1\n',
    })
    const result = await failureOf(spec, 'PCP-MON-004')
    expect(result.remedy).toMatchObject({kind: 'edit', edits: [{op: 'delete', line: 2}]})
  })
})
