import {spawn} from 'node:child_process'
import {readlink, writeFile} from 'node:fs/promises'
import {setTimeout as sleep} from 'node:timers/promises'

import {describe, expect, it} from 'vitest'

import {BIN} from '../cli/run-cli.js'

interface Result {
  check: string
  status: string
  line?: number
  message: string
}

/**
 * `verify --check PSP-CT-001` in a new user namespace whose uid and gid maps are written by this
 * (root) process, as LXC writes a container's: the check reads the real kernel's /proc/self/uid_map.
 */
async function verifyInUserNamespace(map: string): Promise<Result[]> {
  const child = spawn(
    'unshare',
    [
      '--user',
      '--',
      'sh',
      '-c',
      `read go && exec "$0" "$@"`,
      process.execPath,
      BIN,
      'verify',
      '--check',
      'PSP-CT-001',
      '--format',
      'json',
    ],
    {stdio: ['pipe', 'pipe', 'pipe']},
  )
  let stdout = ''
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()))
  const exited = new Promise<number | null>((resolve) => child.on('exit', resolve))
  try {
    const ours = await readlink('/proc/self/ns/user')
    for (let tries = 0; (await readlink(`/proc/${child.pid}/ns/user`).catch(() => ours)) === ours; tries++) {
      if (tries > 200) throw new Error('unshare did not enter a new user namespace')
      await sleep(10)
    }
    await writeFile(`/proc/${child.pid}/setgroups`, 'deny')
    await writeFile(`/proc/${child.pid}/uid_map`, map)
    await writeFile(`/proc/${child.pid}/gid_map`, map)
    child.stdin.end('go\n')
    await exited
    return (JSON.parse(stdout) as {results: Result[]}).results
  } finally {
    child.kill()
  }
}

describe.runIf(process.getuid?.() === 0)(
  "PSP-CT-001 against the kernel's own uid map",
  () => {
    it('passes in a namespace mapped as PVE maps an unprivileged container', async () => {
      expect(await verifyInUserNamespace('0 100000 65536')).toEqual([
        expect.objectContaining({
          check: 'PSP-CT-001',
          status: 'pass',
          message: 'no container uid maps to host root',
        }),
      ])
    })

    it('fails where a container uid is host root', async () => {
      expect(await verifyInUserNamespace('0 0 1\n1 100001 65535')).toEqual([
        expect.objectContaining({
          check: 'PSP-CT-001',
          status: 'fail',
          line: 1,
          message: 'container uid 0 is host root (0 0 1)',
        }),
      ])
    })
  },
  30_000,
)
