import {readSync} from 'node:fs'

/**
 * For the kill harnesses (a child the test SIGKILLs between steps): block in a synchronous read of
 * stdin until the parent sends one byte; end of input (the parent is gone) exits with status 2.
 */
export function waitForParent(): void {
  const byte = Buffer.alloc(1)
  for (;;) {
    try {
      if (readSync(0, byte) === 0) process.exit(2)
      return
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EAGAIN') throw error
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 10)
    }
  }
}
