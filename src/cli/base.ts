import {stat} from 'node:fs/promises'
import path from 'node:path'

import {Command, Flags, type Interfaces} from '@oclif/core'

import {InputError} from '../engine/errors.js'
import {DiskBackend} from '../host/backend.js'
import {Host} from '../host/host.js'
import {refuseControlCharacters} from '../render/values.js'

export type CommandFlags<T extends typeof Command> = Interfaces.InferredFlags<
  (typeof BaseCommand)['baseFlags'] & T['flags']
>

/** Shared flags: every command audits or writes the machine under --root. */
export const rootFlag = Flags.string({
  description: 'The machine to audit or write: its root directory (an offline image, a test tree)',
  default: '/',
  helpGroup: 'GLOBAL',
})

/** Shared by every writing command: print the plan and a unified diff, change nothing. */
export const dryRunFlag = Flags.boolean({
  description: 'Print the plan and a unified diff of every file, and change nothing',
  default: false,
})

/**
 * What every command shares: --root, the host view under it, and bad input as a one-line error
 * with exit 3 (UNKNOWN) — which bin/run.js prints; commands just throw InputError.
 */
export abstract class BaseCommand<T extends typeof Command> extends Command {
  static override baseFlags = {root: rootFlag}

  protected flags!: CommandFlags<T>

  public override async init(): Promise<void> {
    await super.init()
    const {flags, argv} = await this.parse({
      flags: this.ctor.flags,
      baseFlags: (this.ctor as typeof BaseCommand).baseFlags,
      args: this.ctor.args,
      strict: this.ctor.strict,
    })
    // A writing command (it has --dry-run) puts its values into files: none may hold a control character.
    if ('dry-run' in (this.ctor.flags ?? {})) refuseControlCharacters(flags, argv)
    this.flags = flags as CommandFlags<T>
  }

  /** The host view of --root; an unusable root is bad input. */
  protected async diskHost(root = this.flags.root): Promise<Host> {
    // path.resolve('') is the current directory: an empty --root (an unset variable) must not audit it.
    if (root.trim() === '')
      throw new InputError('--root is empty: give the root directory (/ for this machine)')
    const dir = path.resolve(root)
    try {
      const st = await stat(dir)
      if (!st.isDirectory()) throw new InputError(`--root ${root}: not a directory`)
    } catch (error) {
      if (error instanceof InputError) throw error
      const code = (error as NodeJS.ErrnoException).code
      const why =
        code === 'ENOENT' ? 'no such directory' : code === 'EACCES' ? 'permission denied' : String(code)
      throw new InputError(`--root ${root}: ${why}`)
    }
    const host = new Host(new DiskBackend(dir))
    const listing = await host.list('/')
    if (!listing.ok)
      throw new InputError(`--root ${root}: cannot read it (${listing.message.replace(/^\/: /, '')})`)
    return host
  }
}
