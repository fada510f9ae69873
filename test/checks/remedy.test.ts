import {execFile} from 'node:child_process'
import {mkdtemp, readFile, rm, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import path from 'node:path'
import {promisify} from 'node:util'

import {afterEach, beforeEach, describe, expect, it} from 'vitest'

import {moveTarget, remedyCommand, withRemedy} from '../../src/checks/remedy.js'

const sh = promisify(execFile)

describe('remedyCommand', () => {
  it('attrs: chown and chmod together, or only the part the remedy names', () => {
    expect(
      remedyCommand({kind: 'attrs', path: '/etc/pcp/tls.conf', owner: 'root', group: 'pcp', mode: 0o640}),
    ).toBe('chown root:pcp /etc/pcp/tls.conf && chmod 0640 /etc/pcp/tls.conf')
    expect(remedyCommand({kind: 'attrs', path: '/var/log/pcp', mode: 0o2775})).toBe('chmod 2775 /var/log/pcp')
    expect(remedyCommand({kind: 'attrs', path: '/etc/pcp', group: 'pcp'})).toBe('chown :pcp /etc/pcp')
  })

  it('edit: replace, delete and append name the line and the text they expect', () => {
    expect(
      remedyCommand({
        kind: 'edit',
        path: '/etc/default/pmcd',
        edits: [{op: 'replace', line: 3, expect: 'PMCD_LOCAL="1"', text: 'PMCD_LOCAL=1'}],
      }),
    ).toBe(`sed -i '3s|^PMCD_LOCAL="1"$|PMCD_LOCAL=1|' /etc/default/pmcd`)
    expect(
      remedyCommand({
        kind: 'edit',
        path: '/etc/pcp/pmcd/pmcd.options',
        edits: [{op: 'delete', line: 2, expect: '  -i 10.1.2.5'}],
      }),
    ).toBe(`sed -i '2{\\|^  -i 10\\.1\\.2\\.5$|d;}' /etc/pcp/pmcd/pmcd.options`)
    expect(
      remedyCommand({
        kind: 'edit',
        path: '/etc/default/pmproxy',
        edits: [{op: 'append', text: 'PMPROXY_LOCAL=1'}],
      }),
    ).toBe(
      `{ [ ! -s /etc/default/pmproxy ] || [ -z "$(tail -c1 /etc/default/pmproxy)" ] || echo; printf '%s' 'PMPROXY_LOCAL=1\n'; } >> /etc/default/pmproxy`,
    )
  })

  it('create: the directory, the content and the exact owner and mode', () => {
    expect(
      remedyCommand({
        kind: 'create',
        path: '/etc/default/pmproxy',
        content: 'PMPROXY_LOCAL=1\n',
        mode: 0o644,
        owner: 'root',
        group: 'root',
      }),
    ).toBe(
      `install -d /etc/default && printf '%s' 'PMPROXY_LOCAL=1\n' > /etc/default/pmproxy && chown root:root /etc/default/pmproxy && chmod 0644 /etc/default/pmproxy`,
    )
  })

  it('move: into a 0700 directory, never over a file already there, under the name given', () => {
    const remedy = {kind: 'move' as const, path: '/etc/pcp/tls/ca.key', to: '/root/pcp-ca', name: 'ca.key.1'}
    expect(moveTarget(remedy)).toBe('/root/pcp-ca/ca.key.1')
    expect(remedyCommand(remedy)).toBe(
      'install -d -m 0700 /root/pcp-ca && mv -n /etc/pcp/tls/ca.key /root/pcp-ca/ca.key.1',
    )
    expect(moveTarget({path: '/etc/pcp/tls/old.key', to: '/root/pcp-ca'})).toBe('/root/pcp-ca/old.key')
  })

  it('manual: the command as given', () => {
    const remedy = {
      kind: 'manual' as const,
      command: 'gpasswd --delete pulse-sensor-proxy disk',
      why: 'not automatic',
    }
    expect(remedyCommand(remedy)).toBe('gpasswd --delete pulse-sensor-proxy disk')
    expect(withRemedy({...remedy, restart: ['x.service']})).toEqual({
      remedy: {...remedy, restart: ['x.service']},
      fix: 'gpasswd --delete pulse-sensor-proxy disk',
    })
  })

  it('quotes hostile paths into single words', () => {
    const hostile = "/etc/pcp/a b'; rm -rf / #"
    expect(remedyCommand({kind: 'attrs', path: hostile, mode: 0o600})).toBe(
      `chmod 0600 '/etc/pcp/a b'\\''; rm -rf / #'`,
    )
    expect(remedyCommand({kind: 'move', path: '/etc/pcp/tls/$(id).key', to: '/root/pcp-ca'})).toBe(
      `install -d -m 0700 /root/pcp-ca && mv -n '/etc/pcp/tls/$(id).key' '/root/pcp-ca/$(id).key'`,
    )
  })

  it('orders edits bottom-up, appends last, whatever order the remedy lists them in', () => {
    const command = remedyCommand({
      kind: 'edit',
      path: '/f',
      edits: [
        {op: 'append', text: 'z'},
        {op: 'delete', line: 1, expect: 'a'},
        {op: 'replace', line: 5, expect: 'e', text: 'E'},
      ],
    })
    const parts = command.split(' && ')
    expect(parts[0]).toContain("'5s|^e$|E|'")
    expect(parts[1]).toContain("'1{\\|^a$|d;}'")
    expect(parts[2]).toContain("printf '%s' 'z\n'")
  })
})

describe('remedyCommand run by a real shell', () => {
  let dir: string
  beforeEach(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'remedy-'))
  })
  afterEach(async () => {
    await rm(dir, {recursive: true, force: true})
  })

  it('applies several edits of one file as the fixer does: each on the line it names', async () => {
    const file = path.join(dir, "odd name's.conf")
    await writeFile(file, 'a\nb [x]\nc|d\ne', 'utf8')
    const command = remedyCommand({
      kind: 'edit',
      path: file,
      edits: [
        {op: 'delete', line: 1, expect: 'a'},
        {op: 'replace', line: 3, expect: 'c|d', text: 'C & \\D'},
        {op: 'replace', line: 2, expect: 'b [x]', text: 'B\nB2'},
        {op: 'append', text: 'f'},
      ],
    })
    await sh('sh', ['-c', command], {timeout: 10_000})
    expect(await readFile(file, 'utf8')).toBe('B\nB2\nC & \\D\ne\nf\n')
  })

  it('leaves a line alone when it no longer reads as expected', async () => {
    const file = path.join(dir, 'pmcd')
    await writeFile(file, 'PMCD_LOCAL=0\n', 'utf8')
    const command = remedyCommand({
      kind: 'edit',
      path: file,
      edits: [{op: 'replace', line: 1, expect: 'PMCD_LOCAL="1"', text: 'PMCD_LOCAL=1'}],
    })
    await sh('sh', ['-c', command], {timeout: 10_000})
    expect(await readFile(file, 'utf8')).toBe('PMCD_LOCAL=0\n')
  })
})
