import {spawnSync} from 'node:child_process'
import {
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs'
import {tmpdir} from 'node:os'
import path from 'node:path'

import fc from 'fast-check'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {
  findDirective,
  loadUnit,
  type LoadedUnit,
  mergeDirectives,
  parseUnitFile,
  type UnitFileSource,
} from '../../src/parsers/systemd-unit.js'
import {fuzzTexts} from './mutate.js'

/** A source over an in-memory tree: file contents, and symlinks by their target. */
function memorySource(files: Record<string, string>, links: Record<string, string> = {}): UnitFileSource {
  return {
    read: async (p) => (links[p] === '/dev/null' ? '' : files[links[p] ?? p]),
    list: async (dir) =>
      [...Object.keys(files), ...Object.keys(links)]
        .filter((p) => path.dirname(p) === dir)
        .map((p) => path.basename(p)),
    readlink: async (p) => links[p],
  }
}

/** A source over a directory standing in for `/`. */
function rootSource(root: string): UnitFileSource {
  const attempt = <T>(f: () => T, fallback: T) => {
    try {
      return f()
    } catch {
      return fallback
    }
  }
  return {
    read: async (p) => attempt(() => readFileSync(path.join(root, p), 'utf8'), undefined),
    list: async (dir) => attempt(() => readdirSync(path.join(root, dir)), []),
    readlink: async (p) => attempt(() => readlinkSync(path.join(root, p)), undefined),
  }
}

const parse = (text: string) => parseUnitFile(text, '/x.service', ['Unit', 'Service', 'Install'])
const effective = (text: string, key: string) =>
  mergeDirectives([parse(`[Service]\n${text}`)]).find((d) => d.key === key)

describe('the line grammar of conf-parser.c', () => {
  it('a continued line joins with a blank; comment lines inside it are dropped', () => {
    const file = parse('[Service]\nExecStart=/bin/a \\\n# note\n  --b \\\n; more\n  --c\nUser=x\n')
    expect(file.assignments.map((a) => [a.key, a.value, a.line, a.endLine])).toEqual([
      ['ExecStart', '/bin/a    --b    --c', 2, 6],
      ['User', 'x', 7, 7],
    ])
  })

  it('an escaped backslash does not continue; a trailing backslash at the end of the file does', () => {
    expect(parse('[Service]\nA=x\\\\\nB=y\\').assignments.map((a) => [a.key, a.value])).toEqual([
      ['A', 'x\\\\'],
      ['B', 'y'],
    ])
  })

  it('lines end at LF, CR, CRLF or NUL; a byte order mark is skipped', () => {
    const file = parse('\uFEFF[Service]\rA=1\r\nB=2\0C = 3 \n')
    expect(file.assignments.map((a) => [a.key, a.value, a.line])).toEqual([
      ['A', '1', 2],
      ['B', '2', 3],
      ['C', '3', 4],
    ])
  })

  it('warnings skip a line; a bad section header stops the file', () => {
    const file = parse('A=0\n[Service]\nfoo\n=x\n[Foo]\nB=1\n[X-Mine]\nC=1\n[Service]\nD=1\n[Bad\nE=1\n')
    expect(file.assignments.map((a) => a.key)).toEqual(['D'])
    expect(file.failed).toBe(true)
    expect(file.diagnostics.map((d) => [d.line, d.severity, d.message])).toEqual([
      [1, 'warning', 'Assignment outside of section. Ignoring.'],
      [3, 'warning', "Missing '=', ignoring line."],
      [4, 'warning', "Missing key name before '=', ignoring line."],
      [5, 'warning', "Unknown section 'Foo'. Ignoring."],
      [11, 'error', "Invalid section header '[Bad'"],
    ])
    expect(parse('[Ser"vice]\n').diagnostics[0]?.message).toBe(
      "Bad characters in section header '[Ser\"vice]'",
    )
  })
})

describe('how repeated assignments combine', () => {
  it('scalars: the last wins, an empty one included', () => {
    const d = effective('ProtectSystem=strict\nProtectSystem=\n', 'ProtectSystem')
    expect([d?.kind, d?.value, d?.contributions.map((c) => c.line)]).toEqual(['scalar', '', [3]])
  })

  it('lists accumulate and an empty assignment resets; Exec lines stay whole', () => {
    const paths = effective(
      'ReadWritePaths=/a "/b c"\nReadWritePaths=\nReadWritePaths=/d /e\n',
      'ReadWritePaths',
    )
    expect([paths?.items, paths?.contributions.map((c) => c.line), paths?.assignments.length]).toEqual([
      ['/d', '/e'],
      [4],
      3,
    ])
    expect(effective('ReadWritePaths=/a "/b c"\n', 'ReadWritePaths')?.items).toEqual(['/a', '/b c'])
    expect(effective('ExecStartPre=/bin/a -x\nExecStartPre=-/bin/b\n', 'ExecStartPre')?.items).toEqual([
      '/bin/a -x',
      '-/bin/b',
    ])
    expect(effective('Environment="A=1 2" B=3\n', 'Environment')?.items).toEqual(['A=1 2', 'B=3'])
  })

  it('filters: the first assignment picks allow or deny, the other polarity removes', () => {
    const families = effective(
      'RestrictAddressFamilies=AF_UNIX AF_INET AF_NETLINK\nRestrictAddressFamilies=~AF_NETLINK\n',
      'RestrictAddressFamilies',
    )
    expect([families?.mode, families?.items]).toEqual(['allow', ['AF_UNIX', 'AF_INET']])
    const denied = effective('SystemCallFilter=~@mount\nSystemCallFilter=@mount @clock\n', 'SystemCallFilter')
    expect([denied?.mode, denied?.items, denied?.except]).toEqual(['deny', [], ['@clock']])
    const reset = effective(
      'SystemCallFilter=@system-service\nSystemCallFilter=\nSystemCallFilter=~@debug:EPERM\n',
      'SystemCallFilter',
    )
    expect([reset?.mode, reset?.items, reset?.contributions.map((c) => c.line)]).toEqual([
      'deny',
      ['@debug:EPERM'],
      [4],
    ])
    const none = effective(
      'RestrictAddressFamilies=none\nRestrictAddressFamilies=~AF_PACKET\n',
      'RestrictAddressFamilies',
    )
    expect([none?.mode, none?.items]).toEqual(['deny', ['AF_PACKET']])
    expect(
      effective('RestrictAddressFamilies=AF_UNIX\nRestrictAddressFamilies=\n', 'RestrictAddressFamilies')
        ?.mode,
    ).toBeUndefined()
  })

  it('capabilities: OR, AND NOT with ~; empty is the empty set, ~ alone the full set', () => {
    const caps = (text: string) => {
      const d = effective(text, 'CapabilityBoundingSet')
      return [d?.mode, d?.items]
    }
    expect(caps('CapabilityBoundingSet=CAP_A CAP_B\nCapabilityBoundingSet=CAP_B CAP_C\n')).toEqual([
      'allow',
      ['CAP_A', 'CAP_B', 'CAP_C'],
    ])
    expect(caps('CapabilityBoundingSet=CAP_A CAP_B\nCapabilityBoundingSet=~CAP_B CAP_C\n')).toEqual([
      'allow',
      ['CAP_A'],
    ])
    expect(caps('CapabilityBoundingSet=CAP_A\nCapabilityBoundingSet=\n')).toEqual(['allow', []])
    expect(
      caps('CapabilityBoundingSet=CAP_A\nCapabilityBoundingSet=~\nCapabilityBoundingSet=CAP_B\n'),
    ).toEqual(['allow', ['CAP_B']])
    expect(caps('CapabilityBoundingSet=~CAP_SYS_ADMIN\nCapabilityBoundingSet=~CAP_NET_RAW\n')).toEqual([
      'deny',
      ['CAP_SYS_ADMIN', 'CAP_NET_RAW'],
    ])
  })

  it('RestrictNamespaces: a boolean replaces, lists merge, empty restores the default', () => {
    const ns = (text: string) => {
      const d = effective(text, 'RestrictNamespaces')
      return [d?.mode, d?.items]
    }
    expect(ns('RestrictNamespaces=yes\n')).toEqual(['allow', []])
    expect(ns('RestrictNamespaces=yes\nRestrictNamespaces=net\n')).toEqual(['allow', ['net']])
    expect(ns('RestrictNamespaces=~user\nRestrictNamespaces=~net\n')).toEqual(['deny', ['user', 'net']])
    expect(ns('RestrictNamespaces=net\nRestrictNamespaces=\n')).toEqual([undefined, []])
  })
})

describe('loading a unit with its drop-ins', () => {
  const UNIT = 'pulse-sensor-proxy.service'
  const files = {
    [`/usr/lib/systemd/system/${UNIT}`]: '[Service]\nExecStart=/usr/bin/x\nProtectHome=read-only\n',
    [`/lib/systemd/system/${UNIT}`]: '[Service]\nExecStart=/lower\n',
    [`/etc/systemd/system/${UNIT}.d/10-hardening.conf`]: '[Service]\nProtectHome=yes\n',
    [`/usr/lib/systemd/system/${UNIT}.d/10-hardening.conf`]: '[Service]\nProtectHome=no\n',
    '/usr/lib/systemd/system/pulse-.service.d/20-prefix.conf': '[Service]\nNoNewPrivileges=yes\n',
    '/usr/lib/systemd/system/pulse-sensor-.service.d/20-prefix.conf': '[Service]\nNoNewPrivileges=no\n',
    '/run/systemd/system/service.d/05-all.conf': '[Service]\nPrivateTmp=yes\n',
    '/etc/systemd/system/service.d/20-prefix.conf': '[Service]\nUser=nobody\n',
  }

  it('the first unit file on the search path; drop-ins by name, higher precedence hiding lower', async () => {
    const unit = await loadUnit(UNIT, memorySource(files))
    expect(unit.state).toBe('loaded')
    expect(unit.fragment).toBe(`/lib/systemd/system/${UNIT}`)
    expect(unit.dropIns).toEqual([
      '/run/systemd/system/service.d/05-all.conf',
      `/etc/systemd/system/${UNIT}.d/10-hardening.conf`,
      '/usr/lib/systemd/system/pulse-sensor-.service.d/20-prefix.conf',
    ])
    expect(unit.shadowedDropIns.sort()).toEqual([
      '/etc/systemd/system/service.d/20-prefix.conf',
      '/usr/lib/systemd/system/pulse-.service.d/20-prefix.conf',
      `/usr/lib/systemd/system/${UNIT}.d/10-hardening.conf`,
    ])
    const at = (key: string) => {
      const d = findDirective(unit, 'Service', key)
      return [d?.value, d?.contributions.map((c) => `${c.file}:${c.line}`)]
    }
    expect(at('ExecStart')).toEqual(['/lower', [`/lib/systemd/system/${UNIT}:2`]])
    expect(at('ProtectHome')).toEqual(['yes', [`/etc/systemd/system/${UNIT}.d/10-hardening.conf:2`]])
    expect(at('NoNewPrivileges')[0]).toBe('no')
    expect(at('PrivateTmp')[0]).toBe('yes')
  })

  it('a symlink to /dev/null or an empty file masks; an instance falls back to its template', async () => {
    const masked = await loadUnit(UNIT, memorySource(files, {[`/etc/systemd/system/${UNIT}`]: '/dev/null'}))
    expect([masked.state, masked.fragment, masked.directives]).toEqual([
      'masked',
      `/etc/systemd/system/${UNIT}`,
      [],
    ])
    const empty = await loadUnit(UNIT, memorySource({...files, [`/run/systemd/system/${UNIT}`]: ''}))
    expect(empty.state).toBe('masked')
    expect((await loadUnit('nothing.service', memorySource(files))).state).toBe('not-found')
    const instance = await loadUnit(
      'getty-x@tty1.service',
      memorySource({
        '/usr/lib/systemd/system/getty-x@.service': '[Service]\nExecStart=/getty\n',
        '/etc/systemd/system/getty-x@tty1.service.d/a.conf': '[Service]\nA=1\n',
        '/etc/systemd/system/getty-x@.service.d/b.conf': '[Service]\nB=1\n',
        '/etc/systemd/system/getty-@tty1.service.d/c.conf': '[Service]\nC=1\n',
      }),
    )
    expect([instance.fragment, instance.dropIns.map((p) => path.basename(p))]).toEqual([
      '/usr/lib/systemd/system/getty-x@.service',
      ['a.conf', 'b.conf', 'c.conf'],
    ])
  })

  it('a fatal error in the unit file fails the load; in a drop-in it only ends that drop-in', async () => {
    const unit = await loadUnit(
      'a.service',
      memorySource({
        '/etc/systemd/system/a.service': '[Service]\nUser=a\n',
        '/etc/systemd/system/a.service.d/x.conf': '[Service]\nGroup=a\n[Bad\nUser=b\n',
      }),
    )
    expect([unit.state, findDirective(unit, 'Service', 'User')?.value]).toEqual(['loaded', 'a'])
    const broken = await loadUnit('a.service', memorySource({'/etc/systemd/system/a.service': '[Bad\n'}))
    expect(broken.state).toBe('error')
  })
})

describe('agrees with systemd-analyze security --offline on a unit tree', () => {
  let root: string
  const UNIT = 'pulse-sensor-proxy.service'
  const write = (p: string, text: string) => {
    mkdirSync(path.dirname(path.join(root, p)), {recursive: true})
    writeFileSync(path.join(root, p), text)
  }
  /** systemd-analyze's JSON verdicts and its file:line messages, bounded in time. */
  const analyze = (unit: string) => {
    const run = spawnSync(
      'systemd-analyze',
      ['security', '--offline=true', `--root=${root}`, '--json=short', '--no-pager', unit],
      {encoding: 'utf8', timeout: 30_000},
    )
    const verdicts = new Map<string, boolean | null>()
    if (run.stdout.trim().startsWith('['))
      for (const v of JSON.parse(run.stdout) as {json_field: string; set: boolean | null}[])
        verdicts.set(v.json_field, v.set)
    const messages = [...run.stderr.matchAll(/^(\/\S+):(\d+): (.*)$/gm)].map(
      (m) => `${(m[1] as string).slice(root.length)}:${m[2]}: ${m[3]}`,
    )
    return {verdicts, messages, stderr: run.stderr}
  }

  beforeAll(() => {
    root = mkdtempSync(path.join(tmpdir(), 'pcp-harden-units-'))
    write(
      `/usr/lib/systemd/system/${UNIT}`,
      [
        '[Unit]',
        'Description=Pulse sensor proxy',
        '[Service]',
        'ExecStart=/usr/bin/true',
        'NoNewPrivileges=yes',
        'PrivateTmp=\\',
        '# a comment inside the continuation',
        '  yes',
        'ProtectClock=yes',
        'RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6 AF_NETLINK',
        'SystemCallFilter=@system-service',
        'CapabilityBoundingSet=CAP_NET_ADMIN CAP_SYS_ADMIN',
        'stray words',
        '[Foo]',
        'ProtectHostname=yes',
        '[X-Extra]',
        'ProtectKernelTunables=yes',
        '',
      ].join('\n'),
    )
    write(
      `/etc/systemd/system/${UNIT}.d/20-override.conf`,
      '[Service]\nProtectClock=no\nRestrictAddressFamilies=~AF_NETLINK\nCapabilityBoundingSet=~CAP_SYS_ADMIN\n',
    )
    write('/usr/lib/systemd/system/pulse-.service.d/20-override.conf', '[Service]\nPrivateDevices=yes\n')
    write('/usr/lib/systemd/system/pulse-.service.d/30-prefix.conf', '[Service]\nProtectKernelLogs=yes\n')
    write('/run/systemd/system/service.d/10-all.conf', '[Service]\nLockPersonality=yes\n')
    write(
      `/etc/systemd/system/${UNIT}.d/40-bad.conf`,
      '[Service]\nRestrictRealtime=yes\n[Broken\nProtectKernelModules=yes\n',
    )
    write(
      `/etc/systemd/system/${UNIT}.d/50-reset.conf`,
      '[Service]\nSystemCallFilter=\nSystemCallFilter=~@mount\n',
    )
    write('/usr/lib/systemd/system/masked-a.service', '[Service]\nExecStart=/usr/bin/true\n')
    symlinkSync('/dev/null', path.join(root, 'etc/systemd/system/masked-a.service'))
    write('/etc/systemd/system/masked-b.service', '')
  })
  afterAll(() => rmSync(root, {recursive: true, force: true}))

  it('boolean directives, address families, capabilities and system call groups', async () => {
    const unit: LoadedUnit = await loadUnit(UNIT, rootSource(root))
    const {verdicts, messages} = analyze(UNIT)
    expect(verdicts.size).toBeGreaterThan(0)
    const on = (key: string) => findDirective(unit, 'Service', key)?.value === 'yes'
    for (const key of [
      'NoNewPrivileges',
      'PrivateTmp',
      'ProtectClock',
      'PrivateDevices',
      'ProtectKernelLogs',
      'LockPersonality',
      'RestrictRealtime',
      'ProtectKernelModules',
      'ProtectHostname',
      'ProtectKernelTunables',
    ])
      expect([key, on(key)]).toEqual([key, verdicts.get(key)])
    const families = findDirective(unit, 'Service', 'RestrictAddressFamilies')
    for (const family of ['AF_UNIX', 'AF_NETLINK', 'AF_PACKET']) {
      const restricted =
        families?.mode === 'allow' ? !families.items.includes(family) : !!families?.items.includes(family)
      expect([family, restricted]).toEqual([family, verdicts.get(`RestrictAddressFamilies_${family}`)])
    }
    const caps = findDirective(unit, 'Service', 'CapabilityBoundingSet')
    for (const cap of ['CAP_SYS_ADMIN', 'CAP_NET_ADMIN'])
      expect([cap, !caps?.items.includes(cap)]).toEqual([cap, verdicts.get(`CapabilityBoundingSet_${cap}`)])
    const filter = findDirective(unit, 'Service', 'SystemCallFilter')
    expect(filter?.mode).toBe('deny')
    for (const group of ['mount', 'privileged'])
      expect([group, filter?.items.includes(`@${group}`)]).toEqual([
        group,
        verdicts.get(`SystemCallFilter_${group}`),
      ])
    // Its messages name the last line of a continued statement; ours name the first, the same here.
    const ours = unit.diagnostics.map((d) => `${d.file}:${d.line}: ${d.message}`)
    expect(ours.sort()).toEqual(messages.sort())
  })

  it('masked units', async () => {
    for (const name of ['masked-a.service', 'masked-b.service']) {
      expect((await loadUnit(name, rootSource(root))).state).toBe('masked')
      expect(analyze(name).stderr).toContain(`Unit ${name} is masked.`)
    }
  })
})

describe('never throws, and every line is in the file', () => {
  it('random and mutated unit files', () => {
    const seeds = [
      '[Unit]\nDescription=x\n[Service]\nExecStart=/bin/a \\\n  -b\nSystemCallFilter=~@mount\nSystemCallFilter=\n',
      '[Service]\r\nCapabilityBoundingSet=~CAP_A\r\n; c\r\nRestrictNamespaces=yes\nRestrictAddressFamilies=none\n',
    ]
    fc.assert(
      fc.property(fuzzTexts(seeds, '[Service]=\\\n#;~ \rAB'), (text) => {
        const lines = text.split(/\r\n|[\r\n\0]/).length
        const file = parse(text)
        for (const node of [...file.assignments, ...file.diagnostics]) {
          expect(node.line).toBeGreaterThanOrEqual(1)
          expect(node.line).toBeLessThanOrEqual(lines)
        }
        for (const a of file.assignments) expect(a.endLine).toBeLessThanOrEqual(lines)
        mergeDirectives([file, file])
      }),
      {numRuns: 200},
    )
  })
})
