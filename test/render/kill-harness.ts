/**
 * Applies a plan one step at a time, for the killed-writer tests of writer.test.ts:
 *   node --import tsx test/render/kill-harness.ts SPEC.json
 * SPEC.json is `{"root": "...", "changes": [FileChange with string content], "dirs": [DirChange]}`
 * (`dirs` optional). After each step
 * the harness prints the step's name on a line and blocks in a synchronous read of stdin: one byte
 * from the parent continues, end of input (the parent is gone) exits with status 2. `done` ends it.
 */
import {readFileSync, writeSync} from 'node:fs'

import {applyPlan, type DirChange, type FileChange, planChanges} from '../../src/render/writer.js'
import {waitForParent} from '../helpers/wait-for-parent.js'

const specPath = process.argv[2]
if (specPath === undefined) throw new Error('usage: kill-harness.ts SPEC.json')
const spec = JSON.parse(readFileSync(specPath, 'utf8')) as {
  root: string
  changes: FileChange[]
  dirs?: DirChange[]
}
const plan = await planChanges(spec.root, spec.changes, spec.dirs ?? [])
await applyPlan(spec.root, plan, {
  onStep: (step) => {
    writeSync(1, `${step}\n`)
    waitForParent()
  },
})
writeSync(1, 'done\n')
