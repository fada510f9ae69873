import {type ChildProcessByStdio, spawn} from 'node:child_process'
import {type Readable, type Writable} from 'node:stream'

import {lastLine, REPLY_MAX, SESSION_READY, SessionError, STDERR_KEPT, whenEnded} from '../rotate/session.js'

type Child = ChildProcessByStdio<Writable, Readable, Readable>

interface Waiter {
  resolve(line: string): void
  reject(error: SessionError): void
}

/**
 * One program (ssh running a read-only script on a node) spoken to in lines, like rotate-keys'
 * LineSession, but pipelined: every request is written at once and the replies come back in
 * order. An audit asks many things at the same time; waiting for each reply before sending the
 * next costs a round trip each, and more as ssh leaves Nagle's algorithm on for a session without
 * a terminal (ssh.c marks only a tty or X11 session interactive). Requests wait for SESSION_READY (until
 * then the input may be a login script's). The whole session has one deadline; the first failure
 * (the program ended, the deadline passed, a reply too long) fails every request, then and after:
 * the program is never started again.
 */
export class PipelineSession {
  #child?: Child
  #ready = false
  #unsent: string[] = []
  #waiters: Waiter[] = []
  #partial: Buffer[] = []
  #partialBytes = 0
  #stderr = ''
  #failed?: SessionError
  #timer?: NodeJS.Timeout
  #closed?: Promise<void>

  constructor(
    private readonly argv: readonly [string, ...string[]],
    private readonly deadline: number,
    private readonly replyMax = REPLY_MAX,
  ) {}

  /** Send one request line; resolves with its reply line (without the newline). */
  request(line: string): Promise<string> {
    if (this.#failed) return Promise.reject(this.#failed)
    const child = this.#child ?? this.#open()
    return new Promise<string>((resolve, reject) => {
      this.#waiters.push({resolve, reject})
      if (this.#ready) child.stdin.write(`${line}\n`)
      else this.#unsent.push(line)
    })
  }

  /** End the program's input and wait for it to exit (killed if it has not within `timeoutMs`). */
  async close(timeoutMs = 2000): Promise<void> {
    clearTimeout(this.#timer)
    const child = this.#child
    if (!child || !this.#closed) return
    child.stdin.end()
    const timer = setTimeout(() => killGroup(child), timeoutMs)
    await this.#closed
    clearTimeout(timer)
  }

  #open(): Child {
    const [file, ...args] = this.argv
    // Its own process group, so that a kill reaches whatever it started that holds its output open.
    const child = spawn(file, args, {stdio: ['pipe', 'pipe', 'pipe'], detached: true})
    this.#child = child
    child.stdin.on('error', () => undefined)
    child.stdout.on('data', (chunk: Buffer) => this.#onStdout(chunk))
    child.stderr.on('data', (chunk: Buffer) => {
      this.#stderr = (this.#stderr + chunk.toString('utf8')).slice(-STDERR_KEPT)
    })
    this.#timer = setTimeout(
      () =>
        this.#fail(
          new SessionError(
            this.#ready
              ? 'timed out'
              : "timed out before the node's shell started the session (connecting, or a login script that waits for input?)",
            true,
          ),
        ),
      Math.max(0, this.deadline - Date.now()),
    )
    this.#closed = whenEnded(child, (why) => {
      clearTimeout(this.#timer)
      this.#fail(new SessionError(lastLine(this.#stderr) ?? why))
    })
    return child
  }

  #onStdout(chunk: Buffer): void {
    if (this.#failed) return
    let start = 0
    for (let end = chunk.indexOf(0x0a); end !== -1; end = chunk.indexOf(0x0a, start)) {
      this.#partial.push(chunk.subarray(start, end))
      const line = Buffer.concat(this.#partial).toString('utf8')
      this.#partial = []
      this.#partialBytes = 0
      start = end + 1
      if (this.#ready) this.#waiters.shift()?.resolve(line)
      else if (line === SESSION_READY) this.#start()
    }
    if (start < chunk.length) {
      this.#partial.push(chunk.subarray(start))
      this.#partialBytes += chunk.length - start
      if (this.#partialBytes > this.replyMax)
        this.#fail(new SessionError(`a reply of more than ${this.replyMax} bytes without a line end`))
    }
  }

  /** The ready line came: send every request that waited for it, in one write. */
  #start(): void {
    this.#ready = true
    if (this.#unsent.length > 0) this.#child?.stdin.write(this.#unsent.map((l) => `${l}\n`).join(''))
    this.#unsent = []
  }

  #fail(error: SessionError): void {
    this.#failed ??= error
    clearTimeout(this.#timer)
    for (const waiter of this.#waiters.splice(0)) waiter.reject(this.#failed)
    this.#partial = []
    const child = this.#child
    if (child) killGroup(child)
  }
}

/** SIGKILL a session's program and everything in its process group (still there or not). */
function killGroup(child: Child): void {
  try {
    if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL')
  } catch {
    // The group is gone already.
  }
}
