import {readFileSync} from 'node:fs'
import path from 'node:path'
import {fileURLToPath} from 'node:url'

import {expect, it} from 'vitest'

const SRC = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../src')

/**
 * The modules a source file loads before its code runs: its static imports and re-exports,
 * followed through our sources (`import type` is erased; `import()` is lazy and not followed).
 */
function staticGraph(entry: string): Set<string> {
  const seen = new Set<string>()
  const visit = (file: string) => {
    if (seen.has(file)) return
    seen.add(file)
    const text = readFileSync(path.join(SRC, file), 'utf8')
    for (const [, kind, spec] of text.matchAll(/^(import|export)\b(?!\s+type\b)[^;'"]*?from '([^']+)'/gms))
      if (kind && spec?.startsWith('.'))
        visit(
          path.relative(SRC, path.resolve(path.dirname(path.join(SRC, file)), spec)).replace(/\.js$/, '.ts'),
        )
  }
  visit(entry)
  return seen
}

it('a local verify does not load the fleet audit, the SSH backend or the node sessions', () => {
  const loaded = staticGraph('commands/verify.ts')
  expect(loaded).toContain('fleet/flags.ts')
  expect(loaded).toContain('host/remote-programs.ts')
  const fleet = [...loaded].filter((f) =>
    /^(fleet\/(audit|nodes)|host\/(ssh-backend|pipeline-session)|rotate\/.*)\.ts$/.test(f),
  )
  expect(fleet).toEqual([])
})
