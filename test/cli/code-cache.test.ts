import {execFileSync} from 'node:child_process'
import path from 'node:path'

import {describe, expect, it} from 'vitest'

const repo = path.resolve(import.meta.dirname, '../..')

/**
 * Load the built bundle as bin/run.js does, in a Node of its own (loadBundle sets V8 flags, which
 * must not leak into the test runner), and report what V8 made of it.
 */
function loadInChild(): {rejected: boolean; grewYoung: boolean} {
  const script = `
    import v8 from 'node:v8'
    import {loadBundle} from ${JSON.stringify(path.join(repo, 'bin/main.js'))}
    const young = () => v8.getHeapSpaceStatistics().find((s) => s.space_name === 'new_space').space_size
    const {script} = loadBundle()
    const before = young()
    // Objects that survive scavenges: what makes V8 grow a young generation left to itself.
    const kept = []
    for (let i = 0; i < 1_000_000; i++) {
      const o = {i, s: 'x' + i}
      if (i % 10 === 0) kept.push(o)
    }
    console.log(JSON.stringify({rejected: script.cachedDataRejected, grewYoung: young() > before, kept: kept.length}))
  `
  const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], {
    encoding: 'utf8',
    timeout: 30_000,
  })
  return JSON.parse(out) as {rejected: boolean; grewYoung: boolean}
}

describe('the bundle is loaded with its code cache and its V8 flags', () => {
  const loaded = loadInChild()

  it("V8 takes the build's code cache (made under the same flags as the CLI runs with)", () => {
    expect(loaded.rejected).toBe(false)
  })

  it('the young generation keeps its size however many objects survive (--semi-space-growth-factor=1)', () => {
    expect(loaded.grewYoung).toBe(false)
  })
})
