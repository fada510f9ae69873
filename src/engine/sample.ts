import {existsSync} from 'node:fs'
import {readFile} from 'node:fs/promises'
import path from 'node:path'
import {fileURLToPath} from 'node:url'

import {Host} from '../host/host.js'
import {MemoryBackend, parseTreeSpec, treeSpecFromData} from '../host/tree.js'

export const SAMPLE_LABEL = '<sample>'

/**
 * The bundled sample host's description, shipped in the package's sample/ folder. Looked up
 * from this module's place, which is dist/ when bundled and src/engine/ or dist/engine/ otherwise.
 */
export function sampleSpecPath(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url))
  for (let depth = 0; depth < 4; depth++) {
    const candidate = path.join(dir, 'sample', 'host.yaml')
    if (existsSync(candidate)) return candidate
    dir = path.dirname(dir)
  }
  throw new Error('the bundled sample host (sample/host.yaml) is missing from this installation')
}

/**
 * The sample host: a Proxmox node with PCP and the Pulse proxy, built in memory from its description.
 * The build turns sample/host.yaml into dist/sample-host.json (scripts/sample-json.js) so that a
 * run of the bundle skips the YAML parser; from the sources, the YAML is read.
 */
export async function sampleHost(now = Date.now()): Promise<Host> {
  const prebuilt = path.join(path.dirname(fileURLToPath(import.meta.url)), SAMPLE_JSON)
  const spec = existsSync(prebuilt)
    ? treeSpecFromData(JSON.parse(await readFile(prebuilt, 'utf8')), 'sample/host.yaml')
    : parseTreeSpec(await readFile(sampleSpecPath(), 'utf8'), 'sample/host.yaml')
  return new Host(new MemoryBackend(spec, SAMPLE_LABEL, now))
}

/** The name of the build's JSON copy of the sample, beside the bundle in dist/. */
export const SAMPLE_JSON = 'sample-host.json'
