import {spawnSync} from 'node:child_process'
import {mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import path from 'node:path'

import {afterAll, expect, it} from 'vitest'

import {takeLock} from '../../src/rotate/lock.js'

const dir = mkdtempSync(path.join(tmpdir(), 'pcp-harden-lock-'))
afterAll(() => rmSync(dir, {recursive: true, force: true}))

it('a second run refuses while the first holds the lock; released, it can be taken again', async () => {
  const file = path.join(dir, 'a.lock')
  const lock = await takeLock(file, '/k/a.lock')
  expect(JSON.parse(readFileSync(file, 'utf8')).pid).toBe(process.pid)
  await expect(takeLock(file, '/k/a.lock')).rejects.toThrow(
    `/k/a.lock: another rotate-keys run (pid ${process.pid}) holds the lock`,
  )
  await lock.release()
  const again = await takeLock(file, '/k/a.lock')
  expect(again.staleFrom).toBeUndefined()
  await again.release()
})

it('the lock of a process that is gone, or of a reused pid, is stale and taken over', async () => {
  const dead = spawnSync('sh', ['-c', 'echo $$']).stdout.toString().trim()
  const file = path.join(dir, 'b.lock')
  writeFileSync(file, JSON.stringify({pid: Number(dead), start: '1'}))
  const lock = await takeLock(file, '/k/b.lock')
  expect(lock.staleFrom).toBe(Number(dead))
  await lock.release()
  // Our own pid, but a start time that is not ours: a run that died and whose pid came back.
  writeFileSync(file, JSON.stringify({pid: process.pid, start: '1'}))
  expect((await takeLock(file, '/k/b.lock')).staleFrom).toBe(process.pid)
})
