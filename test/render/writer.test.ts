import {type ChildProcessWithoutNullStreams, spawn} from 'node:child_process'
import {
  chmodSync,
  chownSync,
  existsSync,
  linkSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
} from 'node:fs'
import {symlinkSync, writeFileSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {createInterface} from 'node:readline'
import {fileURLToPath} from 'node:url'

import {applyPatch} from 'diff'
import {afterEach, describe, expect, it} from 'vitest'

import {
  applyPlan,
  BACKUP_SUFFIX,
  type DirChange,
  type FileChange,
  formatPlan,
  planChanges,
  WriteError,
  type WriteStep,
} from '../../src/render/writer.js'

const projectDir = fileURLToPath(new URL('../..', import.meta.url))
const harnessPath = fileURLToPath(new URL('kill-harness.ts', import.meta.url))
const asRoot = process.getuid?.() === 0
/** Our own ids: every test that does not test ownership writes files we may own unprivileged. */
const mine = {owner: process.getuid?.() ?? 0, group: process.getgid?.() ?? 0}
/** A user and group of a test host, when we may chown (as root); our own ids otherwise. */
const other = asRoot ? {owner: 4242, group: 4243} : mine

const roots: string[] = []
const children: ChildProcessWithoutNullStreams[] = []

afterEach(() => {
  for (const child of children.splice(0)) if (child.exitCode === null) child.kill('SIGKILL')
  for (const root of roots.splice(0)) rmSync(root, {recursive: true, force: true})
})

function makeRoot(): string {
  const root = mkdtempSync(path.join(os.tmpdir(), 'pcp-harden-writer-'))
  roots.push(root)
  return root
}

/** Put a file (and its directories, 0755) on the test host with exactly this mode and owner. */
function put(root: string, hostPath: string, content: string, mode = 0o644, ids = mine): void {
  const local = path.join(root, hostPath)
  mkdirSync(path.dirname(local), {recursive: true})
  writeFileSync(local, content)
  chownSync(local, ids.owner, ids.group)
  chmodSync(local, mode)
}

interface State {
  content: string
  mode: number
  uid: number
  gid: number
  ino: number
  mtimeMs: number
}

function stateOf(root: string, hostPath: string): State | undefined {
  const local = path.join(root, hostPath)
  try {
    const st = lstatSync(local)
    const content = readFileSync(local, 'utf8')
    return {content, mode: st.mode & 0o7777, uid: st.uid, gid: st.gid, ino: st.ino, mtimeMs: st.mtimeMs}
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined
    throw error
  }
}

function modeOf(root: string, hostPath: string): number {
  return lstatSync(path.join(root, hostPath)).mode & 0o7777
}

function tempFiles(dir: string): string[] {
  return readdirSync(dir).filter((name) => name.includes('.pcp-harden-') && name.endsWith('.tmp'))
}

async function writeFiles(root: string, changes: FileChange[]): Promise<void> {
  await applyPlan(root, await planChanges(root, changes))
}

async function writeError(promise: Promise<unknown>): Promise<WriteError> {
  const error = await promise.then(
    () => undefined,
    (error: unknown) => error,
  )
  expect(error).toBeInstanceOf(WriteError)
  return error as WriteError
}

function withUmask<T>(mask: number, action: () => Promise<T>): Promise<T> {
  const previous = process.umask(mask)
  return action().finally(() => process.umask(previous))
}

describe('planChanges', () => {
  it('plans a create, with the directories to make and a diff from /dev/null', async () => {
    const root = makeRoot()
    const [change] = await planChanges(root, [{path: '/etc/pcp/tls.conf', content: 'a\nb\n', mode: 0o644}])
    expect(change).toMatchObject({action: 'create', before: undefined, newDirs: ['/etc', '/etc/pcp']})
    expect(change?.diff).toBe('--- /dev/null\n+++ b/etc/pcp/tls.conf\n@@ -0,0 +1,2 @@\n+a\n+b\n')
    expect(readdirSync(root)).toEqual([])
  })

  it('plans an update with the old state and a unified diff', async () => {
    const root = makeRoot()
    put(root, '/etc/pcp/pmcd.conf', 'a\nb\nc\n', 0o644)
    const [change] = await planChanges(root, [
      {path: '/etc/pcp/pmcd.conf', content: 'a\nB\nc\n', mode: 0o640, ...mine},
    ])
    expect(change).toMatchObject({action: 'update', newDirs: []})
    expect(change?.before).toEqual({
      content: Buffer.from('a\nb\nc\n'),
      mode: 0o644,
      uid: mine.owner,
      gid: mine.group,
    })
    expect(change?.diff).toBe(
      '--- a/etc/pcp/pmcd.conf\n+++ b/etc/pcp/pmcd.conf\n@@ -1,3 +1,3 @@\n a\n-b\n+B\n c\n',
    )
  })

  it('plans unchanged when content, mode and owner are the same, update when only one differs', async () => {
    const root = makeRoot()
    put(root, '/etc/a', 'same\n', 0o640)
    const same = {path: '/etc/a', content: 'same\n', mode: 0o640, ...mine}
    const plan = await planChanges(root, [same])
    expect(plan[0]).toMatchObject({action: 'unchanged', diff: ''})
    const [modeOnly] = await planChanges(root, [{...same, mode: 0o600}])
    expect(modeOnly).toMatchObject({action: 'update', diff: ''})
    if (asRoot) {
      const [ownerOnly] = await planChanges(root, [{...same, ...other}])
      expect(ownerOnly).toMatchObject({action: 'update', diff: ''})
    }
  })

  it('never puts secret content in the diff', async () => {
    const root = makeRoot()
    put(root, '/etc/pcp/tls/server.key', 'OLD-KEY-MATERIAL\n', 0o600)
    const key = 'NEW-KEY-MATERIAL\n'.repeat(100)
    const plan = await planChanges(root, [
      {path: '/etc/pcp/tls/server.key', content: key, mode: 0o600, secret: true, ...mine},
      {path: '/etc/pcp/tls/client.key', content: key, mode: 0o600, secret: true, ...mine},
    ])
    expect(plan.map((change) => change.diff)).toEqual([
      '--- a/etc/pcp/tls/server.key\n+++ b/etc/pcp/tls/server.key\n(secret content, 1700 bytes, not shown)\n',
      '--- /dev/null\n+++ b/etc/pcp/tls/client.key\n(secret content, 1700 bytes, not shown)\n',
    ])
    expect(formatPlan(plan)).not.toMatch(/KEY-MATERIAL/)
  })

  it('shows files too different for a line diff as a replacement that still applies', async () => {
    const root = makeRoot()
    const cases: [string, string][] = [
      ['old line\n'.repeat(1500), 'new line\n'.repeat(1000) + 'no newline at the end'],
      ['old line\n'.repeat(800) + 'no newline at the end', 'new line\n'.repeat(1200)],
      ['', 'new line\n'.repeat(2000)],
    ]
    for (const [index, [before, after]] of cases.entries()) {
      const hostPath = `/etc/big${index}.conf`
      if (before) put(root, hostPath, before)
      const started = Date.now()
      const [change] = await planChanges(root, [{path: hostPath, content: after, mode: 0o644, ...mine}])
      expect(Date.now() - started).toBeLessThan(2000)
      expect(change?.diff.split('\n').slice(0, 2)).toEqual([
        before ? `--- a${hostPath}` : '--- /dev/null',
        `+++ b${hostPath}`,
      ])
      expect(applyPatch(before, change?.diff ?? '')).toBe(after)
    }
  })

  it('says binary files differ rather than printing them', async () => {
    const root = makeRoot()
    const [change] = await planChanges(root, [
      {path: '/etc/blob', content: Buffer.from([0, 1, 2]), mode: 0o644},
    ])
    expect(change?.diff).toBe('Binary files /dev/null and b/etc/blob differ\n')
  })

  it('refuses a symlinked directory or target below the root, naming the host path', async () => {
    const root = makeRoot()
    mkdirSync(path.join(root, 'etc/real'), {recursive: true})
    symlinkSync('real', path.join(root, 'etc/pcp'))
    put(root, '/etc/real/tls.conf', 'x\n')
    symlinkSync('../real/tls.conf', path.join(root, 'etc/real/link.conf'))
    const viaDir = await writeError(
      planChanges(root, [{path: '/etc/pcp/tls.conf', content: 'y\n', mode: 0o644}]),
    )
    expect(viaDir.message).toBe('refusing to write /etc/pcp/tls.conf: /etc/pcp is a symlink')
    expect(viaDir.path).toBe('/etc/pcp/tls.conf')
    const viaFile = await writeError(
      planChanges(root, [{path: '/etc/real/link.conf', content: 'y', mode: 0o644}]),
    )
    expect(viaFile.message).toBe('refusing to write /etc/real/link.conf: /etc/real/link.conf is a symlink')
  })

  it('refuses invalid requests with one-line messages', async () => {
    const root = makeRoot()
    put(root, '/etc', 'not a directory\n')
    const cases: [FileChange[], string][] = [
      [
        [{path: 'etc/x', content: '', mode: 0o644}],
        'cannot write etc/x: not an absolute, normalised host path of a file',
      ],
      [
        [{path: '/etc/../x', content: '', mode: 0o644}],
        'cannot write /etc/../x: not an absolute, normalised host path of a file',
      ],
      [[{path: '/x', content: '', mode: 0o10000}], 'cannot write /x: invalid mode 4096'],
      [[{path: '/x', content: '', mode: 0o644, owner: -1}], 'cannot write /x: invalid owner -1:undefined'],
      [
        [
          {path: '/x', content: '', mode: 0o644},
          {path: '/x', content: '', mode: 0o644},
        ],
        'cannot write /x: the plan lists this file twice',
      ],
      [[{path: '/etc/pcp/x', content: '', mode: 0o644}], 'cannot write /etc/pcp/x: /etc is not a directory'],
    ]
    for (const [changes, message] of cases) {
      expect((await writeError(planChanges(root, changes))).message).toBe(message)
    }
  })
})

describe('formatPlan', () => {
  it('lists directories and files, then the diffs, with names from the accounts', async () => {
    const root = makeRoot()
    put(root, '/etc/pcp/pmcd/pmcd.conf', 'a\nb\n', 0o644)
    put(root, '/etc/pcp/pmcd/pmcd.options', '-f\n', 0o644)
    const plan = await planChanges(root, [
      {path: '/etc/pcp/tls/tls.conf', content: 'x\n', mode: 0o644, dirMode: 0o750},
      {path: '/etc/pcp/tls/key.pem', content: 'KEY', mode: 0o600, owner: 998, group: 998, secret: true},
      {path: '/etc/pcp/pmcd/pmcd.conf', content: 'a\nc\n', mode: 0o640, owner: mine.owner, group: 998},
      {path: '/etc/pcp/pmcd/pmcd.options', content: '-f\n', mode: 0o644, ...mine},
    ])
    const accounts = {
      users: [
        {name: 'root', id: 0, line: 1},
        {name: 'pcp', id: 998, line: 2},
      ],
      groups: [
        {name: 'root', id: 0, line: 1},
        {name: 'pcp', id: 998, line: 2},
      ],
    }
    const me = `${accounts.users.find((u) => u.id === mine.owner)?.name ?? mine.owner}`
    const myGroup = `${accounts.groups.find((g) => g.id === mine.group)?.name ?? mine.group}`
    expect(formatPlan(plan, accounts)).toBe(
      [
        'mkdir /etc/pcp/tls (0750 root:root)',
        'create /etc/pcp/tls/tls.conf (0644 root:root)',
        'create /etc/pcp/tls/key.pem (0600 pcp:pcp)',
        `update /etc/pcp/pmcd/pmcd.conf (content, mode 0644 -> 0640, owner ${me}:${myGroup} -> ${me}:pcp)`,
        'unchanged /etc/pcp/pmcd/pmcd.options',
        '',
        '--- /dev/null',
        '+++ b/etc/pcp/tls/tls.conf',
        '@@ -0,0 +1,1 @@',
        '+x',
        '--- /dev/null',
        '+++ b/etc/pcp/tls/key.pem',
        '(secret content, 3 bytes, not shown)',
        '--- a/etc/pcp/pmcd/pmcd.conf',
        '+++ b/etc/pcp/pmcd/pmcd.conf',
        '@@ -1,2 +1,2 @@',
        ' a',
        '-b',
        '+c',
      ].join('\n'),
    )
    expect(formatPlan(plan.slice(1, 2))).toBe(
      'mkdir /etc/pcp/tls (0755 0:0)\ncreate /etc/pcp/tls/key.pem (0600 998:998)\n\n' +
        '--- /dev/null\n+++ b/etc/pcp/tls/key.pem\n(secret content, 3 bytes, not shown)',
    )
    expect(formatPlan(plan.slice(3))).toBe('unchanged /etc/pcp/pmcd/pmcd.options')
  })
})

describe('applyPlan', () => {
  it('creates missing directories and the file with exact modes and owners, and no backup', async () => {
    const root = makeRoot()
    await writeFiles(root, [
      {path: '/etc/pcp/tls/tls.conf', content: 'x\n', mode: 0o640, dirMode: 0o750, ...mine},
    ])
    expect(stateOf(root, '/etc/pcp/tls/tls.conf')).toMatchObject({
      content: 'x\n',
      mode: 0o640,
      ...idsOf(mine),
    })
    expect(modeOf(root, '/etc/pcp')).toBe(0o750)
    expect(modeOf(root, '/etc/pcp/tls')).toBe(0o750)
    expect(readdirSync(path.join(root, 'etc/pcp/tls'))).toEqual(['tls.conf'])
  })

  it.runIf(asRoot)('creates missing directories owned by root and files owned by the given ids', async () => {
    const root = makeRoot()
    await writeFiles(root, [
      {path: '/var/lib/proxy/ssh/id', content: 'k', mode: 0o600, ...other, dirMode: 0o700},
    ])
    expect(stateOf(root, '/var/lib/proxy/ssh/id')).toMatchObject({mode: 0o600, uid: 4242, gid: 4243})
    const dir = lstatSync(path.join(root, 'var/lib/proxy/ssh'))
    expect([dir.mode & 0o7777, dir.uid, dir.gid]).toEqual([0o700, 0, 0])
  })

  it('keeps a copy of the old file as FILE.pcp-harden.bak, with its mode and owner', async () => {
    const root = makeRoot()
    put(root, '/etc/pcp/pmcd.conf', 'old\n', 0o644, other)
    const old = stateOf(root, '/etc/pcp/pmcd.conf')
    await writeFiles(root, [{path: '/etc/pcp/pmcd.conf', content: 'new\n', mode: 0o644, ...mine}])
    expect(stateOf(root, '/etc/pcp/pmcd.conf')).toMatchObject({content: 'new\n', mode: 0o644, ...idsOf(mine)})
    const bak = stateOf(root, `/etc/pcp/pmcd.conf${BACKUP_SUFFIX}`)
    expect(bak).toMatchObject({content: 'old\n', mode: 0o644, uid: old?.uid, gid: old?.gid})
    expect(tempFiles(path.join(root, 'etc/pcp'))).toEqual([])
  })

  it('keeps no copy when told (a key whose mode alone changes: a copy would be one key more)', async () => {
    const root = makeRoot()
    put(root, '/etc/pcp/tls/key.pem', 'KEY', 0o644)
    await writeFiles(root, [
      {path: '/etc/pcp/tls/key.pem', content: 'KEY', mode: 0o600, backup: false, ...mine},
    ])
    expect(stateOf(root, '/etc/pcp/tls/key.pem')).toMatchObject({content: 'KEY', mode: 0o600})
    expect(readdirSync(path.join(root, 'etc/pcp/tls'))).toEqual(['key.pem'])
  })

  it('backs up a file hard-linked elsewhere by copying it: the other name keeps its mode', async () => {
    const root = makeRoot()
    put(root, '/etc/pcp/tls/key.pem', 'OLD KEY', 0o644)
    linkSync(path.join(root, 'etc/pcp/tls/key.pem'), path.join(root, 'etc/other-name'))
    await writeFiles(root, [
      {path: '/etc/pcp/tls/key.pem', content: 'NEW KEY', mode: 0o600, secret: true, ...mine},
    ])
    expect(stateOf(root, '/etc/other-name')).toMatchObject({content: 'OLD KEY', mode: 0o644})
    expect(stateOf(root, `/etc/pcp/tls/key.pem${BACKUP_SUFFIX}`)).toMatchObject({
      content: 'OLD KEY',
      mode: 0o600,
    })
  })

  it('takes from the backup the group/other bits the new file no longer grants', async () => {
    const root = makeRoot()
    put(root, '/etc/pcp/tls/key.pem', 'OLD KEY', 0o644)
    await writeFiles(root, [
      {path: '/etc/pcp/tls/key.pem', content: 'NEW KEY', mode: 0o600, secret: true, ...mine},
    ])
    expect(stateOf(root, `/etc/pcp/tls/key.pem${BACKUP_SUFFIX}`)).toMatchObject({
      content: 'OLD KEY',
      mode: 0o600,
    })
  })

  it('changes nothing when content, mode and owner are already right', async () => {
    const root = makeRoot()
    put(root, '/etc/a', 'same\n', 0o640)
    const stale = path.join(root, 'etc/.a.pcp-harden-AbC123.tmp')
    writeFileSync(stale, 'stale')
    const before = stateOf(root, '/etc/a')
    await new Promise((resolve) => setTimeout(resolve, 20))
    const steps: WriteStep[] = []
    const plan = await planChanges(root, [{path: '/etc/a', content: 'same\n', mode: 0o640, ...mine}])
    await applyPlan(root, plan, {onStep: (step) => steps.push(step)})
    expect(steps).toEqual([])
    expect(stateOf(root, '/etc/a')).toEqual(before)
    expect(readdirSync(path.join(root, 'etc')).sort()).toEqual(['.a.pcp-harden-AbC123.tmp', 'a'])
  })

  it('reports every step in order, backup only when the file existed', async () => {
    const root = makeRoot()
    const steps: string[] = []
    const change = {path: '/etc/a', content: 'one\n', mode: 0o644, ...mine}
    const onStep = (step: WriteStep, hostPath: string) => steps.push(`${step} ${hostPath}`)
    await applyPlan(root, await planChanges(root, [change]), {onStep})
    await applyPlan(root, await planChanges(root, [{...change, content: 'two\n'}]), {onStep})
    const write = ['temp-created', 'temp-written', 'temp-owned', 'temp-synced', 'renamed', 'dir-synced']
    expect(steps).toEqual([...write, 'backup', ...write].map((step) => `${step} /etc/a`))
  })

  for (const umask of [0o000, 0o077]) {
    it(`sets modes exactly under umask ${umask.toString(8).padStart(3, '0')}`, async () => {
      const root = makeRoot()
      put(root, '/etc/old.conf', 'old\n', 0o600)
      await withUmask(umask, () =>
        writeFiles(root, [
          {path: '/etc/pcp/new.conf', content: 'x\n', mode: 0o640, dirMode: 0o755, ...mine},
          {path: '/etc/old.conf', content: 'y\n', mode: 0o644, ...mine},
          {path: '/usr/libexec/pcp/bin/tool', content: '#!/bin/sh\n', mode: 0o4755, ...other},
        ]),
      )
      expect(modeOf(root, '/etc/pcp')).toBe(0o755)
      expect(modeOf(root, '/etc/pcp/new.conf')).toBe(0o640)
      expect(modeOf(root, '/etc/old.conf')).toBe(0o644)
      expect(modeOf(root, '/usr/libexec/pcp/bin/tool')).toBe(0o4755)
    })
  }

  it('removes stale temporary files of the file it writes, and only those', async () => {
    const root = makeRoot()
    put(root, '/etc/a.conf', 'old\n')
    for (const name of [
      '.a.conf.pcp-harden-AbC123.tmp',
      '.a.conf.pcp-harden-zz9999.tmp',
      '.b.pcp-harden-AbC123.tmp',
    ]) {
      writeFileSync(path.join(root, 'etc', name), 'stale')
    }
    writeFileSync(path.join(root, 'etc', '.aXconf.pcp-harden-AbC123.tmp'), 'not ours')
    await writeFiles(root, [{path: '/etc/a.conf', content: 'new\n', mode: 0o644, ...mine}])
    expect(readdirSync(path.join(root, 'etc')).sort()).toEqual([
      '.aXconf.pcp-harden-AbC123.tmp',
      '.b.pcp-harden-AbC123.tmp',
      'a.conf',
      `a.conf${BACKUP_SUFFIX}`,
    ])
  })

  it('refuses a symlink that appeared after planning, and writes nothing', async () => {
    const root = makeRoot()
    const elsewhere = makeRoot()
    mkdirSync(path.join(root, 'etc/pcp'), {recursive: true})
    const plan = await planChanges(root, [{path: '/etc/pcp/tls.conf', content: 'x\n', mode: 0o644, ...mine}])
    rmSync(path.join(root, 'etc/pcp'), {recursive: true})
    symlinkSync(elsewhere, path.join(root, 'etc/pcp'))
    const error = await writeError(applyPlan(root, plan))
    expect(error.message).toBe(
      'refusing to write /etc/pcp/tls.conf: /etc/pcp is a symlink; nothing was changed',
    )
    expect(readdirSync(elsewhere)).toEqual([])

    rmSync(path.join(root, 'etc/pcp'))
    mkdirSync(path.join(root, 'etc/pcp'))
    put(elsewhere, '/target', 'precious\n')
    symlinkSync(path.join(elsewhere, 'target'), path.join(root, 'etc/pcp/tls.conf'))
    const viaFile = await writeError(applyPlan(root, plan))
    expect(viaFile.message).toBe(
      'refusing to write /etc/pcp/tls.conf: /etc/pcp/tls.conf is a symlink; nothing was changed',
    )
    expect(readFileSync(path.join(elsewhere, 'target'), 'utf8')).toBe('precious\n')
    expect(readdirSync(path.join(root, 'etc/pcp'))).toEqual(['tls.conf'])
    expect(readdirSync(elsewhere)).toEqual(['target'])
  })

  it('writes under a root that is itself a symlink', async () => {
    const real = makeRoot()
    const root = path.join(makeRoot(), 'image')
    symlinkSync(real, root)
    await writeFiles(root, [{path: '/etc/a', content: 'x', mode: 0o644, ...mine}])
    expect(readFileSync(path.join(real, 'etc/a'), 'utf8')).toBe('x')
  })

  it('refuses a file that changed since the plan was made', async () => {
    const root = makeRoot()
    put(root, '/etc/a', 'old\n')
    const plan = await planChanges(root, [{path: '/etc/a', content: 'new\n', mode: 0o644, ...mine}])
    put(root, '/etc/a', 'edited meanwhile\n')
    const error = await writeError(applyPlan(root, plan))
    expect(error.message).toBe(
      'cannot write /etc/a: it changed since the plan was made; plan again; nothing was changed',
    )
    expect(readFileSync(path.join(root, 'etc/a'), 'utf8')).toBe('edited meanwhile\n')
    expect(readdirSync(path.join(root, 'etc'))).toEqual(['a'])
  })

  it('refuses a backup it could not rename into place before writing, and leaves the file and directory as they were', async () => {
    const root = makeRoot()
    put(root, '/etc/a', 'old\n')
    mkdirSync(path.join(root, `etc/a${BACKUP_SUFFIX}`, 'busy'), {recursive: true})
    const plan = await planChanges(root, [{path: '/etc/a', content: 'new\n', mode: 0o644, ...mine}])
    const error = await writeError(applyPlan(root, plan))
    expect(error.message).toBe(`cannot write /etc/a: a${BACKUP_SUFFIX} is a directory; nothing was changed`)
    expect(readFileSync(path.join(root, 'etc/a'), 'utf8')).toBe('old\n')
    expect(readdirSync(path.join(root, 'etc')).sort()).toEqual(['a', `a${BACKUP_SUFFIX}`])
  })

  it('refuses to replace something that is not a regular file', async () => {
    const root = makeRoot()
    mkdirSync(path.join(root, 'etc/a'), {recursive: true})
    const error = await writeError(planChanges(root, [{path: '/etc/a', content: 'x', mode: 0o644}]))
    expect(error.message).toBe('cannot write /etc/a: it exists and is not a regular file')
  })
})

/** Every entry under a root with its mode, owner and content: "changes nothing" compares two of these. */
function treeOf(root: string, dir = '/'): Record<string, string> {
  const out: Record<string, string> = {}
  for (const name of readdirSync(path.join(root, dir))) {
    const hostPath = path.posix.join(dir, name)
    const local = path.join(root, hostPath)
    const st = lstatSync(local)
    out[hostPath] = `${(st.mode & 0o7777).toString(8)} ${st.uid}:${st.gid} ${st.ino}`
    if (st.isDirectory()) Object.assign(out, treeOf(root, hostPath))
    else if (st.isFile()) out[hostPath] += ` ${readFileSync(local, 'utf8')}`
  }
  return out
}

function dirOf(root: string, hostPath: string): {mode: number; uid: number; gid: number} {
  const st = lstatSync(path.join(root, hostPath))
  expect(st.isDirectory()).toBe(true)
  return {mode: st.mode & 0o7777, uid: st.uid, gid: st.gid}
}

describe('directories in a plan', () => {
  const accounts = {
    users: [
      {name: 'root', id: 0, line: 1},
      {name: 'pcp', id: 998, line: 2},
    ],
    groups: [
      {name: 'root', id: 0, line: 1},
      {name: 'pcp', id: 998, line: 2},
    ],
  }

  it('are planned before the files, outermost first, with the parents they need', async () => {
    const root = makeRoot()
    put(root, '/etc/hostname', 'h\n')
    const plan = await planChanges(
      root,
      [{path: '/etc/pcp/tls/ca.key', content: 'KEY', mode: 0o600, secret: true}],
      [
        {path: '/etc/pcp/tls', mode: 0o750, group: 998},
        {path: '/etc/pcp', mode: 0o755, keepExisting: true},
        {path: '/var/lib/pcp/tls', mode: 0o700, owner: 998, group: 998, dirMode: 0o711},
      ],
    )
    expect(plan.map((entry) => [entry.kind, entry.path, entry.action, entry.newDirs])).toEqual([
      ['dir', '/etc/pcp', 'create', []],
      ['dir', '/etc/pcp/tls', 'create', []],
      ['dir', '/var/lib/pcp/tls', 'create', ['/var', '/var/lib', '/var/lib/pcp']],
      ['file', '/etc/pcp/tls/ca.key', 'create', []],
    ])
    expect(formatPlan(plan, accounts)).toBe(
      [
        'mkdir /etc/pcp (0755 root:root)',
        'mkdir /etc/pcp/tls (0750 root:pcp)',
        'mkdir /var (0711 root:root)',
        'mkdir /var/lib (0711 root:root)',
        'mkdir /var/lib/pcp (0711 root:root)',
        'mkdir /var/lib/pcp/tls (0700 pcp:pcp)',
        'create /etc/pcp/tls/ca.key (0600 root:root)',
        '',
        '--- /dev/null',
        '+++ b/etc/pcp/tls/ca.key',
        '(secret content, 3 bytes, not shown)',
      ].join('\n'),
    )
  })

  for (const umask of [0o000, 0o077]) {
    it.runIf(asRoot)(
      `are created with exactly their owner and mode under umask ${umask.toString(8).padStart(3, '0')}`,
      async () => {
        const root = makeRoot()
        const steps: string[] = []
        await withUmask(umask, async () => {
          const plan = await planChanges(
            root,
            [{path: '/etc/pcp/tls/server.key', content: 'KEY', mode: 0o600, ...other, secret: true}],
            [
              {path: '/etc/pcp/tls', mode: 0o2750, group: other.group},
              {path: '/home/alice/.pcp', mode: 0o755, ...other, keepExisting: true},
            ],
          )
          await applyPlan(root, plan, {onStep: (step, hostPath) => steps.push(`${step} ${hostPath}`)})
        })
        expect(dirOf(root, '/etc/pcp/tls')).toEqual({mode: 0o2750, uid: 0, gid: other.group})
        expect(dirOf(root, '/home/alice/.pcp')).toEqual({mode: 0o755, ...idsOf(other)})
        for (const parent of ['/etc', '/etc/pcp', '/home', '/home/alice'])
          expect(dirOf(root, parent)).toEqual({mode: 0o755, uid: 0, gid: 0})
        expect(stateOf(root, '/etc/pcp/tls/server.key')).toMatchObject({mode: 0o600, ...idsOf(other)})
        const made = ['temp-created', 'temp-owned', 'temp-synced', 'renamed', 'dir-synced']
        expect(steps.slice(0, 10)).toEqual([
          ...made.map((step) => `${step} /etc/pcp/tls`),
          ...made.map((step) => `${step} /home/alice/.pcp`),
        ])
        expect(steps[10]).toBe('temp-created /etc/pcp/tls/server.key')
        expect(readdirSync(path.join(root, 'etc/pcp'))).toEqual(['tls'])
        expect(readdirSync(path.join(root, 'home/alice'))).toEqual(['.pcp'])
      },
    )
  }

  it('correct the mode and owner of an existing directory in place, keeping what is in it', async () => {
    const root = makeRoot()
    put(root, '/etc/pcp/tls/old.crt', 'cert\n')
    chmodSync(path.join(root, 'etc/pcp/tls'), 0o755)
    const before = treeOf(root)
    const wanted = {path: '/etc/pcp/tls', mode: 0o750, ...other}
    const plan = await planChanges(root, [], [wanted])
    expect(plan).toMatchObject([
      {kind: 'dir', action: 'update', before: {mode: 0o755, ...idsOf(mine)}, newDirs: []},
    ])
    const owners = asRoot ? `, owner ${mine.owner}:${mine.group} -> ${other.owner}:${other.group}` : ''
    expect(formatPlan(plan)).toBe(`update /etc/pcp/tls (mode 0755 -> 0750${owners})`)
    const steps: WriteStep[] = []
    await applyPlan(root, plan, {onStep: (step) => steps.push(step)})
    expect(steps).toEqual(['dir-updated'])
    expect(dirOf(root, '/etc/pcp/tls')).toEqual({mode: 0o750, ...idsOf(other)})
    const after = treeOf(root)
    expect(after['/etc/pcp/tls']?.split(' ')[2]).toBe(before['/etc/pcp/tls']?.split(' ')[2])
    expect(after['/etc/pcp/tls/old.crt']).toBe(before['/etc/pcp/tls/old.crt'])

    const again = await planChanges(root, [], [wanted])
    expect(again).toMatchObject([{action: 'unchanged'}])
    expect(formatPlan(again)).toBe('')
  })

  it('keepExisting leaves an existing directory as it is, and creates a missing one', async () => {
    const root = makeRoot()
    mkdirSync(path.join(root, 'home/alice'), {recursive: true})
    chmodSync(path.join(root, 'home/alice'), 0o711)
    const dirs: DirChange[] = [
      {path: '/home/alice', mode: 0o700, ...other, keepExisting: true},
      {path: '/home/alice/.pcp', mode: 0o750, ...other, keepExisting: true},
    ]
    const plan = await planChanges(root, [], dirs)
    expect(plan).toMatchObject([{action: 'unchanged'}, {action: 'create'}])
    expect(formatPlan(plan)).toBe(`mkdir /home/alice/.pcp (0750 ${other.owner}:${other.group})`)
    const steps: WriteStep[] = []
    await applyPlan(root, plan, {onStep: (step) => steps.push(step)})
    expect(steps).not.toContain('dir-updated')
    expect(dirOf(root, '/home/alice')).toEqual({mode: 0o711, ...idsOf(mine)})
    expect(dirOf(root, '/home/alice/.pcp')).toEqual({mode: 0o750, ...idsOf(other)})
  })

  it('are refused through a symlinked directory, when planned and when applied', async () => {
    const root = makeRoot()
    const elsewhere = makeRoot()
    mkdirSync(path.join(root, 'etc'))
    symlinkSync(elsewhere, path.join(root, 'etc/pcp'))
    const tls = {path: '/etc/pcp/tls', mode: 0o750, ...mine}
    const viaParent = await writeError(planChanges(root, [], [tls]))
    expect(viaParent.message).toBe('refusing to write /etc/pcp/tls: /etc/pcp is a symlink')
    expect(viaParent.path).toBe('/etc/pcp/tls')
    const itself = await writeError(planChanges(root, [], [{...tls, path: '/etc/pcp'}]))
    expect(itself.message).toBe('refusing to write /etc/pcp: /etc/pcp is a symlink')

    rmSync(path.join(root, 'etc/pcp'))
    mkdirSync(path.join(root, 'etc/pcp'))
    const create = await planChanges(root, [], [tls])
    const update = await planChanges(root, [], [{...tls, path: '/etc/pcp'}])
    rmSync(path.join(root, 'etc/pcp'), {recursive: true})
    symlinkSync(elsewhere, path.join(root, 'etc/pcp'))
    const before = {tree: treeOf(elsewhere), mode: modeOf(elsewhere, '/')}
    expect((await writeError(applyPlan(root, create))).message).toBe(
      'refusing to write /etc/pcp/tls: /etc/pcp is a symlink; nothing was changed',
    )
    expect((await writeError(applyPlan(root, update))).message).toBe(
      'refusing to write /etc/pcp: /etc/pcp is a symlink; nothing was changed',
    )
    expect({tree: treeOf(elsewhere), mode: modeOf(elsewhere, '/')}).toEqual(before)
  })

  it('are refused when they changed since the plan was made', async () => {
    const root = makeRoot()
    mkdirSync(path.join(root, 'etc'))
    const create = await planChanges(root, [], [{path: '/etc/pcp', mode: 0o750, ...mine}])
    mkdirSync(path.join(root, 'etc/pcp'), {mode: 0o755})
    const update = await planChanges(root, [], [{path: '/etc/pcp', mode: 0o750, ...mine}])
    chmodSync(path.join(root, 'etc/pcp'), 0o700)
    for (const plan of [create, update]) {
      expect((await writeError(applyPlan(root, plan))).message).toBe(
        'cannot write /etc/pcp: it changed since the plan was made; plan again; nothing was changed',
      )
    }
    expect(dirOf(root, '/etc/pcp')).toMatchObject({mode: 0o700})
    expect(readdirSync(path.join(root, 'etc'))).toEqual(['pcp'])
  })

  it('are only shown by a dry run: planning and formatting change nothing', async () => {
    const root = makeRoot()
    put(root, '/etc/pcp/pmcd.conf', 'x\n')
    chmodSync(path.join(root, 'etc/pcp'), 0o755)
    const before = treeOf(root)
    const plan = await planChanges(
      root,
      [{path: '/etc/pcp/tls/server.crt', content: 'CERT\n', mode: 0o644}],
      [
        {path: '/etc/pcp', mode: 0o750, group: 998},
        {path: '/etc/pcp/tls', mode: 0o750, group: 998},
      ],
    )
    expect(formatPlan(plan).split('\n').slice(0, 3)).toEqual([
      `update /etc/pcp (mode 0755 -> 0750, owner ${mine.owner}:${mine.group} -> 0:998)`,
      'mkdir /etc/pcp/tls (0750 0:998)',
      'create /etc/pcp/tls/server.crt (0644 0:0)',
    ])
    expect(treeOf(root)).toEqual(before)
  })

  it('refuses invalid directory requests with one-line messages', async () => {
    const root = makeRoot()
    const cases: [DirChange[], FileChange[], string][] = [
      [
        [{path: 'etc/pcp', mode: 0o755}],
        [],
        'cannot write etc/pcp: not an absolute, normalised host path of a directory',
      ],
      [[{path: '/etc/pcp', mode: 0o20000}], [], 'cannot write /etc/pcp: invalid mode 8192'],
      [
        [
          {path: '/etc/pcp', mode: 0o755},
          {path: '/etc/pcp', mode: 0o750},
        ],
        [],
        'cannot write /etc/pcp: the plan lists this directory twice',
      ],
      [
        [{path: '/etc/pcp', mode: 0o755}],
        [{path: '/etc/pcp', content: '', mode: 0o644}],
        'cannot write /etc/pcp: the plan lists this path as a directory too',
      ],
    ]
    for (const [dirs, files, message] of cases) {
      expect((await writeError(planChanges(root, files, dirs))).message).toBe(message)
    }
    put(root, '/etc/pcp', 'a file\n')
    expect((await writeError(planChanges(root, [], [{path: '/etc/pcp', mode: 0o755}]))).message).toBe(
      'cannot write /etc/pcp: /etc/pcp is not a directory',
    )
  })
})

function idsOf(ids: {owner: number; group: number}): {uid: number; gid: number} {
  return {uid: ids.owner, gid: ids.group}
}

/** The kill harness, driven one step at a time over its stdin and stdout. */
class Harness {
  private readonly lines: string[] = []
  private readonly waiting: ((line: string | undefined) => void)[] = []
  private readonly exited: Promise<void>
  private readonly child: ChildProcessWithoutNullStreams

  constructor(root: string, changes: FileChange[], dirs: DirChange[] = []) {
    const specPath = path.join(makeRoot(), 'spec.json')
    const serialisable = changes.map((change) => ({...change, content: String(change.content)}))
    writeFileSync(specPath, JSON.stringify({root, changes: serialisable, dirs}))
    const child = spawn(process.execPath, ['--import', 'tsx', harnessPath, specPath], {cwd: projectDir})
    children.push(child)
    child.stderr.on('data', (data: Buffer) => process.stderr.write(data))
    createInterface({input: child.stdout}).on('line', (line) => this.push(line))
    // 'close', not 'exit': every line it printed has been read by then.
    this.exited = new Promise((resolve) => child.on('close', () => resolve()))
    void this.exited.then(() => this.push(undefined))
    this.child = child
  }

  private push(line: string | undefined): void {
    const waiter = this.waiting.shift()
    if (waiter) waiter(line)
    else if (line !== undefined) this.lines.push(line)
  }

  /** The next line the harness prints (a step, or `done`); fails after a few seconds or at exit. */
  next(): Promise<string> {
    const line = this.lines.shift()
    if (line !== undefined) return Promise.resolve(line)
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('the harness said nothing for 10 s')), 10_000)
      this.waiting.push((next) => {
        clearTimeout(timer)
        if (next === undefined) reject(new Error(`the harness exited (${String(this.child.exitCode)})`))
        else resolve(next)
      })
    })
  }

  continue(): void {
    this.child.stdin.write('\n')
  }

  async kill(): Promise<void> {
    this.child.kill('SIGKILL')
    await this.exited
  }
}

const UPDATE_STEPS: WriteStep[] = [
  'backup',
  'temp-created',
  'temp-written',
  'temp-owned',
  'temp-synced',
  'renamed',
  'dir-synced',
]

/** Every regular file in the directory of a 0600 key, temporary files and backups included, is 0600 or stricter. */
function expectNoGroupOrOtherBits(dir: string): void {
  for (const name of readdirSync(dir)) {
    const st = lstatSync(path.join(dir, name))
    if (st.isFile()) expect({name, mode: (st.mode & 0o077).toString(8)}).toEqual({name, mode: '0'})
  }
}

describe('a killed writer', () => {
  const scenarios = [
    {
      name: 'a config file (0644 -> 0640, new owner)',
      path: '/etc/pcp/pmcd/pmcd.conf',
      old: {content: 'old line\n'.repeat(200), mode: 0o644, ids: mine},
      new: {content: 'new line\n'.repeat(300), mode: 0o640, ids: other, secret: false},
    },
    {
      name: 'a 0600 key (new owner)',
      path: '/etc/pcp/tls/server.key',
      old: {content: 'OLD KEY\n'.repeat(200), mode: 0o600, ids: mine},
      new: {content: 'NEW KEY\n'.repeat(300), mode: 0o600, ids: other, secret: true},
    },
  ]

  for (const scenario of scenarios) {
    const change: FileChange = {
      path: scenario.path,
      content: scenario.new.content,
      mode: scenario.new.mode,
      ...scenario.new.ids,
      secret: scenario.new.secret,
    }
    const dirOf = (root: string) => path.dirname(path.join(root, scenario.path))

    it.each(UPDATE_STEPS)(
      `leaves ${scenario.name} whole when killed after %s`,
      {timeout: 30_000},
      async (killAt) => {
        const root = makeRoot()
        put(root, scenario.path, scenario.old.content, scenario.old.mode, scenario.old.ids)
        const harness = new Harness(root, [change])
        for (;;) {
          const step = await harness.next()
          if (scenario.new.mode === 0o600) expectNoGroupOrOtherBits(dirOf(root))
          if (step === killAt) break
          harness.continue()
        }
        await harness.kill()

        const found = stateOf(root, scenario.path)
        const old = {content: scenario.old.content, mode: scenario.old.mode, ...idsOf(scenario.old.ids)}
        const wanted = {content: scenario.new.content, mode: scenario.new.mode, ...idsOf(scenario.new.ids)}
        const whole = {content: found?.content, mode: found?.mode, uid: found?.uid, gid: found?.gid}
        expect([old, wanted]).toContainEqual(whole)
        if (UPDATE_STEPS.indexOf(killAt) >= UPDATE_STEPS.indexOf('renamed')) expect(whole).toEqual(wanted)

        // The next run cleans up after the killed one and finishes the job.
        await writeFiles(root, [change])
        expect(stateOf(root, scenario.path)).toMatchObject(wanted)
        expect(tempFiles(dirOf(root))).toEqual([])
        if (whole.content === old.content) {
          expect(stateOf(root, scenario.path + BACKUP_SUFFIX)?.content).toBe(scenario.old.content)
        }
      },
    )
  }

  it.each(UPDATE_STEPS.slice(1))(
    'leaves a new file absent or whole when killed after %s',
    {timeout: 30_000},
    async (killAt) => {
      const root = makeRoot()
      const content = 'x\n'.repeat(5000)
      const harness = new Harness(root, [{path: '/etc/pcp/new.conf', content, mode: 0o640, ...mine}])
      for (let step = await harness.next(); step !== killAt; step = await harness.next()) harness.continue()
      await harness.kill()
      const found = stateOf(root, '/etc/pcp/new.conf')
      const whole = found && {content: found.content, mode: found.mode}
      expect([undefined, {content, mode: 0o640}]).toContainEqual(whole)
      expect(stateOf(root, `/etc/pcp/new.conf${BACKUP_SUFFIX}`)).toBeUndefined()
    },
  )

  const DIR_STEPS: WriteStep[] = ['temp-created', 'temp-owned', 'temp-synced', 'renamed', 'dir-synced']

  it.each(DIR_STEPS)(
    'leaves a new directory absent or whole (owner and mode) when killed after %s',
    {timeout: 30_000},
    async (killAt) => {
      const root = makeRoot()
      mkdirSync(path.join(root, 'home/alice'), {recursive: true})
      const dir: DirChange = {path: '/home/alice/.pcp', mode: 0o2750, ...other}
      const key: FileChange = {path: '/home/alice/.pcp/client.key', content: 'KEY\n', mode: 0o600, ...other}
      const harness = new Harness(root, [{...key, secret: true}], [dir])
      for (let step = await harness.next(); step !== killAt; step = await harness.next()) harness.continue()
      await harness.kill()
      const whole = {mode: 0o2750, ...idsOf(other)}
      const found = existsSync(path.join(root, dir.path)) ? dirOf(root, dir.path) : undefined
      expect([undefined, whole]).toContainEqual(found)
      if (DIR_STEPS.indexOf(killAt) >= DIR_STEPS.indexOf('renamed')) expect(found).toEqual(whole)

      // The next run removes the killed one's temporary directory and finishes the job.
      await applyPlan(root, await planChanges(root, [{...key, secret: true}], [dir]))
      expect(dirOf(root, dir.path)).toEqual(whole)
      expect(readdirSync(path.join(root, 'home/alice'))).toEqual(['.pcp'])
      expect(stateOf(root, key.path)).toMatchObject({content: 'KEY\n', mode: 0o600, ...idsOf(other)})
    },
  )
})

describe('a key file', () => {
  it('is never readable by group or others, at any step of a whole run', {timeout: 30_000}, async () => {
    const root = makeRoot()
    const dir = path.join(root, 'var/lib/pulse-sensor-proxy/ssh')
    put(root, '/var/lib/pulse-sensor-proxy/ssh/id_ed25519', 'OLD PRIVATE KEY\n', 0o600)
    const key = {path: '/var/lib/pulse-sensor-proxy/ssh/id_ed25519', mode: 0o600, ...other, secret: true}
    const harness = await withUmask(
      0o000,
      async () => new Harness(root, [{...key, content: 'NEW PRIVATE KEY\n'}]),
    )
    const seen: string[] = []
    for (let step = await harness.next(); step !== 'done'; step = await harness.next()) {
      seen.push(step)
      expectNoGroupOrOtherBits(dir)
      harness.continue()
    }
    expect(seen).toEqual(UPDATE_STEPS)
    expectNoGroupOrOtherBits(dir)
    expect(stateOf(root, key.path)).toMatchObject({
      content: 'NEW PRIVATE KEY\n',
      mode: 0o600,
      ...idsOf(other),
    })
    expect(stateOf(root, key.path + BACKUP_SUFFIX)).toMatchObject({content: 'OLD PRIVATE KEY\n', mode: 0o600})
    expect(tempFiles(dir)).toEqual([])
  })

  it(
    'is created 0600 even when its group may read it, and opened to that group only once owned',
    {timeout: 30_000},
    async () => {
      const root = makeRoot()
      const dir = path.join(root, 'etc/pcp/tls')
      mkdirSync(dir, {recursive: true})
      const key = {path: '/etc/pcp/tls/server.key', content: 'KEY\n', mode: 0o640, ...other, secret: true}
      const harness = await withUmask(0o000, async () => new Harness(root, [key]))
      const modes: Record<string, string[]> = {}
      for (let step = await harness.next(); step !== 'done'; step = await harness.next()) {
        modes[step] = readdirSync(dir).map((name) => {
          const st = lstatSync(path.join(dir, name))
          return `${name.endsWith('.tmp') ? 'temp' : name} ${(st.mode & 0o777).toString(8)} ${st.uid}:${st.gid}`
        })
        harness.continue()
      }
      const [creator, owner] = [`${mine.owner}:${mine.group}`, `${other.owner}:${other.group}`]
      expect(modes).toEqual({
        'temp-created': [`temp 600 ${creator}`],
        'temp-written': [`temp 600 ${creator}`],
        'temp-owned': [`temp 640 ${owner}`],
        'temp-synced': [`temp 640 ${owner}`],
        renamed: [`server.key 640 ${owner}`],
        'dir-synced': [`server.key 640 ${owner}`],
      })
    },
  )
})
