import {mkdir, mkdtemp, symlink, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import path from 'node:path'

/** A process in a fixture /proc: its argv, environment, parent, and the socket inodes it holds. */
export interface FixtureProcess {
  pid: number
  ppid?: number
  argv: string[]
  env?: Record<string, string>
  sockets?: number[]
}

/** One LISTEN line of /proc/net/tcp or tcp6, with the address already in the kernel's hex form. */
export interface FixtureListener {
  hex: string
  port: number
  inode: number
}

const HEADER =
  '  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n'

function tcpLines(listeners: readonly FixtureListener[]): string {
  const zero = '0'.repeat(listeners[0]?.hex.length ?? 8)
  return (
    HEADER +
    listeners
      .map(
        (l, i) =>
          `   ${i}: ${l.hex}:${l.port.toString(16).toUpperCase().padStart(4, '0')} ${zero}:0000 0A ` +
          `00000000:00000000 00:00000000 00000000     0        0 ${l.inode} 1 0000000000000000 100 0 0 10 0\n`,
      )
      .join('')
  )
}

/** Build a directory laid out like /proc from a short description. */
export async function buildProc(spec: {
  tcp?: FixtureListener[]
  tcp6?: FixtureListener[]
  processes: FixtureProcess[]
}): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), 'pcp-harden-proc-'))
  await mkdir(path.join(dir, 'net'))
  await writeFile(path.join(dir, 'net/tcp'), tcpLines(spec.tcp ?? []))
  await writeFile(path.join(dir, 'net/tcp6'), tcpLines(spec.tcp6 ?? []))
  for (const p of spec.processes) {
    const base = path.join(dir, String(p.pid))
    await mkdir(path.join(base, 'fd'), {recursive: true})
    const comm = (p.argv[0] ?? '').split('/').at(-1) ?? ''
    await writeFile(path.join(base, 'comm'), `${comm}\n`)
    await writeFile(path.join(base, 'cmdline'), `${p.argv.join('\0')}\0`)
    await writeFile(
      path.join(base, 'stat'),
      `${p.pid} (${comm}) S ${p.ppid ?? 1} ${p.pid} ${p.pid} 0 -1 4194560\n`,
    )
    await writeFile(
      path.join(base, 'environ'),
      Object.entries(p.env ?? {PATH: '/usr/sbin:/usr/bin'})
        .map(([k, v]) => `${k}=${v}\0`)
        .join(''),
    )
    for (const [i, inode] of (p.sockets ?? []).entries())
      await symlink(`socket:[${inode}]`, path.join(base, 'fd', String(i + 3)))
  }
  return dir
}

/** The ids the fixture tests of test/live/running.test.ts make fail. */
export const LIVE_FAILING = ['PCP-LIVE-001', 'PCP-LIVE-002']
