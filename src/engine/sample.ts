import {readFile} from 'node:fs/promises'

import {Host} from '../host/host.js'
import {MemoryBackend, parseTreeSpec} from '../host/tree.js'

/** The bundled sample host's description, shipped in the package. */
export const SAMPLE_SPEC_URL = new URL('../../sample/host.yaml', import.meta.url)

export const SAMPLE_LABEL = '<sample>'

/** The sample host: a small Proxmox node with PCP and the Pulse proxy, built in memory from its description. */
export async function sampleHost(now = Date.now()): Promise<Host> {
  const text = await readFile(SAMPLE_SPEC_URL, 'utf8')
  return new Host(new MemoryBackend(parseTreeSpec(text, 'sample/host.yaml'), SAMPLE_LABEL, now))
}
