import {execFile} from 'node:child_process'
import {existsSync, mkdtempSync} from 'node:fs'
import {tmpdir} from 'node:os'
import path from 'node:path'
import {promisify} from 'node:util'

import {REPO} from './run-cli.js'

export const run = promisify(execFile)

/**
 * `npm pack` of the built checkout (`npm test` builds first; prepack would build again, so the
 * scripts are skipped) into a new temporary directory. Returns the tarball's path and its directory.
 */
export async function pack(): Promise<{dir: string; tarball: string}> {
  if (!existsSync(path.join(REPO, 'dist/pcp-harden.cjs')))
    throw new Error('not built: run npm run build first')
  const dir = mkdtempSync(path.join(tmpdir(), 'pcp-harden-pack-'))
  const {stdout} = await run('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', dir], {
    cwd: REPO,
    timeout: 60_000,
  })
  const [{filename}] = JSON.parse(stdout) as [{filename: string}]
  return {dir, tarball: path.join(dir, filename)}
}

/** The files in a tarball, as npm lays them out (package/...), sorted. */
export async function tarFiles(tarball: string): Promise<string[]> {
  const {stdout} = await run('tar', ['-tzf', tarball])
  return stdout
    .split('\n')
    .filter((line) => line !== '' && !line.endsWith('/'))
    .sort()
}
