/**
 * Runs a rotation through the library one step at a time, for the SIGKILL tests of
 * rotate-keys.e2e.test.ts:  node --import tsx test/rotate/kill-harness.ts SPEC.json
 * After each step (preflight, stage, push and verify, swap, retire) it prints `step: TITLE` and blocks
 * in a synchronous read of stdin: one byte continues, end of input exits with status 2. `done` ends it.
 */
import {readFileSync, writeSync} from 'node:fs'

import {KeyStore} from '../../src/rotate/keystore.js'
import {parseNodeList} from '../../src/rotate/nodes.js'
import {type Progress, silentProgress} from '../../src/rotate/progress.js'
import {rotateKeys} from '../../src/rotate/rotate.js'
import {waitForParent} from '../helpers/wait-for-parent.js'

const specPath = process.argv[2]
if (specPath === undefined) throw new Error('usage: kill-harness.ts SPEC.json')
const spec = JSON.parse(readFileSync(specPath, 'utf8')) as {
  root: string
  nodes: string[]
  identity: string
  knownHosts: string
  forcedCommand: string
  from: string[]
}

const inner = silentProgress(8)
const pause = (title: string) => {
  writeSync(1, `step: ${title}\n`)
  waitForParent()
}
const progress: Progress = {
  step: async (title, run) => {
    const result = await run()
    pause(title)
    return result
  },
  nodes: async (title, nodes, run) => {
    const outcomes = await inner.nodes(title, nodes, run)
    pause(title)
    return outcomes
  },
  skipped: async (title) => pause(title),
}

const report = await rotateKeys({
  store: new KeyStore(spec.root, '/var/lib/pulse-sensor-proxy'),
  nodes: parseNodeList(spec.nodes),
  ssh: {identity: spec.identity, knownHosts: spec.knownHosts, options: [], connectTimeout: 5},
  authorizedKeys: '/root/.ssh/authorized_keys',
  forcedCommand: spec.forcedCommand,
  from: {subnets: spec.from, source: 'flag'},
  timeoutMs: 20_000,
  keepOld: false,
  progress,
})
writeSync(1, `done ${report.exitCode}\n`)
