import {InputError} from '../engine/errors.js'
import type {AccountDb} from '../host/accounts.js'
import {
  type DirChange,
  formatPlan,
  planChanges,
  type PlannedChange,
  type PlannedEntry,
} from '../render/writer.js'

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

/**
 * The directories and files of a run, as wanted. The directories have an exact mode and owner
 * (pmcd, as pcp, must enter /etc/pcp/tls, 0750 root:pcp; a monitor owns its ~/.pcp/tls), which the
 * shared writer gives them; parents they need are made 0755 root:root.
 */
export interface PkiLayout {
  dirs: DirChange[]
  files: PkiFile[]
}

/** The shared writer's plan: the directories, then the files. */
export type PkiPlan = PlannedEntry[]

/** The files of a plan. */
export function plannedFiles(plan: PkiPlan): PlannedChange[] {
  return plan.filter((entry) => entry.kind === 'file')
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
  const files = layout.files.map((f) => ({...f, content: contents?.get(f.path) ?? ''}))
  return planChanges(root, files, layout.dirs)
}

/** Refuse (InputError naming them) to replace files that exist, unless forced. */
export function refuseExisting(plan: PkiPlan, force: boolean): void {
  const existing = plannedFiles(plan)
    .filter((f) => f.action !== 'create')
    .map((f) => f.path)
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
  return formatPlan(
    plan.map((entry) => (entry.kind === 'file' ? {...entry, diff: ''} : entry)),
    accounts,
  )
}
