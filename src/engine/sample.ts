import {existsSync} from 'node:fs'
import {readFile} from 'node:fs/promises'
import path from 'node:path'
import {fileURLToPath} from 'node:url'

import {Host} from '../host/host.js'
import {MemoryBackend, parseTreeSpec} from '../host/tree.js'

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

/** The sample host: a Proxmox node with PCP and the Pulse proxy, built in memory from its description. */
export async function sampleHost(now = Date.now()): Promise<Host> {
  const text = await readFile(sampleSpecPath(), 'utf8')
  return new Host(new MemoryBackend(parseTreeSpec(text, 'sample/host.yaml'), SAMPLE_LABEL, now))
}
