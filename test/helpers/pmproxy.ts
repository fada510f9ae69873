import {type ChildProcess, spawn} from 'node:child_process'
import {existsSync} from 'node:fs'
import {chmod, readFile, writeFile} from 'node:fs/promises'
import path from 'node:path'

import {freePort, stopChild} from './pmcd.js'

export const PMPROXY = '/usr/lib/pcp/bin/pmproxy'

export interface RunningPmproxy {
  port: number
  log: string
  process: ChildProcess
  stop(): Promise<void>
}

/**
 * A real pmproxy in the foreground on this test's directory (made writable by pcp, whom pmproxy
 * becomes), with its own pmproxy.conf, port, unix socket and log; resolved once its log shows it
 * listening. Always stopped by stop().
 */
export async function startPmproxy(
  dir: string,
  conf: string,
  options: {args?: readonly string[]; env?: Readonly<Record<string, string>>} = {},
): Promise<RunningPmproxy> {
  await chmod(dir, 0o777)
  const port = await freePort()
  const log = path.join(dir, 'pmproxy.log')
  const config = path.join(dir, 'pmproxy.conf')
  await writeFile(config, conf)
  const argv = ['-f', '-p', String(port), '-l', log, '-c', config, '-s', path.join(dir, 'pmproxy.sock')]
  const child = spawn(PMPROXY, [...argv, ...(options.args ?? [])], {
    stdio: 'ignore',
    env: {...process.env, ...options.env},
  })
  const stop = () => stopChild(child)
  const deadline = Date.now() + 15_000
  for (;;) {
    const text = existsSync(log) ? await readFile(log, 'utf8') : ''
    if (new RegExp(`ok\\s+\\d+\\s+${port}\\s+inet`).test(text)) break
    if (child.exitCode !== null || Date.now() > deadline) {
      await stop()
      throw new Error(`pmproxy did not start:\n${text}`)
    }
    await new Promise((r) => setTimeout(r, 100))
  }
  return {port, log, process: child, stop}
}
