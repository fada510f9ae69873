import {type ChildProcessByStdio, spawn} from 'node:child_process'
import {type Readable, type Writable} from 'node:stream'

import {type Argv} from './exec.js'

/** What a session's shell prints first; anything before it (a noisy shell rc file) is skipped. */
export const SESSION_READY = 'pcp-harden-session 1'

/** A request got no reply: the connection failed, ended, or the request timed out. */
export class SessionError extends Error {
  override name = 'SessionError'
  constructor(
    message: string,
    readonly timedOut = false,
  ) {
    super(message)
  }
}

/** How much of the program's standard error is kept for the message of a failure. */
export const STDERR_KEPT = 16 * 1024

/** The longest reply line taken by default (a 10,000-line authorized_keys is under 2 MiB in base64). */
export const REPLY_MAX = 64 * 1024 * 1024

type Child = ChildProcessByStdio<Writable, Readable, Readable>

interface Waiter {
  resolve(line: string): void
  reject(error: SessionError): void
}

/**
 * One long-lived program (ssh running the session script on a node) spoken to in lines: a request
 * line on its standard input, one reply line on its standard output. Requests go one at a time,
 * each only once the program has printed SESSION_READY (until then its input may be read by a
 * login script, and its output is a login script's). The program starts on the first request,
 * and again on the next request after it ended (a failed connection, a timeout), so one failure
 * never poisons the requests after it. Closing ends its standard input, which ends the remote
 * shell; a killed parent closes it just the same.
 */
export class LineSession {
  #child?: Child
  #ready = false
  #lines: string[] = []
  #partial: Buffer[] = []
  #partialBytes = 0
  #stderr = ''
  #waiter?: Waiter
  /** A request waiting for the ready line: until then the input may belong to a login script. */
  #unsent?: string
  #closed?: Promise<void>
  #queue: Promise<unknown> = Promise.resolve()
  /**
   * Why a program started ahead of any request (connect()) ended before its session did: the
   * first request's error, so that a node that cannot be reached costs one attempt, not two.
   */
  #unclaimed?: SessionError
  /** Whether any request was made: a program started ahead and never asked has nothing to finish. */
  #asked = false

  readonly #replyMax: number

  constructor(
    private readonly argv: Argv,
    options: {replyMax?: number} = {},
  ) {
    this.#replyMax = options.replyMax ?? REPLY_MAX
  }

  /** Send one request line and resolve with the reply line (without its newline). */
  request(line: string, timeoutMs: number): Promise<string> {
    this.#asked = true
    const turn = this.#queue.then(() => this.#exchange(line, timeoutMs))
    this.#queue = turn.catch(() => undefined)
    return turn
  }

  /**
   * Start the program now, before the first request: its connection is under way while the caller
   * does other work. A failure to start is the first request's error.
   */
  connect(): void {
    if (!this.#child && !this.#unclaimed) this.#open()
  }

  /**
   * End the program's input and wait for it to exit (killed if it has not within `timeoutMs`). A
   * program started ahead (connect()) and never asked is killed at once: it has nothing to finish,
   * and a node that does not answer must not hold up the end of a run that failed before its
   * first request.
   */
  async close(timeoutMs = 10_000): Promise<void> {
    await this.#queue
    const child = this.#child
    if (!child || !this.#closed) return
    const closed = this.#closed
    child.stdin.end()
    const timer = setTimeout(() => child.kill('SIGKILL'), this.#asked ? timeoutMs : 0)
    await closed
    clearTimeout(timer)
  }

  #exchange(line: string, timeoutMs: number): Promise<string> {
    const unclaimed = this.#unclaimed
    if (unclaimed) {
      this.#unclaimed = undefined
      return Promise.reject(unclaimed)
    }
    const child = this.#child ?? this.#open()
    return new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => {
        // Given up on: the next request starts a new program, never reading this one's late output.
        const started = this.#ready
        this.#child = undefined
        this.#unsent = undefined
        child.kill('SIGKILL')
        this.#fail(
          new SessionError(
            started
              ? 'timed out'
              : "timed out before the node's shell started the session (connecting, or a login script that waits for input?)",
            true,
          ),
        )
      }, timeoutMs)
      this.#waiter = {
        resolve: (reply) => {
          clearTimeout(timer)
          resolve(reply)
        },
        reject: (error) => {
          clearTimeout(timer)
          reject(error)
        },
      }
      if (this.#ready) child.stdin.write(`${line}\n`)
      else this.#unsent = line
      this.#deliver()
    })
  }

  #open(): Child {
    const [file, ...args] = this.argv
    const child = spawn(file, args, {stdio: ['pipe', 'pipe', 'pipe']})
    this.#child = child
    this.#ready = false
    this.#unsent = undefined
    this.#lines = []
    this.#partial = []
    this.#partialBytes = 0
    this.#stderr = ''
    // A write to a program that already ended is reported by its exit, not here.
    child.stdin.on('error', () => undefined)
    child.stdout.on('data', (chunk: Buffer) => {
      if (this.#child === child) this.#onStdout(chunk)
    })
    child.stderr.on('data', (chunk: Buffer) => {
      if (this.#child === child) this.#stderr = (this.#stderr + chunk.toString('utf8')).slice(-STDERR_KEPT)
    })
    this.#closed = whenEnded(child, (why) => {
      if (this.#child === child) {
        this.#child = undefined
        const error = new SessionError(lastLine(this.#stderr) ?? why)
        if (!this.#waiter && !this.#ready) this.#unclaimed = error
        this.#fail(error)
      }
    })
    return child
  }

  #onStdout(chunk: Buffer): void {
    let start = 0
    for (let end = chunk.indexOf(0x0a); end !== -1; end = chunk.indexOf(0x0a, start)) {
      this.#partial.push(chunk.subarray(start, end))
      const line = Buffer.concat(this.#partial).toString('utf8')
      this.#partial = []
      this.#partialBytes = 0
      start = end + 1
      if (this.#ready) this.#lines.push(line)
      else if (line === SESSION_READY) this.#start()
    }
    if (start < chunk.length) {
      this.#partial.push(chunk.subarray(start))
      this.#partialBytes += chunk.length - start
      if (this.#partialBytes > this.#replyMax) {
        const child = this.#child
        this.#child = undefined
        this.#partial = []
        this.#partialBytes = 0
        child?.kill('SIGKILL')
        this.#fail(new SessionError(`a reply of more than ${this.#replyMax} bytes without a line end`))
        return
      }
    }
    this.#deliver()
  }

  /** The ready line came: send the request that waited for it. */
  #start(): void {
    this.#ready = true
    if (this.#unsent === undefined) return
    this.#child?.stdin.write(`${this.#unsent}\n`)
    this.#unsent = undefined
  }

  #deliver(): void {
    const waiter = this.#waiter
    const line = this.#lines.shift()
    if (!waiter || line === undefined) {
      if (line !== undefined) this.#lines.unshift(line)
      return
    }
    this.#waiter = undefined
    waiter.resolve(line)
  }

  #fail(error: SessionError): void {
    const waiter = this.#waiter
    this.#waiter = undefined
    waiter?.reject(error)
  }
}

/** The last non-empty line of a program's standard error. */
export function lastLine(text: string): string | undefined {
  return text.trim().split('\n').filter(Boolean).at(-1)?.trim()
}

/**
 * Resolves once a session's program has ended, after `ended` is told why in words: its spawn
 * error, the signal that killed it, or its exit status.
 */
export function whenEnded(
  child: ChildProcessByStdio<Writable, Readable, Readable>,
  ended: (why: string) => void,
): Promise<void> {
  return new Promise<void>((resolve) => {
    const end = (why: string) => {
      ended(why)
      resolve()
    }
    child.once('error', (error) => end(error.message))
    child.once('close', (code, signal) => end(code === null ? `killed by ${signal}` : `exit ${code}`))
  })
}
