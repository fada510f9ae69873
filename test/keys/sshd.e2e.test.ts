import {spawn} from 'node:child_process'
import {chmod, chown, writeFile} from 'node:fs/promises'
import {connect} from 'node:net'
import path from 'node:path'

import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {keysFileFindings} from '../../src/checks/keys/analysis.js'
import {freePortOn, type SshKey, type SshNode, sshTo, startKeysNode, stopKeysNode} from '../helpers/sshd.js'

/**
 * The semantics the PSP-KEYS checks rely on, shown by a real sshd (OpenSSH 9.2) on 127.0.0.1 with
 * its own /root: one node for the whole file, authorized_keys rewritten for each case.
 */
let dir: string
let node: SshNode
let proxy: SshKey
let admin: SshKey

/** The key part of a public key line (type and base64), without its comment. */
const keyOf = (k: SshKey) => k.publicLine.split(' ').slice(0, 2).join(' ')
const NO_FORWARDING = 'no-port-forwarding,no-X11-forwarding,no-agent-forwarding,no-pty'

async function authorize(...lines: string[]) {
  await writeFile(node.authorizedKeys, lines.map((l) => `${l}\n`).join(''), {mode: 0o600})
  await chmod(node.authorizedKeys, 0o600)
}

/** Whether sshd lets the key in (any exit but ssh's own 255 with "Permission denied"). */
async function logsIn(key: SshKey, from?: string): Promise<boolean> {
  const run = await sshTo(node, 'true', {identity: key.path, ...(from ? {from} : {})})
  if (run.exitCode === 255 && !/Permission denied/.test(run.stderr))
    throw new Error(`ssh failed for another reason: ${run.stderr}`)
  return run.exitCode !== 255
}

/** What lint says of a one-line file: sshd ignores the line (PSP-KEYS-004), or uses it. */
function lintVerdict(line: string): 'ignored' | 'effective' {
  const findings = keysFileFindings(`${line}\n`, '/root/.ssh/authorized_keys', {
    user: 'root',
    proxyKeys: {ids: new Set(), files: []},
  })
  return findings.some((f) => f.check === 'PSP-KEYS-004') ? 'ignored' : 'effective'
}

/**
 * `ssh -N -L` through the node to its own sshd, with ExitOnForwardFailure: whether a connection
 * to the forwarded port gets the far end's SSH banner.
 */
async function localForwardWorks(key: SshKey): Promise<{forwarded: boolean; stderr: string}> {
  const local = await freePortOn('127.0.0.1')
  const child = spawn(
    'ssh',
    [
      ...['-F', '/dev/null', '-i', key.path, '-o', 'IdentitiesOnly=yes', '-o', 'BatchMode=yes'],
      ...['-o', `UserKnownHostsFile=${node.knownHosts}`, '-o', 'StrictHostKeyChecking=yes'],
      ...['-o', 'ExitOnForwardFailure=yes', '-N', '-L', `${local}:127.0.0.1:${node.port}`],
      ...['-p', String(node.port), `root@${node.address}`],
    ],
    {stdio: ['ignore', 'ignore', 'pipe']},
  )
  let stderr = ''
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()))
  const exited = new Promise((resolve) => child.once('exit', resolve))
  try {
    const deadline = Date.now() + 10_000
    while (Date.now() < deadline && child.exitCode === null) {
      const answer = await new Promise<string | undefined>((resolve) => {
        const socket = connect({host: '127.0.0.1', port: local})
        let data = ''
        socket.setTimeout(3000, () => socket.destroy())
        socket.on('data', (chunk) => {
          data += chunk.toString()
          if (data.includes('\n')) socket.destroy()
        })
        socket.once('error', () => resolve(undefined))
        socket.once('close', () => resolve(data))
      })
      // undefined: ssh is not listening yet (still authenticating); a string: the tunnel's answer.
      if (answer !== undefined) return {forwarded: answer.startsWith('SSH-2.0-'), stderr}
      await new Promise((resolve) => setTimeout(resolve, 100))
    }
    return {forwarded: false, stderr}
  } finally {
    if (child.exitCode === null) child.kill('SIGTERM')
    await exited
  }
}

beforeAll(async () => {
  ;({dir, node, proxy, admin} = await startKeysNode('pcp-harden-keys-sshd-'))
}, 30_000)

afterAll(() => stopKeysNode({dir, node}))

describe('a real sshd and the lines keys lint calls ignored (or refused)', () => {
  const forms = () => [
    `restrict no-pty ${proxy.publicLine}`,
    `command=true ${proxy.publicLine}`,
    `no-such-option ${proxy.publicLine}`,
    `command="true ${proxy.publicLine}`,
    `from=127.0.0.1,command=sensors -j,${NO_FORWARDING} ${proxy.publicLine}`,
    `principals="root" ${proxy.publicLine}`,
    `from="127.0.0.1/8" ${proxy.publicLine}`,
    `from="127.0.0.0/8,,::1" ${proxy.publicLine}`,
  ]

  it('each ignored form authenticates nobody, the same key on a well-formed line does', async () => {
    for (const line of forms()) {
      expect(lintVerdict(line), line).toBe('ignored')
      await authorize(line)
      expect(await logsIn(proxy), line).toBe(false)
    }
    const good = `from="127.0.0.1",command="true",${NO_FORWARDING} ${proxy.publicLine}`
    expect(lintVerdict(good)).toBe('effective')
    await authorize(good)
    expect(await logsIn(proxy)).toBe(true)
  }, 60_000)

  it('a trailing, leading or double comma does not make sshd 9.2 skip the line', async () => {
    for (const options of ['no-pty,', ',no-pty', 'no-pty,,no-X11-forwarding']) {
      await authorize(`${options} ${admin.publicLine}`)
      expect(await logsIn(admin), options).toBe(true)
    }
  }, 30_000)
})

describe("a real sshd and the proxy's restricted line", () => {
  const restricted = () =>
    `from="127.0.0.1",command="echo forced: $SSH_ORIGINAL_COMMAND",${NO_FORWARDING} ${proxy.publicLine}`

  it('runs only the forced command, whatever command the client asks for', async () => {
    await authorize(restricted())
    const run = await sshTo(node, 'cat /etc/shadow', {identity: proxy.path})
    expect(run).toMatchObject({exitCode: 0, stdout: 'forced: cat /etc/shadow'})
  })

  it('refuses local port forwarding (-N -L with ExitOnForwardFailure), which an unrestricted key gets', async () => {
    await authorize(restricted(), admin.publicLine)
    const refused = await localForwardWorks(proxy)
    expect(refused.forwarded).toBe(false)
    expect(refused.stderr).toMatch(/administratively prohibited/)
    expect((await localForwardWorks(admin)).forwarded).toBe(true)
  }, 60_000)

  it('refuses remote forwarding (-R) and stdio forwarding (-W)', async () => {
    await authorize(restricted())
    const remote = await sshTo(node, undefined, {
      identity: proxy.path,
      args: ['-N', '-o', 'ExitOnForwardFailure=yes', '-R', `0:127.0.0.1:${node.port}`],
    })
    expect(remote.exitCode).toBe(255)
    expect(remote.stderr).toMatch(/remote port forwarding failed/)
    const stdio = await sshTo(node, undefined, {identity: proxy.path, args: ['-W', `127.0.0.1:${node.port}`]})
    expect(stdio.exitCode).toBe(255)
    expect(stdio.stderr).toMatch(/administratively prohibited/)
  }, 30_000)

  it('refuses a pty (-tt), which the key gets without no-pty', async () => {
    await authorize(`command="tty",no-pty ${proxy.publicLine}`)
    const refused = await sshTo(node, undefined, {identity: proxy.path, args: ['-tt']})
    expect(refused).toMatchObject({exitCode: 255, stdout: ''})
    expect(refused.stderr).toMatch(/PTY allocation request failed/)
    await authorize(`command="tty" ${proxy.publicLine}`)
    const allowed = await sshTo(node, undefined, {identity: proxy.path, args: ['-tt']})
    expect(allowed.stdout.trim()).toMatch(/^\/dev\/pts\/\d+$/)
  }, 30_000)

  it('from="127.0.0.1" refuses a client from 127.0.0.2 and accepts one from 127.0.0.1', async () => {
    await authorize(restricted())
    expect(await logsIn(proxy, '127.0.0.2')).toBe(false)
    expect(await logsIn(proxy, '127.0.0.1')).toBe(true)
    expect(await node.readLog()).toMatch(
      /from="127\.0\.0\.1".*not permitted|Authentication tried for root with correct key but not from a permitted host/,
    )
  }, 30_000)
})

describe('a real sshd and several lines for one key', () => {
  it('uses the first line: a weaker earlier line is the one in force', async () => {
    await authorize(
      `command="echo weak" ${proxy.publicLine}`,
      `command="echo strict",restrict ${proxy.publicLine}`,
    )
    expect((await sshTo(node, 'id', {identity: proxy.path})).stdout).toBe('weak')
  })

  it('goes on to a later line when an earlier from= does not match the client', async () => {
    await authorize(
      `from="127.0.0.2",command="echo first" ${proxy.publicLine}`,
      `command="echo second" ${proxy.publicLine}`,
    )
    expect((await sshTo(node, 'id', {identity: proxy.path, from: '127.0.0.1'})).stdout).toBe('second')
    expect((await sshTo(node, 'id', {identity: proxy.path, from: '127.0.0.2'})).stdout).toBe('first')
  }, 30_000)
})

describe("a real sshd's StrictModes (Debian's, with user-group-modes.patch)", () => {
  const sshDir = () => path.dirname(node.authorizedKeys)

  it('refuses every key in an authorized_keys, or under a ~/.ssh, that others can write', async () => {
    await authorize(admin.publicLine)
    expect(await logsIn(admin)).toBe(true)
    await chmod(node.authorizedKeys, 0o602)
    expect(await logsIn(admin)).toBe(false)
    await chmod(node.authorizedKeys, 0o600)
    await chmod(sshDir(), 0o707)
    expect(await logsIn(admin)).toBe(false)
    await chmod(sshDir(), 0o700)
    expect(await logsIn(admin)).toBe(true)
    expect(await node.readLog()).toMatch(/bad ownership or modes for (file|directory)/)
  }, 30_000)

  it("refuses a group-writable file unless the group is its owner's alone (root:root here)", async () => {
    await authorize(admin.publicLine)
    await chmod(node.authorizedKeys, 0o620)
    // Group root has no member but root: Debian's sshd accepts the file.
    expect(await logsIn(admin)).toBe(true)
    // Group nogroup is nobody's primary group: refused.
    await chown(node.authorizedKeys, 0, 65534)
    expect(await logsIn(admin)).toBe(false)
    await chown(node.authorizedKeys, 0, 0)
    await chmod(node.authorizedKeys, 0o600)
    expect(await logsIn(admin)).toBe(true)
  }, 30_000)
})

describe('keys lint against a real sshd (differential)', () => {
  /** Option lists as admins and the proxy's writers wrote them, each with a key line after it. */
  const FIXED = [
    '',
    'restrict',
    `from="127.0.0.1",command="true",${NO_FORWARDING}`,
    'from="127.0.0.0/8,::1",command="exit 0",restrict,pty',
    'command="echo \\"quoted\\"; true",no-agent-forwarding',
    'environment="LANG=C",permitopen="localhost:80",permitlisten="8080",no-user-rc',
    'expiry-time="29991231",tunnel="1",no-touch-required',
    'NO-PTY,No-X11-Forwarding,COMMAND="true"',
    'from="127.0.0.1/32,10.1.2.0/24,!192.0.2.1"',
    'expiry-time="20200101",command="true"',
  ]
  /** Ways the lines go wrong in the field (and ways that only look wrong). */
  const MUTATIONS: [string, (options: string) => string][] = [
    ['as written', (o) => o],
    ['blank after each comma', (o) => o.replaceAll(',', ', ')],
    ['quotes stripped', (o) => o.replaceAll('"', '')],
    ['last quote dropped', (o) => o.replace(/"([^"]*)$/, '$1')],
    ['trailing comma', (o) => `${o},`],
    ['leading comma', (o) => `,${o}`],
    ['double comma', (o) => o.replace(',', ',,')],
    ['unknown option', (o) => `${o},no-such-thing`],
    ['misspelt no-pty', (o) => `${o},no-ptty`],
    ['tab before the key', (o) => `${o}\t`],
    ['blank inside a value', (o) => o.replace('="', '= "')],
    ['from= twice', (o) => `${o},from="127.0.0.1",from="127.0.0.1"`],
    [
      'host bits in from=',
      (o) => o.replace('127.0.0.0/8', '127.0.0.1/8').replace('10.1.2.0/24', '10.1.2.3/24'),
    ],
  ]

  it("says 'ignored' exactly for the lines sshd does not let the key in through", async () => {
    const lines = [
      ...new Set(
        FIXED.flatMap((options) =>
          MUTATIONS.map(([, mutate]) => {
            const written = mutate(options)
            return written === '' ? proxy.publicLine : `${written} ${proxy.publicLine}`
          }),
        ),
      ),
      // The key itself damaged.
      proxy.publicLine.replace(/AAAA(.)/, 'AAAA!'),
      proxy.publicLine.replace('ssh-ed25519', 'ssh-rsa'),
      `${keyOf(proxy).slice(0, -4)} short`,
    ]
    const mismatches: string[] = []
    for (const line of lines) {
      await authorize(line)
      const real = (await logsIn(proxy)) ? 'effective' : 'ignored'
      const ours = lintVerdict(line)
      if (real !== ours) mismatches.push(`sshd: ${real}, lint: ${ours}: ${line}`)
    }
    expect(lines.length).toBeGreaterThan(60)
    expect(mismatches).toEqual([])
  }, 300_000)
})
