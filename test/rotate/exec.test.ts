import {execFileSync} from 'node:child_process'

import {describe, expect, it} from 'vitest'

import {adminSshArgv, keygenArgv, proxySshArgv, remoteScript, shellQuote} from '../../src/rotate/exec.js'
import {chooseRenderer} from '../../src/rotate/renderer.js'

const node = {host: 'pve2', port: 2222, label: 'pve2:2222'}
const ssh = {
  identity: '/root/.ssh/admin',
  knownHosts: '/tmp/kh',
  options: ['StrictHostKeyChecking=accept-new'],
  connectTimeout: 7,
}

describe('the argv of every ssh and ssh-keygen run', () => {
  it('admin ssh: the identity only, the user options first (ssh keeps the first value), batch and strict', () => {
    expect(adminSshArgv(node, ssh, 'true')).toEqual([
      'ssh',
      '-i',
      '/root/.ssh/admin',
      '-o',
      'IdentitiesOnly=yes',
      '-F',
      'none',
      '-o',
      'StrictHostKeyChecking=accept-new',
      '-o',
      'BatchMode=yes',
      '-o',
      'StrictHostKeyChecking=yes',
      '-o',
      'ConnectTimeout=7',
      '-o',
      'UserKnownHostsFile=/tmp/kh',
      '-p',
      '2222',
      '-l',
      'root',
      '--',
      'pve2',
      'true',
    ])
  })

  it("admin ssh without --identity: ssh's own identities and the agent", () => {
    expect(adminSshArgv(node, {options: [], connectTimeout: 10}, 'true')).toEqual([
      'ssh',
      '-F',
      'none',
      '-o',
      'BatchMode=yes',
      '-o',
      'StrictHostKeyChecking=yes',
      '-o',
      'ConnectTimeout=10',
      '-p',
      '2222',
      '-l',
      'root',
      '--',
      'pve2',
      'true',
    ])
  })

  it('proxy ssh: only the key given, never the agent, asking for sensors -j', () => {
    expect(proxySshArgv(node, {options: [], connectTimeout: 10}, '/k/id_ed25519')).toEqual([
      'ssh',
      '-i',
      '/k/id_ed25519',
      '-o',
      'IdentitiesOnly=yes',
      '-o',
      'IdentityAgent=none',
      '-F',
      'none',
      '-o',
      'BatchMode=yes',
      '-o',
      'StrictHostKeyChecking=yes',
      '-o',
      'ConnectTimeout=10',
      '-p',
      '2222',
      '-l',
      'root',
      '--',
      'pve2',
      'sensors -j',
    ])
  })

  it('ssh-keygen: ed25519, no passphrase, the proxy comment', () => {
    expect(keygenArgv('/k/id_ed25519', 'pulse-sensor-proxy')).toEqual([
      'ssh-keygen',
      '-q',
      '-t',
      'ed25519',
      '-a',
      '100',
      '-N',
      '',
      '-C',
      'pulse-sensor-proxy',
      '-f',
      '/k/id_ed25519',
    ])
  })

  it('the remote command survives the remote shell word for word', () => {
    const args = ["/root/it's here", '$(reboot)', '"; rm -rf /', '']
    const command = remoteScript('printf "%s\\n" "$@"', args)
    expect(execFileSync('sh', ['-c', command], {encoding: 'utf8'})).toBe(`${args.join('\n')}\n`)
    expect(shellQuote("a'b")).toBe(`'a'\\''b'`)
  })
})

describe('chooseRenderer', () => {
  it.each([
    [{format: 'json', dryRun: false, tty: true}, 'silent'],
    [{format: 'json', dryRun: true, tty: false}, 'silent'],
    [{format: 'text', dryRun: true, tty: true}, 'simple'],
    [{format: 'text', dryRun: false, tty: false}, 'simple'],
    [{format: 'text', dryRun: false, tty: true}, 'default'],
  ] as const)('%j -> %s', (options, renderer) => {
    expect(chooseRenderer(options)).toBe(renderer)
  })
})
