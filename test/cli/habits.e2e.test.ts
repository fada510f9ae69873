import {readFileSync} from 'node:fs'
import path from 'node:path'

import {describe, expect, it} from 'vitest'

import {cli, REPO} from './run-cli.js'

const version = (JSON.parse(readFileSync(path.join(REPO, 'package.json'), 'utf8')) as {version: string})
  .version

describe('the habits of other oclif CLIs', () => {
  it('help, help COMMAND, --help and -h show the same help', async () => {
    const [top, topic, byCommand, byFlag, byShort] = await Promise.all([
      cli(['help']),
      cli(['help', 'cert']),
      cli(['help', 'cert', 'init']),
      cli(['cert', 'init', '--help']),
      cli(['cert', 'init', '-h']),
    ])
    expect(top.code).toBe(0)
    expect(top.stdout).toContain('TOPICS')
    expect(top.stdout).toMatch(/^ {2}verify +Audit a PCP collector/m)
    expect(topic.stdout).toContain('$ pcp-harden cert COMMAND')
    expect(byCommand.code).toBe(0)
    expect(byCommand.stdout).toContain('$ pcp-harden cert init')
    expect(byFlag.stdout).toBe(byCommand.stdout)
    expect(byShort.stdout).toBe(byCommand.stdout)
  })

  it('version and --version print the name, version, platform and Node.js', async () => {
    const [command, flag] = await Promise.all([cli(['version']), cli(['--version'])])
    expect(command.code).toBe(0)
    expect(command.stdout).toMatch(
      new RegExp(`^pcp-harden/${version.replaceAll('.', '\\.')} linux-\\S+ node-v\\d+`),
    )
    expect(flag.stdout).toBe(command.stdout)
  })

  it.each([
    [['verfy'], 'command "verfy" not found; did you mean "verify"?'],
    [['cert', 'inti'], 'command "cert inti" not found; did you mean "cert init"?'],
    [['rotatekeys'], 'command "rotatekeys" not found; did you mean "rotate-keys"?'],
    [['help', 'certt', 'check'], 'command "certt check" not found; did you mean "cert check"?'],
    [['xyzzy'], 'command "xyzzy" not found; "pcp-harden help" lists the commands'],
  ])('%j: one line that suggests the closest command, exit 3', async (argv, line) => {
    const run = await cli(argv)
    expect(run.stderr).toBe(`pcp-harden: error: ${line}\n`)
    expect(run.code).toBe(3)
  })
})
