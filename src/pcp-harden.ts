/**
 * The CLI's single entry module: oclif finds the commands here (explicit strategy), and the
 * build bundles this file with its dependencies into dist/pcp-harden.cjs, so that a run loads
 * one file instead of several hundred (start-up time: see bench/startup.js).
 */
import AccessLint from './commands/access/lint.js'
import AccessWrite from './commands/access/write.js'
import ChecksExplain from './commands/checks/explain.js'
import ChecksList from './commands/checks/list.js'
import Verify from './commands/verify.js'

export {Errors, flush, run, settings} from '@oclif/core'

export const COMMANDS = {
  'access:lint': AccessLint,
  'access:write': AccessWrite,
  'checks:explain': ChecksExplain,
  'checks:list': ChecksList,
  verify: Verify,
}
