import {InputError} from '../engine/errors.js'
import type {AccountDb} from '../host/accounts.js'
import {applyPlan, formatPlan, planChanges, type PlannedChange} from '../render/writer.js'
import {applyDirectories, type DirChange, type DirSpec, formatDirectories, planDirectories} from './dirs.js'

/** One file `cert init` or `cert issue` writes: a key (secret) or a certificate. */
export interface PkiFile {
  /** Host path. */
  path: string
  mode: number
  owner: number
  group: number
  /** A private key: never shown, never on disk with bits its final mode lacks. */
  secret: boolean
}

/** The directories and files of a run, as wanted. */
export interface PkiLayout {
  dirs: DirSpec[]
  files: PkiFile[]
}

export interface PkiPlan {
  dirs: DirChange[]
  files: PlannedChange[]
}

/**
 * Compare the layout with the disk under `root`. Without `contents` (a dry run, or the check before
 * keys are generated) each file is planned empty: the plan then says which files exist, not how
 * their content changes.
 */
export async function planPki(
  root: string,
  layout: PkiLayout,
  contents?: ReadonlyMap<string, string>,
): Promise<PkiPlan> {
  const dirs = await planDirectories(root, layout.dirs)
  const files = await planChanges(
    root,
    layout.files.map((f) => ({...f, content: contents?.get(f.path) ?? ''})),
  )
  return {dirs, files}
}

/** Refuse (InputError naming them) to replace files that exist, unless forced. */
export function refuseExisting(plan: PkiPlan, force: boolean): void {
  const existing = plan.files.filter((f) => f.action !== 'create').map((f) => f.path)
  if (existing.length > 0 && !force)
    throw new InputError(
      `${existing.join(', ')} ${existing.length === 1 ? 'exists' : 'exist'}: give --force to replace ` +
        'them (the old files are kept as FILE.pcp-harden.bak)',
    )
}

/**
 * The plan as lines: directories, then files as the shared writer describes them, without
 * content: keys are secret, and a certificate is shown by its subject and dates instead.
 */
export function formatPkiPlan(plan: PkiPlan, accounts: AccountDb): string {
  const files = plan.files.map((f) => ({...f, newDirs: [], diff: ''}))
  return [...formatDirectories(plan.dirs, accounts), formatPlan(files, accounts)].join('\n')
}

/** Create the directories, then write every file atomically with the shared writer. */
export async function applyPki(root: string, plan: PkiPlan): Promise<void> {
  await applyDirectories(root, plan.dirs)
  await applyPlan(root, plan.files)
}
