import {randomInt} from 'node:crypto'

import {execa} from 'execa'

/**
 * A network namespace joined to this host by a veth pair on a /30 of its own: a process run inside
 * it reaches this host at `hostAddress` and comes from `nsAddress`, so a server here sees a remote
 * client, not a loopback one. Always removed by remove().
 */
export interface Netns {
  name: string
  hostAddress: string
  nsAddress: string
  /** Run a command inside the namespace (never throws: the exit code and output are returned). */
  exec(
    argv: readonly string[],
    env?: Readonly<Record<string, string>>,
  ): Promise<{exitCode: number; stdout: string; stderr: string}>
  remove(): Promise<void>
}

const ip = (...args: string[]) => execa('ip', args)

export async function createNetns(): Promise<Netns> {
  const tag = `${process.pid % 10_000}${randomInt(100)}`
  const name = `pcph-${tag}`
  const hostSide = `pcph${tag}h`
  const nsSide = `pcph${tag}n`
  const net = `10.${randomInt(200, 250)}.${randomInt(256)}`
  const hostAddress = `${net}.1`
  const nsAddress = `${net}.2`
  const remove = async () => {
    await execa('ip', ['link', 'del', hostSide], {reject: false})
    await execa('ip', ['netns', 'del', name], {reject: false})
  }
  try {
    await ip('netns', 'add', name)
    await ip('link', 'add', hostSide, 'type', 'veth', 'peer', 'name', nsSide)
    await ip('link', 'set', nsSide, 'netns', name)
    await ip('addr', 'add', `${hostAddress}/30`, 'dev', hostSide)
    await ip('link', 'set', hostSide, 'up')
    await ip('netns', 'exec', name, 'ip', 'addr', 'add', `${nsAddress}/30`, 'dev', nsSide)
    await ip('netns', 'exec', name, 'ip', 'link', 'set', nsSide, 'up')
    await ip('netns', 'exec', name, 'ip', 'link', 'set', 'lo', 'up')
  } catch (error) {
    await remove()
    throw error
  }
  return {
    name,
    hostAddress,
    nsAddress,
    async exec(argv, env = {}) {
      const run = await execa('ip', ['netns', 'exec', name, ...argv], {
        env,
        reject: false,
        timeout: 30_000,
        stdin: 'ignore',
      })
      return {exitCode: run.exitCode ?? -1, stdout: String(run.stdout), stderr: String(run.stderr)}
    },
    remove,
  }
}
