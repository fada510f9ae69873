import {spawn} from 'node:child_process'
import {mkdtemp, readdir, rm} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import path from 'node:path'
import {setTimeout as sleep} from 'node:timers/promises'

import {describe, expect, it} from 'vitest'

import {BIN} from './run-cli.js'

/**
 * Start `verify --sample` with a private TMPDIR, wait until its systemd-analyze scratch root
 * exists there, send the signal, and return how it ended and what is left in TMPDIR.
 */
async function interrupt(
  signal: NodeJS.Signals,
): Promise<{exit: number | null; killedBy: string | null; left: string[]}> {
  const tmp = await mkdtemp(path.join(tmpdir(), 'pcp-harden-interrupt-'))
  const child = spawn(process.execPath, [BIN, 'verify', '--sample', '--format', 'json'], {
    env: {PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: '/root', TMPDIR: tmp},
    stdio: 'ignore',
  })
  const ended = new Promise<{exit: number | null; killedBy: string | null}>((resolve) =>
    child.on('exit', (exit, killedBy) => resolve({exit, killedBy})),
  )
  try {
    for (let tries = 0; (await readdir(tmp)).length === 0; tries++) {
      if (tries > 2000) throw new Error('verify made no scratch directory')
      await sleep(2)
    }
    child.kill(signal)
    const end = await ended
    return {...end, left: await readdir(tmp)}
  } finally {
    child.kill('SIGKILL')
    await rm(tmp, {recursive: true, force: true})
  }
}

describe.runIf(process.platform === 'linux')('a killed verify', () => {
  it.each(['SIGTERM', 'SIGINT'] as const)(
    '%s: removes its temporary directories and dies of the signal',
    async (signal) => {
      const {killedBy, left} = await interrupt(signal)
      expect(left).toEqual([])
      expect(killedBy).toBe(signal)
    },
    30_000,
  )
})
