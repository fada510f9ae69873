/**
 * Runs decommission through the library, stopping after each step, for the SIGKILL tests of
 * decommission.e2e.test.ts:  node --import tsx test/decommission/kill-harness.ts SPEC.json
 * After each step it prints `step: NAME` and blocks in a synchronous read of stdin: one byte
 * continues, end of input exits with status 2. `done CODE` ends it.
 */
import {readFileSync, writeSync} from 'node:fs'

import {decommission} from '../../src/decommission/decommission.js'
import {Host} from '../../src/host/host.js'
import {DiskBackend} from '../../src/host/backend.js'
import {parseNodeList} from '../../src/rotate/nodes.js'
import {silentProgress} from '../../src/rotate/progress.js'
import {waitForParent} from '../helpers/wait-for-parent.js'

const specPath = process.argv[2]
if (specPath === undefined) throw new Error('usage: kill-harness.ts SPEC.json')
const spec = JSON.parse(readFileSync(specPath, 'utf8')) as {
  root: string
  nodes: string[]
  identity: string
  knownHosts: string
  purge: boolean
}

const report = await decommission({
  root: spec.root,
  host: new Host(new DiskBackend(spec.root)),
  nodes: parseNodeList(spec.nodes),
  ssh: {identity: spec.identity, knownHosts: spec.knownHosts, options: [], connectTimeout: 5},
  authorizedKeys: '/root/.ssh/authorized_keys',
  timeoutMs: 20_000,
  purge: spec.purge,
  emergency: false,
  progress: silentProgress(8),
  live: false,
  afterStep: (step) => {
    writeSync(1, `step: ${step}\n`)
    waitForParent()
  },
})
writeSync(1, `done ${report.exitCode}\n`)
