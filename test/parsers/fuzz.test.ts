import {readFileSync} from 'node:fs'
import path from 'node:path'
import vm from 'node:vm'

import fc from 'fast-check'
import {describe, expect, it} from 'vitest'

import {InputError} from '../../src/engine/errors.js'
import {parseWaivers} from '../../src/engine/waivers-file.js'
import {parseGroup, parsePasswd} from '../../src/host/accounts.js'
import {parseAuthorizedKeys} from '../../src/parsers/authorized-keys.js'
import {parseCorosyncConf} from '../../src/parsers/corosync-conf.js'
import {parseLxcConfig} from '../../src/parsers/lxc-conf.js'
import {parseEnvironmentFile, parseShellProfile} from '../../src/parsers/pcp-env.js'
import {parsePmcdConf} from '../../src/parsers/pmcd-conf.js'
import {parsePmcdEnv} from '../../src/parsers/pmcd-env.js'
import {parsePmcdOptions} from '../../src/parsers/pmcd-options.js'
import {parsePmproxyConf} from '../../src/parsers/pmproxy-conf.js'
import {parsePmproxyOptions, parsePmproxySysconfig} from '../../src/parsers/pmproxy-options.js'
import {parseProxyConfig} from '../../src/parsers/proxy-config.js'
import {parseSaslConf} from '../../src/parsers/sasl-conf.js'
import {parseUnitFile} from '../../src/parsers/systemd-unit.js'
import {parseTlsConf} from '../../src/parsers/tls-conf.js'
import {lintPmcdConf} from '../../src/pcp/lint.js'
import {CASES, caseText} from '../access/cases.js'
import {REPO} from '../cli/run-cli.js'
import {fuzzTexts, HOSTILE_CHARACTERS} from './mutate.js'

const CORPUS = path.resolve(REPO, 'test/fixtures/field')
const corpus = (file: string) => readFileSync(path.join(CORPUS, file), 'utf8')
/** A deployed pmcd.conf: an agents table and the shipped default [access] section. */
const DEPLOYED_PMCD_CONF = corpus('pmcd/deployed-pmcd.conf')

/** Bounded: a few hundred inputs each, so the suite stays fast. */
const RUNS = {numRuns: 300}

const lineCount = (text: string) => text.split('\n').length

describe('parsers never throw, and every problem has a line in the file', () => {
  it('pmcd.conf', async () => {
    const seeds = [corpus('pmcd/deployed-pmcd.conf'), ...CASES.map(caseText)]
    const ctx = {
      resolveHost: async (name: string) => (name === 'localhost' ? ['127.0.0.1'] : undefined),
      users: [],
      groups: [],
    }
    await fc.assert(
      fc.asyncProperty(fuzzTexts(seeds), async (text) => {
        const conf = parsePmcdConf(text)
        for (const d of conf.diagnostics) {
          expect(d.line).toBeGreaterThanOrEqual(1)
          expect(d.line).toBeLessThanOrEqual(lineCount(text))
        }
        for (const s of conf.statements) expect(s.endLine).toBeLessThanOrEqual(lineCount(text))
        const lint = await lintPmcdConf(text, ctx)
        expect(lint.valid).toBe(!lint.diagnostics.some((d) => d.severity === 'error'))
      }),
      RUNS,
    )
  })

  it('tls.conf', () => {
    const seeds = [
      'tls-cert-file = /etc/pcp/tls/server.crt\ntls-key-file = /etc/pcp/tls/server.key\n# c\ntls-ciphers: HIGH:!aNULL\n',
      '  tls-ca = /ca.crt\ntls-verify-clients = true\ntls-unknown = x\n',
    ]
    fc.assert(
      fc.property(fuzzTexts(seeds, 'tls-cert-file=:# \n\t/ca'), (text) => {
        const conf = parseTlsConf(text)
        for (const s of [...conf.settings, ...conf.ignored]) {
          expect(s.line).toBeGreaterThanOrEqual(1)
          expect(s.line).toBeLessThanOrEqual(lineCount(text))
        }
        // PCP splits on C's isspace(): ASCII blanks only; a no-break space stays in a value.
        for (const s of conf.settings) expect(s.value).not.toMatch(/[ \t\n\r\f\v#]/)
      }),
      RUNS,
    )
  })

  it('/etc/sasl2/pmcd.conf', () => {
    const seeds = [
      'mech_list: plain login scram-sha-256\nsasldb_path: /etc/pcp/passwd.db\n',
      '# c\nmech_list:\n',
    ]
    fc.assert(
      fc.property(fuzzTexts(seeds, 'mech_list:sasldb_path #\n'), (text) => {
        const conf = parseSaslConf(text)
        for (const line of Object.values(conf.lines)) expect(line).toBeLessThanOrEqual(lineCount(text))
      }),
      RUNS,
    )
  })

  it('waivers: a list, or one InputError line naming file and line', () => {
    const seeds = [
      'waivers:\n  - check: PCP-FILE-006\n    path: /etc/pcp/*\n    reason: r\n    expires: 2027-01-31\n',
      '- {check: PSP-*, reason: lab}\n',
    ]
    fc.assert(
      fc.property(fuzzTexts(seeds, 'waivers:- {}check,reason:path/*\n "#'), (text) => {
        try {
          for (const w of parseWaivers(text, 'w.yaml')) expect(w.line).toBeLessThanOrEqual(lineCount(text))
        } catch (error) {
          expect(error).toBeInstanceOf(InputError)
          expect((error as Error).message).toMatch(/^w\.yaml:\d+: [^\n]+$/)
        }
      }),
      RUNS,
    )
  })
})

describe('configurations shaped like deployed ones', () => {
  it('a deployed pmcd.conf: an agents table and the shipped default access section', async () => {
    const text = corpus('pmcd/deployed-pmcd.conf')
    const conf = parsePmcdConf(text)
    expect(conf.diagnostics).toEqual([])
    expect(conf.agents.map((a) => a.name)).toContain('pmcd')
    expect(conf.statements.map((s) => [s.allow, s.names.map((n) => n.text)])).toEqual([
      [false, ['.*']],
      [false, [':*']],
      [true, ['local:*']],
    ])
  })
})

/**
 * Runs a parser with a wall-clock bound that also stops a synchronous endless loop (vm's timeout
 * terminates whatever JavaScript runs), so a tokenizer that stops moving fails this test instead
 * of hanging the suite or exhausting memory.
 */
function within(ms: number, run: () => void): void {
  vm.runInNewContext('run()', {run}, {timeout: ms})
}

/** Every parser, with a line of the kind it reads; errors it throws on bad input are allowed. */
const PARSERS: [string, string, (text: string) => unknown][] = [
  ['pmcd.conf', DEPLOYED_PMCD_CONF, parsePmcdConf],
  ['tls.conf', 'tls-cert-file = /etc/pcp/tls/server.crt\n', (t) => parseTlsConf(t)],
  ['sasl', 'mech_list: plain login\n', (t) => parseSaslConf(t)],
  ['pmcd.options', '-A\n-i 127.0.0.1\n', (t) => parsePmcdOptions(t)],
  [
    '/etc/default/pmcd',
    'PMCD_LOCAL=1\nPMCD_ARGS="-i 1.2.3.4"\n',
    (t) => parsePmcdEnv(t, '/etc/default/pmcd'),
  ],
  ['pmproxy.conf', '[pmproxy]\nsecure.enabled = true ; c\n  more\n', (t) => parsePmproxyConf(t)],
  ['pmproxy.options', '-h localhost\n-p 44322\n', (t) => parsePmproxyOptions(t)],
  ['pmproxy sysconfig', 'PMPROXY_LOCAL=1\n', (t) => parsePmproxySysconfig(t, '/etc/sysconfig/pmproxy')],
  ['/etc/environment', 'PCP_SECURE_SOCKETS="enforce"\nexport A=b \\\n c\n', (t) => parseEnvironmentFile(t)],
  [
    'profile',
    'export PCP_SECURE_SOCKETS=enforce; A="$HOME/x" `id` $(id)\n',
    (t) => parseShellProfile(t, '/etc/profile'),
  ],
  [
    'authorized_keys',
    'from="10.0.0.1",command="sensors -j",no-pty ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl c\n',
    parseAuthorizedKeys,
  ],
  [
    'lxc',
    'arch: amd64\nmp0: /run/x,mp=/mnt/x\nlxc.mount.entry = /a b none bind 0 0\n[snap]\n',
    parseLxcConfig,
  ],
  ['unit', '[Service]\nExecStart=/bin/x \\\n  -y\nUser=nobody\n', (t) => parseUnitFile(t, '/x.service')],
  [
    'proxy config.yaml',
    'allowed_source_subnets:\n  - 10.0.0.0/24\nmetrics_address: disabled\n',
    (t) => parseProxyConfig(t),
  ],
  [
    'corosync.conf',
    'totem {\n  cluster_name: c\n}\nnodelist {\n  node {\n    ring0_addr: 10.0.0.1\n  }\n}\n',
    parseCorosyncConf,
  ],
  ['waivers', 'waivers:\n  - check: PCP-FILE-006\n    reason: r\n', (t) => parseWaivers(t, 'w.yaml')],
  ['passwd', 'root:x:0:0:root:/root:/bin/bash\n', parsePasswd],
  ['group', 'pcp:x:998:\n', parseGroup],
]

describe('every parser moves on over every character class (bounded: a stall fails, never hangs)', () => {
  it.each(PARSERS)('%s', (_name, seed, parse) => {
    const texts: string[] = []
    for (const c of HOSTILE_CHARACTERS) {
      for (let at = 0; at <= seed.length; at++) texts.push(seed.slice(0, at) + c + seed.slice(at))
      texts.push(seed.replaceAll(' ', c), c.repeat(4096) + seed, seed + c.repeat(4096))
    }
    within(20_000, () => {
      for (const text of texts) {
        try {
          parse(text)
        } catch (error) {
          if (!(error instanceof Error) || error instanceof RangeError) throw error
        }
      }
    })
  })

  it.each(PARSERS)('%s: 256 KiB of one character class stays linear', (_name, seed, parse) => {
    within(20_000, () => {
      for (const c of [' ', '\t', 'a', '=', ':', '"', '\\\n', '#', ',', '[', '{', '\u00a0', '\ufeff']) {
        try {
          parse(seed + c.repeat((256 * 1024) / c.length) + 'x\n')
        } catch (error) {
          if (!(error instanceof Error) || error instanceof RangeError) throw error
        }
      }
    })
  })
})
