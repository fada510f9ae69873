import {describe, expect, it} from 'vitest'

import {Host, type FileStat} from '../../src/host/host.js'
import {MemoryBackend, parseTreeSpec} from '../../src/host/tree.js'
import {evaluate, formatMode, type Observed, type PathRule, recommend} from '../../src/checks/files/modes.js'
import {PROXY_RULES} from '../../src/checks/files/rules.js'

const stat = (type: FileStat['type'], mode: number): FileStat =>
  ({type, mode, uid: 0, gid: 0, size: 1, mtimeMs: 0, path: '/x', resolved: '/x'}) as FileStat

const observed = (type: FileStat['type'], mode: number, owner: string, group: string): Observed => ({
  stat: stat(type, mode),
  owner,
  group,
})

/** Apply a fix's chown/chmod to what was seen, as the shell would. */
function apply(fix: string, seen: Observed): Observed {
  let {owner, group} = seen
  let mode = seen.stat.mode
  for (const step of fix.split(' && ')) {
    const [cmd, arg] = step.split(' ')
    if (cmd === 'chown') [owner = owner, group = group] = (arg as string).split(':')
    else if (cmd === 'chmod') mode = Number.parseInt(arg as string, 8)
    else throw new Error(`not a chown/chmod: ${step}`)
  }
  return {stat: {...seen.stat, mode}, owner, group}
}

const TLS_KEY: PathRule = {
  path: '/etc/pcp/tls/server.key',
  type: 'file',
  role: 'private-key',
  mode: 0o640,
  owners: ['pcp', 'root'],
  groups: ['pcp', 'root'],
  reference: 'test',
  readBy: {user: 'pcp', group: 'pcp', consequence: 'pmcd will not start'},
}
const ROOT_CONF: PathRule = {
  path: '/etc/pcp/pmcd/pmcd.conf',
  type: 'file',
  role: 'root-config',
  mode: 0o640,
  owners: ['root'],
  groups: ['pcp', 'root'],
  reference: 'test',
}
const TLS_DIR: PathRule = {
  path: '/etc/pcp/tls',
  type: 'dir',
  role: 'trusted',
  mode: 0o750,
  owners: ['root'],
  groups: ['pcp', 'root'],
  reference: 'test',
  service: {account: 'pcp', why: 'pmcd runs as pcp'},
}
const LOG_DIR: PathRule = {
  path: '/var/log/pcp',
  type: 'dir',
  role: 'log-dir',
  mode: 0o750,
  owners: ['pcp'],
  groups: ['pcp', 'adm'],
  reference: 'test',
}

const MODES = [0o777, 0o775, 0o755, 0o750, 0o700, 0o666, 0o664, 0o644, 0o640, 0o604, 0o600, 0o400, 0o000]
const OWNERS = [
  ['root', 'root'],
  ['pcp', 'pcp'],
  ['root', 'pcp'],
  ['alice', 'alice'],
  ['pcp', 'alice'],
  ['pulse-sensor-proxy', 'pulse-sensor-proxy'],
]

describe('a file finding carries the exact command that removes it and adds none', () => {
  const rules = [TLS_KEY, ROOT_CONF, TLS_DIR, LOG_DIR, ...PROXY_RULES]
  it.each(rules.map((r) => [r.path, r] as const))('%s', (_path, rule) => {
    let fixed = 0
    for (const mode of MODES)
      for (const [owner, group] of OWNERS) {
        const seen = observed(
          rule.type,
          rule.type === 'dir' ? mode | 0o100 : mode,
          owner as string,
          group as string,
        )
        const findings = evaluate(rule, seen)
        if (findings.length === 0) continue
        const fixes = new Set(findings.map((f) => f.fix))
        expect(fixes.size, `${rule.path} ${mode.toString(8)} ${owner}:${group}`).toBe(1)
        const [fix] = fixes
        expect(fix, `${rule.path} ${mode.toString(8)} ${owner}:${group}`).toBeDefined()
        expect(fix).toContain(rule.path)
        const after = apply(fix as string, seen)
        expect(evaluate(rule, after), `${fix} on ${mode.toString(8)} ${owner}:${group}`).toEqual([])
        // The message's expectation is what the fix makes.
        const target = recommend(rule, seen)
        expect(findings[0]?.message).toContain(
          `expected ${formatMode(target.mode)} ${target.owner}:${target.group}`,
        )
        fixed++
      }
    expect(fixed).toBeGreaterThan(0)
  })

  it('a TLS key root:root 0600 (pmcd cannot read it) becomes 0640 root:pcp, never pcp-unreadable', () => {
    const [finding] = evaluate(TLS_KEY, observed('file', 0o600, 'root', 'root'))
    expect(finding).toMatchObject({
      concern: 'drift',
      fix: 'chown root:pcp /etc/pcp/tls/server.key && chmod 0640 /etc/pcp/tls/server.key',
    })
  })

  it("a world-readable key pcp owns (PCP's guide) loses only the others' bits and stays pcp's", () => {
    const [finding] = evaluate(TLS_KEY, observed('file', 0o644, 'pcp', 'pcp'))
    expect(finding).toMatchObject({concern: 'exposed', fix: 'chmod 0640 /etc/pcp/tls/server.key'})
    expect(finding?.severity).toBeUndefined()
  })

  it("a world-writable log directory gets its own command, not pmcd.conf's", () => {
    const [finding] = evaluate(LOG_DIR, observed('dir', 0o777, 'pcp', 'pcp'))
    expect(finding?.fix).toBe('chmod 0750 /var/log/pcp')
  })
})

describe('severity follows who can change the path', () => {
  it("the TLS directory owned by pcp (PCP's guide: chown -R pcp:pcp) is low, with the reason", () => {
    const [finding] = evaluate(TLS_DIR, observed('dir', 0o755, 'pcp', 'pcp'))
    expect(finding).toMatchObject({concern: 'writable', severity: 'low'})
    expect(finding?.message).toMatch(
      /^owned by pcp, who can change it: pmcd runs as pcp; expected 0750 root:pcp/,
    )
  })

  it("the TLS directory owned by another user is medium; writable by every user keeps the check's severity", () => {
    expect(evaluate(TLS_DIR, observed('dir', 0o755, 'alice', 'alice'))[0]?.severity).toBe('medium')
    expect(evaluate(TLS_DIR, observed('dir', 0o777, 'root', 'root'))[0]?.severity).toBeUndefined()
  })

  it("pmcd.conf writable by pcp stays at the check's severity (root code execution)", () => {
    const [finding] = evaluate(ROOT_CONF, observed('file', 0o664, 'root', 'pcp'))
    expect(finding).toMatchObject({concern: 'writable'})
    expect(finding?.severity).toBeUndefined()
  })

  it("a key readable by one other group is high, by every user the check's (critical)", () => {
    expect(evaluate(TLS_KEY, observed('file', 0o640, 'root', 'alice'))[0]?.severity).toBe('high')
    expect(evaluate(TLS_KEY, observed('file', 0o644, 'root', 'pcp'))[0]?.severity).toBeUndefined()
  })
})

describe("the proxy's key tree keeps its check's severity for any other writer", () => {
  it('the state directory owned by another user is not lowered', () => {
    const state = PROXY_RULES.find((r) => r.role === 'state-dir') as PathRule
    const [finding] = evaluate(state, observed('dir', 0o750, 'alice', 'pulse-sensor-proxy'))
    expect(finding).toMatchObject({concern: 'writable'})
    expect(finding?.severity).toBeUndefined()
    expect(finding?.message).toMatch(/swap the keys the proxy uses and pushes to every node/)
  })
})

describe('PCP-FILE-007: a leftover is moved aside, never over a key kept there', () => {
  it('picks a free name in /root/pcp-ca', async () => {
    const {check} = await import('../../src/checks/files/pcp-file-007.js')
    const host = new Host(
      new MemoryBackend(
        parseTreeSpec(
          `entries:
  - {path: /etc/pcp/tls, type: dir, mode: "0750"}
  - {path: /etc/pcp/tls/ca.key, mode: "0600", content: "-----BEGIN PRIVATE KEY-----\\n"}
  - {path: /root/pcp-ca/ca.key, mode: "0600", content: "-----BEGIN PRIVATE KEY-----\\n"}
`,
          'leftover',
        ),
        'leftover',
      ),
    )
    const [result] = await check.run(host)
    expect(result).toMatchObject({status: 'fail', path: '/etc/pcp/tls/ca.key'})
    expect(result?.fix).toBe(
      'install -d -m 0700 /root/pcp-ca && mv -n /etc/pcp/tls/ca.key /root/pcp-ca/ca.key.1',
    )
  })
})
