import {chmod, mkdtemp, readFile, rm, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import path from 'node:path'

import Ajv2020 from 'ajv/dist/2020.js'
import addFormats from 'ajv-formats'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {parseTreeSpec} from '../../src/host/tree.js'
import {SEED_TREE, seedTreeWith} from '../checks/seed-tree.js'
import {buildTree, removeTree} from '../helpers/tree.js'
import {cli, DEV_BIN, NOBODY, REPO} from './run-cli.js'

let seedRoot: string
let brokenRoot: string
let sampleRoot: string
let scratch: string

beforeAll(async () => {
  seedRoot = await buildTree(parseTreeSpec(SEED_TREE, 'seed'))
  brokenRoot = await buildTree(
    seedTreeWith({path: '/var/lib/pulse-sensor-proxy/ssh/id_ed25519', mode: 0o644}),
  )
  const sampleText = await readFile(path.join(REPO, 'sample/host.yaml'), 'utf8')
  sampleRoot = await buildTree(parseTreeSpec(sampleText, 'sample/host.yaml'))
  scratch = await mkdtemp(path.join(tmpdir(), 'pcp-harden-e2e-'))
  // Trees are built by root; let the unprivileged runs below traverse them.
  for (const root of [seedRoot, brokenRoot, sampleRoot, scratch]) await chmod(root, 0o755)
})

afterAll(async () => {
  for (const root of [seedRoot, brokenRoot, sampleRoot]) await removeTree(root)
  await rm(scratch, {recursive: true, force: true})
})

describe('verify exit codes', () => {
  it("0 on a tree with the seeds' modes exactly", async () => {
    // The seeds set up pulse-sensor-proxy, which Pulse no longer supports (PULSE-LEGACY-001 says so).
    const run = await cli(['verify', '--root', seedRoot, '--skip', 'PULSE-LEGACY-001'])
    expect(run.stderr).toBe('')
    expect(run.code).toBe(0)
    expect(run.stdout).toMatch(
      /^Found: 0 critical, 0 high, 0 medium, 0 low; 0 could not be checked; \d+ passed/m,
    )
    expect(run.stdout).toMatch(/^Status: OK \(exit 0, fail-on: low\)$/m)
  })

  it('2 when a private key is readable by others, naming the path', async () => {
    const run = await cli(['verify', '--root', brokenRoot])
    expect(run.code).toBe(2)
    expect(run.stdout).toContain(
      'PSP-FILE-001 /var/lib/pulse-sensor-proxy/ssh/id_ed25519: readable by every user',
    )
  })

  it('1 for low findings only, 0 once --fail-on is above them', async () => {
    const root = await buildTree(seedTreeWith({path: '/var/lib/pulse-sensor-proxy', mode: 0o755}))
    try {
      const skip = ['--skip', 'PULSE-LEGACY-001']
      expect((await cli(['verify', '--root', root, ...skip])).code).toBe(1)
      expect((await cli(['verify', '--root', root, ...skip, '--fail-on', 'medium'])).code).toBe(0)
    } finally {
      await removeTree(root)
    }
  })

  it('--sample audits the bundled host: every area with findings', async () => {
    const run = await cli(['verify', '--sample'])
    expect(run.code).toBe(2)
    expect(run.stdout).toContain('PCP-FILE-001 /etc/pcp/tls/server.key')
    expect(run.stdout).toContain('PSP-FILE-001 /var/lib/pulse-sensor-proxy/ssh.d/prev/id_ed25519')
    expect(run.stdout).toContain('PCPH-WAIVER-001')
  })

  it('works unprivileged: judges what it can see, and says UNKNOWN for what it cannot', async () => {
    // The seeds set up pulse-sensor-proxy, which Pulse no longer supports (PULSE-LEGACY-001 says so).
    const run = await cli(['verify', '--root', seedRoot, '--skip', 'PULSE-LEGACY-001', '--format', 'json'], {
      as: NOBODY,
    })
    expect(run.stderr).toBe('')
    expect(run.code).toBe(3)
    const report = JSON.parse(run.stdout)
    expect(report.summary.status).toBe('UNKNOWN')
    const errors = report.results.filter((r: {status: string}) => r.status === 'error')
    // ssh/ is 0700 and /etc/pcp/tls 0750 root:pcp: nobody cannot look inside.
    expect(errors.map((r: {path: string}) => r.path)).toContain('/var/lib/pulse-sensor-proxy/ssh/id_ed25519')
    // Each says what it could not read, without repeating the result's own path.
    for (const r of errors as {path: string; message: string}[]) {
      expect(r.message).toMatch(/permission denied$/)
      expect(r.message.startsWith(`${r.path}:`)).toBe(false)
    }
    expect(report.results.filter((r: {status: string}) => r.status === 'fail')).toEqual([])

    const root = await buildTree(`
entries:
  - {path: /etc/pcp/pmcd/pmcd.conf, mode: "0666", content: "[access]\\n"}
`)
    try {
      await chmod(root, 0o755)
      const readable = await cli(['verify', '--root', root], {as: NOBODY})
      expect(readable.code).toBe(2)
      expect(readable.stdout).toContain('PCP-FILE-003 /etc/pcp/pmcd/pmcd.conf: writable by every user')
    } finally {
      await removeTree(root)
    }
  })
})

describe('unprivileged runs group permission errors by directory', () => {
  it('one line per unreadable directory, with the hint to run as root; JSON keeps one result per file', async () => {
    const root = await buildTree(`
entries:
  - {path: /etc/pcp/pmcd/pmcd.conf, mode: "0644", content: "[access]\\nallow \\"local:*\\" : all;\\n"}
  - {path: /etc/pcp/tls, type: dir, mode: "0750"}
  - {path: /etc/pcp/tls.conf, mode: "0644", content: "tls-cert-file = /etc/pcp/tls/server.crt\\ntls-key-file = /etc/pcp/tls/server.key\\ntls-ca-cert-file = /etc/pcp/tls/ca.crt\\n"}
  - {path: /etc/pcp/tls/ca.crt, mode: "0644", content: "x"}
  - {path: /etc/pcp/tls/server.crt, mode: "0644", content: "x"}
  - {path: /etc/pcp/tls/server.key, mode: "0600", content: "x"}
  - {path: /var/lib/pulse-sensor-proxy, type: dir, mode: "0700"}
  - {path: /var/lib/pulse-sensor-proxy/ssh/id_ed25519, mode: "0600", content: "x"}
  - {path: /var/lib/pulse-sensor-proxy/ssh/id_ed25519.pub, mode: "0644", content: "x"}
`)
    try {
      await chmod(root, 0o755)
      const text = await cli(['verify', '--root', root], {as: NOBODY})
      expect(text.stderr).toBe('')
      // What it can read is still judged: the readable files' failures set the state.
      expect(text.code).toBe(2)
      const lines = text.stdout.split('\n')
      const section = lines.indexOf('Not readable by this user (run as root to audit them)')
      expect(section).toBeGreaterThan(0)
      const grouped = lines.slice(section + 1, lines.indexOf('', section))
      expect(
        grouped.map(
          (l) => /^ {2}\[ERROR\] +(\S+): permission denied: \d+ results? not checked \(/.exec(l)?.[1],
        ),
      ).toEqual(['/etc/pcp/tls', '/var/lib/pulse-sensor-proxy'])
      // No other error line anywhere: each denied file is inside its directory's line.
      expect(lines.filter((l) => l.includes('[ERROR]'))).toHaveLength(2)
      expect(text.stdout).not.toContain('server.key: permission denied')

      const nagios = await cli(['verify', '--root', root, '--format', 'nagios'], {as: NOBODY})
      expect(nagios.code).toBe(2)
      const errors = nagios.stdout.split('\n').filter((l) => l.startsWith('[ERROR]'))
      expect(errors).toHaveLength(2)
      for (const line of errors) expect(line).toMatch(/: permission denied: .*; run as root to audit them$/)

      const json = JSON.parse(
        (await cli(['verify', '--root', root, '--format', 'json'], {as: NOBODY})).stdout,
      )
      const denied = json.results.filter((r: {status: string}) => r.status === 'error')
      expect(denied.length).toBe(json.summary.counts.unknown)
      expect(denied.length).toBeGreaterThan(2)
    } finally {
      await removeTree(root)
    }
  })
})

describe('nothing to audit is not OK', () => {
  it('an empty root exits 3 with one line saying so; --allow-empty accepts it; --profile audits it', async () => {
    const empty = await mkdtemp(path.join(scratch, 'empty-'))
    const run = await cli(['verify', '--root', empty, '--format', 'nagios'])
    expect(run.code).toBe(3)
    expect(run.stdout).toBe('')
    expect(run.stderr).toBe(
      `pcp-harden: error: --root ${empty}: nothing to audit: no PCP, Pulse or Proxmox component found ` +
        '(an empty or unmounted image?); name one with --profile, or pass --allow-empty to accept an empty root\n',
    )
    const allowed = await cli(['verify', '--root', empty, '--allow-empty'])
    expect(allowed.stderr).toBe('')
    expect(allowed.code).toBe(0)
    expect(allowed.stdout).toContain('Status: OK (exit 0')
    // Asked for by name, the component's absence is itself what the checks report.
    const named = await cli(['verify', '--root', empty, '--profile', 'pcp-collector', '--format', 'json'])
    expect(named.stderr).toBe('')
    expect(JSON.parse(named.stdout).profiles).toEqual(['pcp-collector'])
  })

  it('a root with only an unrelated tree (an unmounted mount point with a lost+found) is empty too', async () => {
    const root = await buildTree(`
entries:
  - {path: /lost+found, type: dir, mode: "0700"}
  - {path: /etc/hostname, content: "pve1\\n"}
`)
    try {
      const run = await cli(['verify', '--root', root])
      expect(run.code).toBe(3)
      expect(run.stderr).toMatch(/nothing to audit/)
    } finally {
      await removeTree(root)
    }
  })
})

describe('the sample host built on disk reports exactly what --sample reports', () => {
  it('same results from the disk and the in-memory host', async () => {
    const fromDisk = JSON.parse((await cli(['verify', '--root', sampleRoot, '--format', 'json'])).stdout)
    const fromMemory = JSON.parse((await cli(['verify', '--sample', '--format', 'json'])).stdout)
    expect(fromDisk.results).toEqual(fromMemory.results)
    expect(fromDisk.summary).toEqual(fromMemory.summary)
    expect(fromDisk.profiles).toEqual([
      'pcp-collector',
      'pcp-monitor',
      'pulse-proxy',
      'pulse-agent',
      'proxmox-host',
    ])
  })
})

describe('the bundle and the sources', () => {
  it('bin/dev.js (TypeScript sources) reports what bin/run.js (the bundle) reports', async () => {
    const built = await cli(['verify', '--sample', '--format', 'json'])
    const dev = await cli(['verify', '--sample', '--format', 'json'], {bin: DEV_BIN})
    expect(dev.stderr).toBe('')
    expect(dev.code).toBe(built.code)
    expect(JSON.parse(dev.stdout)).toEqual(JSON.parse(built.stdout))
  })
})

describe('every format for the same results', () => {
  it('json validates against the schema in the repo', async () => {
    const run = await cli(['verify', '--sample', '--format', 'json'])
    expect(run.code).toBe(2)
    const schema = JSON.parse(await readFile(path.join(REPO, 'schema/report.schema.json'), 'utf8'))
    const ajv = new Ajv2020.default({allErrors: true, strict: true})
    addFormats.default(ajv)
    const validate = ajv.compile(schema)
    const report = JSON.parse(run.stdout)
    expect(validate(report), JSON.stringify(validate.errors)).toBe(true)
    expect(report.summary.status).toBe('CRITICAL')
  })

  it('nagios: one status line with perfdata, then the failing checks', async () => {
    const run = await cli(['verify', '--sample', '--format', 'nagios'])
    expect(run.code).toBe(2)
    const [first, ...rest] = run.stdout.trimEnd().split('\n')
    // The status word is the state; the text counts the findings by their own severity.
    expect(first).toMatch(
      /^PCP-HARDEN CRITICAL - 3 critical, 10 high, 15 medium, 9 low \| critical=13;;;0 warning=24;;;0 /,
    )
    expect(first).toContain(
      'critical_findings=3;;;0 high_findings=10;;;0 medium_findings=15;;;0 low_findings=9;;;0',
    )
    expect(rest.filter((l) => l.startsWith('[HIGH] '))).toHaveLength(10)
    expect(rest).toHaveLength(37)
  })

  it('sarif and junit are produced with the same exit code', async () => {
    for (const format of ['sarif', 'junit']) {
      const run = await cli(['verify', '--sample', '--format', format])
      expect(run.code).toBe(2)
      expect(run.stdout.length).toBeGreaterThan(100)
    }
  })

  it('--output writes the report to a file and keeps the exit code', async () => {
    const out = path.join(scratch, 'report.json')
    const run = await cli(['verify', '--sample', '--format', 'json', '--output', out])
    expect(run.code).toBe(2)
    expect(run.stdout).toBe('')
    expect(JSON.parse(await readFile(out, 'utf8')).summary.status).toBe('CRITICAL')
  })
})

describe('colour', () => {
  it('none when not on a terminal, when NO_COLOR is set, or in machine formats', async () => {
    expect((await cli(['verify', '--sample'])).stdout).not.toContain('\u001b[')
    expect(
      (await cli(['verify', '--sample'], {env: {FORCE_COLOR: '1', NO_COLOR: '1'}})).stdout,
    ).not.toContain('\u001b[')
    expect(
      (await cli(['verify', '--sample', '--format', 'json'], {env: {FORCE_COLOR: '1'}})).stdout,
    ).not.toContain('\u001b[')
  })

  it('when forced', async () => {
    expect((await cli(['verify', '--sample'], {env: {FORCE_COLOR: '1'}})).stdout).toContain('\u001b[')
  })
})

describe('bad input: one line on stderr, exit 3, no stack trace', () => {
  const oneLine = (stderr: string) => {
    expect(stderr.trimEnd().split('\n')).toHaveLength(1)
    expect(stderr).toMatch(/^pcp-harden: error: /)
    expect(stderr).not.toMatch(/\bat .*\.js:\d+/)
  }

  it.each([
    [['verify', '--format', 'xml'], /Expected --format=xml to be one of/],
    [['verify', '--fail-on', 'severe'], /--fail-on=severe/],
    [['verify', '--profile', 'mainframe'], /--profile=mainframe/],
    [['verify', '--bogus'], /Nonexistent flag: --bogus/],
    [['verify', '--check', 'NOPE-001'], /--check NOPE-001: no such check/],
    [['verify', '--root', '/nonexistent/root'], /--root \/nonexistent\/root: no such directory/],
    [['verify', '--root', '/etc/hostname'], /--root \/etc\/hostname: not a directory/],
    [
      ['verify', '--waivers', '/nonexistent/w.yaml', '--sample'],
      /--waivers \/nonexistent\/w.yaml: no such file/,
    ],
    [['frobnicate'], /command "frobnicate" not found/],
    [['checks', 'explain', 'NOPE-1'], /NOPE-1: no such check/],
  ])('%j', async (args, message) => {
    const run = await cli(args)
    expect(run.code).toBe(3)
    oneLine(run.stderr)
    expect(run.stderr).toMatch(message)
    expect(run.stdout).toBe('')
  })

  it('a malformed waivers file names the file and line', async () => {
    const file = path.join(scratch, 'waivers.yaml')
    await writeFile(file, 'waivers:\n  - check: PSP-FILE-001\n    reason: x\n    expires: soon\n')
    const run = await cli(['verify', '--sample', '--waivers', file])
    expect(run.code).toBe(3)
    oneLine(run.stderr)
    expect(run.stderr).toContain(`${file}:2: waiver 1: "expires" must be a date`)
  })

  it('an unreadable root', async () => {
    const locked = await mkdtemp(path.join(scratch, 'locked-'))
    await chmod(locked, 0o700)
    const run = await cli(['verify', '--root', locked], {as: NOBODY})
    expect(run.code).toBe(3)
    oneLine(run.stderr)
    expect(run.stderr).toMatch(/--root .*: (permission denied|cannot read it)/)
  })
})

describe('checks list and explain', () => {
  it('lists every check as JSON with unique ids', async () => {
    const run = await cli(['checks', 'list', '--format', 'json'])
    expect(run.code).toBe(0)
    const ids = JSON.parse(run.stdout).checks.map((c: {id: string}) => c.id)
    expect(new Set(ids).size).toBe(ids.length)
    expect(ids).toContain('PSP-FILE-001')
    expect(ids).toContain('PCPH-WAIVER-001')
  })

  it('explains a check with rationale, remediation, reference and examples', async () => {
    const run = await cli(['checks', 'explain', 'psp-file-001'])
    expect(run.code).toBe(0)
    for (const part of [
      'PSP-FILE-001: Proxy private keys',
      'Why:',
      'Fix:',
      'Fails:',
      'Passes:',
      'reference: Pulse, "Pulse Temperature Proxy - Security Hardening Guide"',
    ])
      expect(run.stdout).toContain(part)
  })
})
