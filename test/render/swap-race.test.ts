import {spawn} from 'node:child_process'
import {
  chmodSync,
  chownSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {createInterface} from 'node:readline'
import {fileURLToPath} from 'node:url'

import {afterEach, describe, expect, it} from 'vitest'

import {collectorRoot} from '../cert/tree.js'
import {cli} from '../cli/run-cli.js'
import {removeTree} from '../helpers/tree.js'
import {applyPlan, planChanges, WriteError} from '../../src/render/writer.js'

/**
 * A user who owns ~/.pcp swaps it for a symlink to a root-owned directory outside the root
 * (renameat2 RENAME_EXCHANGE in a loop) while root writes into it. Every write must land in the
 * user's real directory or be refused: never through the symlink.
 */

const swapLoop = fileURLToPath(new URL('../helpers/swap-loop.py', import.meta.url))
const ALICE = 1000
const SWAP_SECONDS = 4

const cleanup: (() => void)[] = []
afterEach(() => {
  for (const step of cleanup.splice(0).reverse()) step()
})

/** A root-owned directory outside every test root: where an escaped write would land. */
function outsideDir(): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'pcp-harden-outside-'))
  cleanup.push(() => rmSync(dir, {recursive: true, force: true}))
  return dir
}

/** Every entry below a directory, as paths relative to it. */
function everything(dir: string): string[] {
  return readdirSync(dir, {recursive: true}).map(String).sort()
}

interface Swapper {
  /** Stops the loop (it leaves the real directory in place) and says how many exchanges it made. */
  stop(): Promise<number>
}

/** A collector root that alice can walk down to her home (mkdtemp makes it 0700). */
async function aliceRoot(): Promise<string> {
  const root = await collectorRoot()
  cleanup.push(() => void removeTree(root))
  chmodSync(root, 0o755)
  return root
}

/** Start the exchange loop as `uid` between `real` (a directory) and `decoy` (a symlink), once it is ready. */
async function startSwapping(uid: number, real: string, decoy: string, seconds: number): Promise<Swapper> {
  const child = spawn('python3', [swapLoop, String(uid), real, decoy, String(seconds)], {
    stdio: ['pipe', 'pipe', 'inherit'],
  })
  cleanup.push(() => child.exitCode === null && child.kill('SIGKILL'))
  const lines = createInterface({input: child.stdout})[Symbol.asyncIterator]()
  const ready = await lines.next()
  expect(ready.value).toBe('ready')
  return {
    async stop() {
      child.stdin.end()
      const count = await lines.next()
      return Number(count.value)
    },
  }
}

/** Run `attempt` again and again until `seconds` have passed; counts its outcomes. */
async function repeat(
  seconds: number,
  attempt: () => Promise<'written' | 'refused'>,
): Promise<Record<string, number>> {
  const counts: Record<string, number> = {written: 0, refused: 0}
  const end = Date.now() + seconds * 1000
  while (Date.now() < end) counts[await attempt()]! += 1
  return counts
}

describe('writers racing a user who swaps their directory for a symlink', {timeout: 60_000}, () => {
  it('the shared writer never writes through the swapped-in symlink', async () => {
    const outside = outsideDir()
    const root = await aliceRoot()
    const home = path.join(root, 'home/alice')
    mkdirSync(path.join(home, '.pcp'))
    chownSync(path.join(home, '.pcp'), ALICE, ALICE)
    symlinkSync(outside, path.join(home, '.pcp-decoy'))
    const files = ['tls.conf', 'client.key'].map((name) => ({
      path: `/home/alice/.pcp/${name}`,
      mode: 0o600,
      owner: ALICE,
      group: ALICE,
      secret: name.endsWith('.key'),
    }))
    const swapper = await startSwapping(ALICE, path.join(home, '.pcp'), path.join(home, '.pcp-decoy'), 30)
    let round = 0
    const counts = await repeat(SWAP_SECONDS, async () => {
      round += 1
      try {
        const plan = await planChanges(
          root,
          files.map((file) => ({...file, content: `round ${round}\n`})),
        )
        await applyPlan(root, plan)
        return 'written'
      } catch (error) {
        expect(error).toBeInstanceOf(WriteError)
        expect((error as Error).message).not.toMatch(/\n/)
        return 'refused'
      }
    })
    const swaps = await swapper.stop()
    expect(everything(outside)).toEqual([])
    expect(swaps).toBeGreaterThan(1000)
    expect(counts.written! + counts.refused!).toBeGreaterThan(50)
  })

  /** Each writer with what it needs under the root, and the directory alice swaps (she owns its parent). */
  const commands: {name: string; argv: string[]; swapped: string; setup: (root: string) => Promise<void>}[] =
    [
      {
        name: 'tls write --monitor --user alice',
        argv: ['tls', 'write', '--monitor', '--user', 'alice'],
        swapped: '/home/alice/.pcp',
        setup: async (root) => {
          expect(
            (await cli(['cert', 'issue', '--root', root, '--ca-dir', '/root/pcp-ca', '--user', 'alice']))
              .code,
          ).toBe(0)
        },
      },
      {
        name: 'cert issue --user alice',
        argv: ['cert', 'issue', '--user', 'alice', '--ca-dir', '/root/pcp-ca', '--force'],
        swapped: '/home/alice/.pcp',
        setup: async () => undefined,
      },
      {
        name: 'access write --file in a directory alice owns',
        argv: ['access', 'write', '--file', '/home/alice/.pcp/pmcd.conf', '--allow-fetch', '10.1.2.0/24'],
        swapped: '/home/alice/.pcp',
        setup: async (root) => {
          writeFileSync(path.join(root, 'home/alice/.pcp/pmcd.conf'), '[access]\nallow "local:*" : all;\n')
        },
      },
      {
        name: 'unit write (a units directory whose parent alice owns)',
        argv: ['unit', 'write'],
        swapped: '/etc/systemd/system',
        setup: async (root) => {
          mkdirSync(path.join(root, 'etc/systemd/system'), {recursive: true})
          chownSync(path.join(root, 'etc/systemd'), ALICE, ALICE)
        },
      },
    ]

  for (const command of commands) {
    it(`${command.name} never writes through the swapped-in symlink`, async () => {
      const outside = outsideDir()
      const root = await aliceRoot()
      const init = await cli(['cert', 'init', '--root', root, '--ca-dir', '/root/pcp-ca'])
      expect(init.code, init.stderr).toBe(0)
      const home = path.join(root, 'home/alice')
      mkdirSync(path.join(home, '.pcp/tls'), {recursive: true, mode: 0o700})
      chownSync(path.join(home, '.pcp'), ALICE, ALICE)
      chownSync(path.join(home, '.pcp/tls'), ALICE, ALICE)
      await command.setup(root)
      const swapped = path.join(root, command.swapped)
      symlinkSync(outside, `${swapped}-decoy`)
      const swapper = await startSwapping(ALICE, swapped, `${swapped}-decoy`, 30)
      const counts = await repeat(SWAP_SECONDS, async () => {
        const run = await cli([...command.argv, '--root', root])
        if (run.code === 0) return 'written'
        // Refused in one line, never a stack trace. (The writer says the directory is a symlink or
        // changed; access write's reader, which resolves links inside the root, may fail first.)
        expect(run.stderr).toMatch(/^pcp-harden: error: [^\n]+\n$/)
        return 'refused'
      })
      const swaps = await swapper.stop()
      expect(everything(outside)).toEqual([])
      expect(swaps).toBeGreaterThan(1000)
      expect(counts.written! + counts.refused!).toBeGreaterThan(0)
    })
  }
})
