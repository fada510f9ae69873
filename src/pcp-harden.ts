/**
 * The CLI's single entry module: oclif finds the commands here (explicit strategy), and the
 * build bundles this file with its dependencies into dist/pcp-harden.cjs, so that a run loads
 * one file instead of several hundred (start-up time: see bench/startup.js).
 */
import AccessLint from './commands/access/lint.js'
import AccessWrite from './commands/access/write.js'
import CertCheck from './commands/cert/check.js'
import CertInit from './commands/cert/init.js'
import CertIssue from './commands/cert/issue.js'
import ChecksExplain from './commands/checks/explain.js'
import ChecksList from './commands/checks/list.js'
import HelpCommand from './commands/help.js'
import Decommission from './commands/decommission.js'
import TlsWrite from './commands/tls/write.js'
import UnitLint from './commands/unit/lint.js'
import UnitWrite from './commands/unit/write.js'
import KeysLint from './commands/keys/lint.js'
import LxcLint from './commands/lxc/lint.js'
import Logs from './commands/logs.js'
import Probe from './commands/probe.js'
import RotateKeys from './commands/rotate-keys.js'
import Verify from './commands/verify.js'
import VersionCommand from './commands/version.js'

export {Errors, flush, run, settings} from '@oclif/core'
export {escapeControl} from './report/escape.js'

export const COMMANDS = {
  'access:lint': AccessLint,
  'access:write': AccessWrite,
  'cert:check': CertCheck,
  'cert:init': CertInit,
  'cert:issue': CertIssue,
  'checks:explain': ChecksExplain,
  'checks:list': ChecksList,
  help: HelpCommand,
  decommission: Decommission,
  'keys:lint': KeysLint,
  'lxc:lint': LxcLint,
  logs: Logs,
  probe: Probe,
  'rotate-keys': RotateKeys,
  'tls:write': TlsWrite,
  'unit:lint': UnitLint,
  'unit:write': UnitWrite,
  verify: Verify,
  version: VersionCommand,
}
