import type {TreeEntry} from '../../../src/host/tree.js'

/** One failing result a break must cause: the check, the host path, its line (when it has one), and a message pattern. */
export interface ExpectedFailure {
  check: string
  path: string
  line?: number
  message?: RegExp
}

/**
 * One way to break the seed tree: entries removed (with whatever lies below them), then entries
 * changed or added, and exactly the failures `verify` must then report (nothing missing, nothing extra).
 */
export interface PulseBreak {
  name: string
  without?: string[]
  with?: (Partial<TreeEntry> & {path: string})[]
  fails: ExpectedFailure[]
}
