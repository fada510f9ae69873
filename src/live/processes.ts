import type {ProcSource} from './proc.js'

/** A running process as /proc shows it. */
export interface RunningProcess {
  pid: number
  ppid: number
  comm: string
  /** Its command line, word by word (/proc/PID/cmdline). */
  argv: string[]
  /** Its environment (/proc/PID/environ); undefined when it cannot be read. */
  env?: Map<string, string>
}

/** NUL-separated words, without the final empty one. */
function nulWords(data: Buffer): string[] {
  const words = data.toString('utf8').split('\0')
  if (words.at(-1) === '') words.pop()
  return words
}

/** The parent's pid from /proc/PID/stat (the field after the parenthesised command name). */
function parentOf(stat: string): number {
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  return Number(fields[1])
}

/** One process, or undefined when it is gone (or is a kernel thread with no command line). */
export function readProcess(proc: ProcSource, pid: number): RunningProcess | undefined {
  const cmdline = proc.read(`${pid}/cmdline`)
  const stat = proc.read(`${pid}/stat`)?.toString('utf8')
  if (!cmdline || cmdline.length === 0 || !stat) return undefined
  const comm = proc.read(`${pid}/comm`)?.toString('utf8').trim() ?? ''
  const environ = proc.read(`${pid}/environ`)
  const env = environ
    ? new Map(
        nulWords(environ).map((w) => {
          const eq = w.indexOf('=')
          return eq < 0 ? ([w, ''] as const) : ([w.slice(0, eq), w.slice(eq + 1)] as const)
        }),
      )
    : undefined
  return {pid, ppid: parentOf(stat), comm, argv: nulWords(cmdline), ...(env ? {env} : {})}
}

/** The running processes whose program is this one (by the base name of argv[0] or the comm). */
export function processesNamed(proc: ProcSource, name: string): RunningProcess[] {
  const found: RunningProcess[] = []
  for (const entry of proc.list('')) {
    if (!/^\d+$/.test(entry)) continue
    const comm = proc.read(`${entry}/comm`)?.toString('utf8').trim()
    if (comm !== name) continue
    const process = readProcess(proc, Number(entry))
    if (process && (process.argv[0] ?? '').split('/').at(-1) === name) found.push(process)
  }
  return found.sort((a, b) => a.pid - b.pid)
}
