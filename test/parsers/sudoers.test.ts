import {describe, expect, it} from 'vitest'

import {parseSudoers, sudoersIncludedName} from '../../src/parsers/sudoers.js'

describe('parseSudoers', () => {
  it("reads the grants Pulse's install.sh writes, each command with its run-as list, tags and arguments", () => {
    const {entries, errors} = parseSudoers(
      '# Pulse least-privilege agent grants. Managed by install.sh.\n' +
        'pulse-agent ALL=(root) NOPASSWD: /usr/sbin/smartctl\n' +
        'pulse-agent ALL=(root) NOPASSWD: /usr/sbin/pct list, /usr/sbin/pct df *\n',
    )
    expect(errors).toEqual([])
    expect(entries).toEqual([
      {
        kind: 'spec',
        line: 2,
        users: ['pulse-agent'],
        privileges: [
          {
            hosts: ['ALL'],
            commands: [
              {
                runas: ['root'],
                runasGroups: [],
                tags: ['NOPASSWD'],
                negated: false,
                command: '/usr/sbin/smartctl',
              },
            ],
          },
        ],
      },
      {
        kind: 'spec',
        line: 3,
        users: ['pulse-agent'],
        privileges: [
          {
            hosts: ['ALL'],
            commands: [
              {
                runas: ['root'],
                runasGroups: [],
                tags: ['NOPASSWD'],
                negated: false,
                command: '/usr/sbin/pct',
                args: 'list',
              },
              {
                runas: ['root'],
                runasGroups: [],
                tags: ['NOPASSWD'],
                negated: false,
                command: '/usr/sbin/pct',
                args: 'df *',
              },
            ],
          },
        ],
      },
    ])
  })

  it('joins continued lines, reads aliases, Defaults, includes, several host groups and "" (no arguments)', () => {
    const {entries, errors} = parseSudoers(
      'Defaults\tenv_reset\n' +
        '@includedir /etc/sudoers.d\n' +
        'Cmnd_Alias PCT = /usr/sbin/pct list, \\\n   /usr/sbin/pct df * : SHUT = /sbin/halt\n' +
        '%admin ALL = (ALL:ALL) ALL : db1 = (postgres) NOPASSWD: SETENV: /usr/bin/psql "", !/bin/sh # no shells\n',
    )
    expect(errors).toEqual([])
    expect(entries.map((e) => [e.kind, e.line])).toEqual([
      ['defaults', 1],
      ['include', 2],
      ['alias', 3],
      ['alias', 3],
      ['spec', 5],
    ])
    expect(entries[2]).toMatchObject({name: 'PCT', members: ['/usr/sbin/pct list', '/usr/sbin/pct df *']})
    const spec = entries[4]
    expect(spec?.kind === 'spec' && spec.privileges).toEqual([
      {
        hosts: ['ALL'],
        commands: [{runas: ['ALL'], runasGroups: ['ALL'], tags: [], negated: false, command: 'ALL'}],
      },
      {
        hosts: ['db1'],
        commands: [
          {
            runas: ['postgres'],
            runasGroups: [],
            tags: ['NOPASSWD', 'SETENV'],
            negated: false,
            command: '/usr/bin/psql',
            args: '',
          },
          {
            runas: ['postgres'],
            runasGroups: [],
            tags: ['NOPASSWD', 'SETENV'],
            negated: true,
            command: '/bin/sh',
          },
        ],
      },
    ])
  })

  it('reports what it does not read exactly, with the line, instead of guessing', () => {
    const {errors} = parseSudoers(
      'pulse-agent ALL=(root) NOPASSWD: sha256:0123abcd /usr/sbin/smartctl\n' +
        'pulse-agent ALL=(root) BOGUS: /usr/sbin/smartctl\n' +
        'pulse-agent /usr/sbin/smartctl\n',
    )
    expect(errors.map((e) => e.line)).toEqual([1, 2, 3])
    expect(errors[1]?.message).toMatch(/unknown tag BOGUS/)
  })

  it('skips the names sudo skips in an included directory', () => {
    expect(['pulse-agent', 'pulse-agent.bak', 'README~', 'zz-admins'].filter(sudoersIncludedName)).toEqual([
      'pulse-agent',
      'zz-admins',
    ])
  })
})
