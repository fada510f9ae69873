import {readFileSync} from 'node:fs'
import path from 'node:path'

import fc from 'fast-check'
import {describe, expect, it} from 'vitest'

import {parseLxcConfig} from '../../src/parsers/lxc-conf.js'
import {REPO} from '../cli/run-cli.js'
import {fuzzTexts} from './mutate.js'

const CORPUS = path.resolve(REPO, 'test/fixtures/field/lxc')
const corpus = (file: string) => readFileSync(path.join(CORPUS, file), 'utf8')
const FILES = [
  'lxc-1.conf',
  'lxc-2.conf',
  'lxc-6.conf',
  'lxc-9.conf',
  'lxc-12.conf',
  'lxc-15.conf',
  'lxc-17.conf',
]

const main = (text: string) => parseLxcConfig(text).main

describe('container configs shaped like real ones', () => {
  it('lxc-1: an unprivileged template CT', () => {
    const conf = parseLxcConfig(corpus('lxc-1.conf'))
    expect(conf.diagnostics).toEqual([])
    expect(conf.main.privileged).toBe(false)
    expect(conf.main.settings.template).toMatchObject({typed: '1', line: 12})
    expect(conf.main.rootfs).toMatchObject({
      volume: 'local-lvm:base-900-disk-0',
      type: 'volume',
      path: '/',
      backup: true,
    })
    expect(conf.main.features).toMatchObject({nesting: true, keyctl: false})
    expect(conf.snapshots).toEqual([])
  })

  it('lxc-2: privileged, 7 snapshot sections, %-encoded UTF-8 descriptions, cgroup v1 keys', () => {
    const conf = parseLxcConfig(corpus('lxc-2.conf'))
    expect(conf.main.privileged).toBe(true)
    expect(conf.main.settings.unprivileged).toMatchObject({value: '0', typed: '0', line: 18})
    expect(conf.main.description).toBe(
      ' EDGE 10.30.0.1/24\n inside\n uplink: ETH1 -> vmbr2 -> net1 -> eth1 \n',
    )
    expect(conf.snapshots.map((s) => [s.name, s.headerLine])).toEqual([
      ['EdgeDns', 23],
      ['FwBase', 45],
      ['fw-with-wireguard', 67],
      ['wgdns', 88],
      ['wgrouter', 109],
      ['pre-upgrade', 131],
      ['golden', 153],
    ])
    expect(conf.snapshots.every((s) => s.privileged)).toBe(true)
    expect(conf.snapshots.find((s) => s.name === 'golden')?.description).toBe('安定版のバックアップ\n')
    expect(conf.snapshots.find((s) => s.name === 'wgdns')?.description).toBe(
      'Ünbound schlank, ohne Passwort\n',
    )
    expect(conf.main.settings.parent?.value).toBe('FwBase')
    expect(conf.main.raw.map((r) => [r.key, r.applied, r.replacement])).toEqual([
      ['lxc.cgroup.devices.allow', true, 'lxc.cgroup2.devices.allow'],
      ['lxc.cgroup2.devices.allow', true, undefined],
      ['lxc.mount.entry', true, undefined],
    ])
    expect(conf.main.deviceRules[1]).toEqual({
      line: 20,
      key: 'lxc.cgroup2.devices.allow',
      allow: true,
      rule: 'c 10:200 rwm',
      type: 'c',
      major: '10',
      minor: '200',
      access: 'rwm',
    })
    // One cgroup v1 warning per section that carries the key: main and 7 snapshots.
    expect(conf.diagnostics.map((d) => d.severity)).toEqual(Array(8).fill('warning'))
    expect(conf.diagnostics[0]).toMatchObject({line: 19, message: expect.stringContaining('cgroup v1')})
  })

  it('lxc-6: unprivileged with an idmap passthrough of host uid/gid 1500/200, host-path mp0/mp1', () => {
    const m = main(corpus('lxc-6.conf'))
    expect(m.privileged).toBe(false)
    expect(m.idmaps.map((i) => [i.type, i.containerId, i.hostId, i.count])).toEqual([
      ['u', 0, 100000, 1500],
      ['g', 0, 100000, 200],
      ['u', 1500, 1500, 1],
      ['g', 200, 200, 1],
      ['u', 1501, 101501, 64035],
      ['g', 201, 100201, 65335],
      ['u', 65536, 65536, 10],
      ['g', 65536, 65536, 10],
    ])
    expect(m.mountpoints.map((p) => [p.key, p.volume, p.type, p.path, p.backup])).toEqual([
      ['mp0', '/tank/share', 'bind', '/share', false],
      ['mp1', '/tank/photos', 'bind', '/photos', false],
    ])
  })

  it('lxc-9: privileged because unprivileged is absent; GPU devN passthrough', () => {
    const conf = parseLxcConfig(corpus('lxc-9.conf'))
    expect(conf.diagnostics).toEqual([])
    expect(conf.main.settings.unprivileged).toBeUndefined()
    expect(conf.main.privileged).toBe(true)
    expect(conf.main.devices).toEqual([
      {key: 'dev0', line: 3, path: '/dev/dri/renderD128', options: {gid: '104'}, denyWrite: false},
      {key: 'dev1', line: 4, path: '/dev/dri/card0', options: {gid: '44'}, denyWrite: false},
    ])
    expect(conf.main.features).toMatchObject({nesting: true, fuse: true})
  })

  it('lxc-12: a helper-script CT whose HTML description is %-encoded', () => {
    const conf = parseLxcConfig(corpus('lxc-12.conf'))
    expect(conf.diagnostics).toEqual([])
    expect(conf.main.descriptionLines).toHaveLength(32)
    expect(conf.main.description).toContain("<a href='https://helper.example.org' target='_blank'")
    expect(conf.main.description).toContain('badge/❤️-Sponsoring%20%26%20Donations')
    expect(conf.main.mountpoints[0]).toMatchObject({
      key: 'mp0',
      line: 42,
      volume: '/srv/library',
      type: 'bind',
      path: '/library',
    })
    expect(conf.main.devices.map((d) => d.path)).toEqual([
      '/dev/dri/renderD128',
      '/dev/dri/renderD129',
      '/dev/dri/card0',
      '/dev/dri/card1',
    ])
    expect(conf.main.settings.tags?.value).toBe('helper-script;video')
  })

  it('lxc-15: privileged, lxc.mount.auto, a socket-file bind, a commented-out entry that is only description', () => {
    const m = main(corpus('lxc-15.conf'))
    expect(m.privileged).toBe(true)
    expect(m.mountAuto).toEqual(['proc:mixed', 'sys:ro', 'cgroup:mixed'])
    expect(m.mountEntries.map((e) => [e.line, e.source, e.target, e.options.at(-1)])).toEqual([
      [15, '/dev/dri', 'dev/dri', 'create=dir'],
      [16, '/dev/snd', 'dev/snd', 'create=dir'],
      [17, '/dev/video1', 'dev/video1', 'create=file'],
      [18, '/run/user/1000/pipewire-0', 'home/kim/.pipewire-0', 'create=file'],
      [19, '/tmp/.X11-unix', 'tmp/.X11-unix', 'create=dir'],
    ])
    expect(m.descriptionLines.map((d) => d.line)).toEqual([1, 20])
    expect(m.description).toContain('lxc.mount.entry: /tmp/screen-1000 tmp/screen-1000')
  })

  it('lxc-17: the Pulse CT binds the proxy socket directory with lxc.mount.entry', () => {
    const conf = parseLxcConfig(corpus('lxc-17.conf'))
    expect(conf.diagnostics).toEqual([])
    expect(conf.main.privileged).toBe(false)
    expect(conf.main.mountpoints).toEqual([])
    expect(conf.main.mountEntries).toEqual([
      {
        line: 15,
        source: '/run/pulse-sensor-proxy',
        target: 'mnt/pulse-proxy',
        fsType: 'none',
        options: ['bind'],
        dump: '0',
        pass: '0',
      },
    ])
    expect(conf.main.settings.protection).toMatchObject({typed: '0'})
  })

  it('every file: one occurrence per line of the main section, each with its line', () => {
    for (const file of FILES) {
      const text = corpus(file)
      const conf = parseLxcConfig(text)
      const lines = text.split('\n')
      for (const s of conf.main.occurrences) expect(lines[s.line - 1]).toMatch(new RegExp(`^${s.key}:`))
      for (const r of conf.main.raw)
        expect(lines[r.line - 1]).toMatch(new RegExp(`^${r.key.replace(/\./g, '\\.')}[:=]`))
    }
  })
})

describe('PVE::LXC::Config rules', () => {
  it.each([
    ['', true],
    ['unprivileged: 0\n', true],
    ['unprivileged: no\n', true],
    ['unprivileged: off\n', true],
    ['unprivileged: 1\n', false],
    ['unprivileged: yes\n', false],
    ['unprivileged: True\n', false],
    // A value that fails the boolean check is kept as written, and any Perl-true string counts.
    ['unprivileged: 2\n', false],
  ])('%j: privileged %s', (text, privileged) => {
    expect(main(`arch: amd64\n${text}`).privileged).toBe(privileged)
  })

  it('the main section ends at the first section header; pending and snapshots are apart', () => {
    const conf = parseLxcConfig(
      'unprivileged: 1\n[pve:pending]\nunprivileged: 0\ndelete: mp0\n[snap1]\nlxc.apparmor.profile: unconfined\n',
    )
    expect(conf.main.privileged).toBe(false)
    expect(conf.pending).toMatchObject({headerLine: 2, privileged: true, pendingDelete: 'mp0'})
    expect(conf.main.apparmorProfile).toBeUndefined()
    expect(conf.snapshots[0]?.apparmorProfile).toEqual({value: 'unconfined', line: 6})
  })

  it('a line that only looks like a header is not one', () => {
    const conf = parseLxcConfig('[a]\n[snap!]\n')
    expect(conf.snapshots).toEqual([])
    expect(conf.diagnostics).toEqual([
      {line: 1, severity: 'error', message: 'unable to parse config: [a]'},
      {line: 2, severity: 'error', message: 'unable to parse config: [snap!]'},
    ])
  })

  it('native keys: the last one wins, every occurrence is kept; bad values are kept as written', () => {
    const m = main('cores: 2\ncores: 04\nmemory: lots\nbogus: 1\n')
    expect(m.settings.cores).toEqual({key: 'cores', value: '04', typed: '4', line: 2})
    expect(m.occurrences.map((s) => s.line)).toEqual([1, 2, 3, 4])
    expect(parseLxcConfig('memory: lots\nbogus: 1\n').diagnostics).toEqual([
      {
        line: 1,
        severity: 'warning',
        message: "unable to parse value of 'memory' - type check ('integer') failed - got 'lots'",
      },
      {line: 2, severity: 'warning', message: "unable to parse value of 'bogus' - unknown setting 'bogus'"},
    ])
  })

  it('raw keys take : or =, repeat in order; PVE refuses some and warns about deprecated ones', () => {
    const conf = parseLxcConfig(
      [
        'lxc.cap.drop: sys_admin',
        'lxc.cap.drop =',
        'lxc.cap.drop = mac_admin  mac_override',
        'lxc.aa_profile: unconfined',
        'lxc.id_map: u 0 0 65536',
        'lxc.rootfs.path: /x',
        'lxc.bogus.key: 1',
        'lxc.limit.nofile: 100',
        'lxc.cgroup2.devices.allow: a',
        'lxc.mount.auto: cgroup:rw',
        'lxc.idmap: x 0 0',
      ].join('\n'),
    )
    const m = conf.main
    expect(m.raw.map((r) => [r.separator, r.applied])).toEqual([
      [':', true],
      ['=', true],
      ['=', true],
      [':', true],
      [':', true],
      [':', false],
      [':', false],
      [':', true],
      [':', true],
      [':', true],
      [':', true],
    ])
    expect(m.capDrop).toEqual(['mac_admin', 'mac_override'])
    expect(m.apparmorProfile).toBeUndefined()
    expect(m.raw[3]?.replacement).toBe('lxc.apparmor.profile')
    expect(m.idmaps).toEqual([
      {line: 5, key: 'lxc.id_map', type: 'u', containerId: 0, hostId: 0, count: 65536},
    ])
    expect(m.deviceRules).toEqual([
      {line: 9, key: 'lxc.cgroup2.devices.allow', allow: true, rule: 'a', type: 'a'},
    ])
    expect(m.mountAuto).toEqual(['cgroup:rw'])
    expect(conf.diagnostics.map((d) => [d.line, d.severity])).toEqual([
      [4, 'warning'],
      [5, 'warning'],
      [6, 'error'],
      [7, 'error'],
      [8, 'warning'],
      [11, 'error'],
    ])
    expect(conf.diagnostics[2]?.message).toBe(
      'lxc.rootfs.path: lxc.rootfs.path is auto generated from rootfs',
    )
  })

  it('# lines are %-decoded description, never live settings', () => {
    const m = main(
      '#lxc.mount.entry%3A /run/pulse-sensor-proxy mnt/pulse-proxy none bind 0 0\ndescription: a%0Ab\n',
    )
    expect(m.raw).toEqual([])
    expect(m.mountEntries).toEqual([])
    expect(m.description).toBe('lxc.mount.entry: /run/pulse-sensor-proxy mnt/pulse-proxy none bind 0 0\na\nb')
  })

  it('mount points: host paths, volumes, options, and values PVE cannot use', () => {
    const conf = parseLxcConfig(
      [
        'mp0: /run/pulse-sensor-proxy,mp=/mnt/pulse-proxy',
        'mp1: local-lvm:vm-100-disk-1,mp=/data,backup=1,ro=yes,size=8G',
        'mp2: /dev/sdb1,mp=/disk',
        'mp3: /srv,mp=/x,bogus=1',
        'mp4: /srv,mp=/x,mp=/y',
        'mp5: /srv/../etc,mp=/x',
        'mp6: /srv',
        'dev0: /etc/shadow',
        'dev1: /dev/kvm,mode=0666,deny-write=1',
        'features: nesting=1,mount=nfs;cifs,keyctl=maybe',
      ].join('\n'),
    )
    expect(conf.main.mountpoints.map((p) => [p.key, p.type, p.path, p.readOnly, p.backup, p.error])).toEqual([
      ['mp0', 'bind', '/mnt/pulse-proxy', false, false, undefined],
      ['mp1', 'volume', '/data', true, true, undefined],
      ['mp2', 'device', '/disk', false, false, undefined],
      ['mp3', 'bind', '/x', false, false, 'invalid key in comma-separated list property: bogus'],
      ['mp4', 'bind', '/x', false, false, 'duplicate key in comma-separated list property: mp'],
      ['mp5', 'bind', '/x', false, false, '/srv/../etc contains illegal character sequences'],
      ['mp6', 'bind', undefined, false, false, 'mp: property is missing and it is not optional'],
    ])
    expect(conf.main.mountpoints[1]?.options).toEqual({backup: '1', ro: '1', size: '8G'})
    expect(conf.main.devices.map((d) => [d.path, d.denyWrite, d.error])).toEqual([
      ['/etc/shadow', false, '/etc/shadow is not a valid device path'],
      ['/dev/kvm', true, undefined],
    ])
    expect(conf.main.features).toMatchObject({nesting: true, mount: ['nfs', 'cifs']})
    expect(conf.main.features?.error).toBe("keyctl: type check ('boolean') failed - got 'maybe'")
    expect(conf.diagnostics.map((d) => d.line)).toEqual([4, 5, 6, 7, 8, 10])
  })
})

describe('never throws, and every line is in the file', () => {
  it('random and mutated container configs', () => {
    fc.assert(
      fc.property(fuzzTexts(FILES.map(corpus), 'lxc.idmap: ug 0 1\n#%3A[]mp0=,/dev'), (text) => {
        const lines = text.split('\n').length
        const conf = parseLxcConfig(text)
        const within = (line: number) => {
          expect(line).toBeGreaterThanOrEqual(1)
          expect(line).toBeLessThanOrEqual(lines)
        }
        conf.diagnostics.forEach((d) => within(d.line))
        for (const s of [conf.main, ...conf.snapshots, ...(conf.pending ? [conf.pending] : [])]) {
          ;[...s.occurrences, ...s.raw, ...s.descriptionLines, ...s.mountpoints, ...s.devices].forEach((n) =>
            within(n.line),
          )
          if (s.headerLine !== undefined) within(s.headerLine)
        }
      }),
      {numRuns: 200},
    )
  })
})

describe('description lines', () => {
  /** PVE::Tools::decode_text as Perl does it, byte by byte: %XX escapes, then UTF-8. */
  function decodeTextReference(text: string): string {
    const bytes = Buffer.from(text, 'utf8')
    const out: number[] = []
    for (let i = 0; i < bytes.length; i++) {
      const hex = bytes.subarray(i + 1, i + 3).toString('latin1')
      if (bytes[i] === 0x25 && /^[0-9a-fA-F]{2}$/.test(hex)) {
        out.push(Number.parseInt(hex, 16))
        i += 2
      } else out.push(bytes[i] as number)
    }
    return new TextDecoder('utf-8').decode(Uint8Array.from(out))
  }

  it('decode as the byte-by-byte reference does, escapes, broken escapes and UTF-8 included', () => {
    const piece = fc.oneof(
      fc.string({unit: fc.constantFrom('%', 'A', 'f', '3', 'z', 'é', '€', ' ', 'g')}),
      fc.integer({min: 0, max: 255}).map((b) => `%${b.toString(16).padStart(2, '0')}`),
      fc.string(),
    )
    fc.assert(
      fc.property(fc.array(piece, {maxLength: 12}), (pieces) => {
        const text = pieces.join('').replace(/\n/g, ' ')
        expect(parseLxcConfig(`#${text}\n`).main.descriptionLines[0]?.text).toBe(decodeTextReference(text))
      }),
      {numRuns: 500},
    )
  })
})
