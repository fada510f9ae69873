import {Socket} from 'node:net'

/**
 * A TCP connection read as a byte queue: every read has a deadline, so a silent server ends the
 * wait instead of hanging the probe.
 */
export class Conn {
  private buffer = Buffer.alloc(0)
  private closed = false
  private error?: Error
  private waiter?: () => void

  private constructor(readonly socket: Socket) {
    socket.on('data', (chunk: Buffer) => {
      this.buffer = Buffer.concat([this.buffer, chunk])
      this.wake()
    })
    socket.on('end', () => {
      this.closed = true
      this.wake()
    })
    socket.on('close', () => {
      this.closed = true
      this.wake()
    })
    socket.on('error', (error) => {
      this.error = error
      this.closed = true
      this.wake()
    })
  }

  private wake() {
    const waiter = this.waiter
    this.waiter = undefined
    waiter?.()
  }

  /** Connect within timeoutMs, or throw with the reason. */
  static open(host: string, port: number, timeoutMs: number): Promise<Conn> {
    return new Promise((resolve, reject) => {
      const socket = new Socket()
      const timer = setTimeout(() => {
        socket.destroy()
        reject(new Error(`no answer from ${host} port ${port} within ${timeoutMs} ms`))
      }, timeoutMs)
      socket.once('error', (error) => {
        clearTimeout(timer)
        reject(error)
      })
      socket.connect(port, host, () => {
        clearTimeout(timer)
        socket.removeAllListeners('error')
        resolve(new Conn(socket))
      })
    })
  }

  get isClosed(): boolean {
    return this.closed
  }

  /** Wait until `parse` finds what it wants in the bytes received, the peer closes, or the time is up. */
  async read<T>(
    parse: (data: Buffer) => {value: T; used: number} | undefined,
    timeoutMs: number,
  ): Promise<T | 'closed' | 'timeout'> {
    const deadline = Date.now() + timeoutMs
    for (;;) {
      const found = parse(this.buffer)
      if (found) {
        this.buffer = this.buffer.subarray(found.used)
        return found.value
      }
      if (this.closed) return 'closed'
      const left = deadline - Date.now()
      if (left <= 0) return 'timeout'
      await new Promise<void>((resolve) => {
        const timer = setTimeout(() => {
          this.waiter = undefined
          resolve()
        }, left)
        this.waiter = () => {
          clearTimeout(timer)
          resolve()
        }
      })
    }
  }

  /** The bytes received so far (and not consumed), without waiting. */
  pending(): Buffer {
    return this.buffer
  }

  write(data: Buffer | string): void {
    this.socket.write(data)
  }

  /** Hand the socket over (to tls.connect): this reader stops listening to it. */
  detach(): Socket {
    this.socket.removeAllListeners('data')
    this.socket.removeAllListeners('end')
    this.socket.removeAllListeners('close')
    this.socket.removeAllListeners('error')
    return this.socket
  }

  close(): void {
    this.socket.destroy()
  }

  get lastError(): Error | undefined {
    return this.error
  }
}
