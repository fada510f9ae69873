#!/usr/bin/env node
// authorized_keys analysis growth: the time to judge 10,000 lines against 1,000 lines, for four
// shapes of file (one key from many sources, copies of one line, distinct keys, and lines all
// shadowed by an unrestricted first line). Linear is about 10; quadratic would be 100 (target: at
// most 30, room for a shared machine). The fastest of three runs of each size, in one run.
// Run: `node --import tsx bench/keys-growth.js` (it calls the TypeScript sources).
import {Buffer} from 'node:buffer'
import {randomBytes} from 'node:crypto'

import {keysFileFindings, proxyKeysFromText} from '../src/checks/keys/analysis.ts'
import {DOC_FORM, INSTALLER_FORM, PROXY_KEY} from '../test/checks/pulse/keys.ts'

const PROXY_KEYS = proxyKeysFromText([{file: 'id_ed25519.pub', text: `${PROXY_KEY} pulse-sensor-proxy\n`}])

/** An ed25519 public key line with random key material. */
function randomKey(comment) {
  const name = Buffer.from('ssh-ed25519')
  const blob = Buffer.alloc(4 + name.length + 4 + 32)
  blob.writeUInt32BE(name.length, 0)
  name.copy(blob, 4)
  blob.writeUInt32BE(32, 4 + name.length)
  randomBytes(32).copy(blob, 8 + name.length)
  return `ssh-ed25519 ${blob.toString('base64')} ${comment}`
}

const sources = (n) =>
  Array.from({length: n}, (_, i) => DOC_FORM.replace(/from="[^"]*"/, `from="10.0.${i >> 8}.${i & 255}"`))
const shapes = {
  'one key from many sources': sources,
  'copies of one line': (n) => Array.from({length: n}, () => DOC_FORM),
  'distinct keys': (n) => Array.from({length: n}, (_, i) => randomKey(`user${i}`)),
  'shadowed by an unrestricted first line': (n) => [INSTALLER_FORM, ...sources(n - 1)],
}

function timeOf(text) {
  let best = Infinity
  for (let run = 0; run < 3; run++) {
    const start = process.hrtime.bigint()
    keysFileFindings(text, '/root/.ssh/authorized_keys', {user: 'root', proxyKeys: PROXY_KEYS})
    best = Math.min(best, Number(process.hrtime.bigint() - start) / 1e6)
  }
  return best
}

for (const [name, lines] of Object.entries(shapes)) {
  const small = timeOf(lines(1000).join('\n'))
  const large = timeOf(lines(10_000).join('\n'))
  console.log(
    `${name}: 1,000 lines ${small.toFixed(1)} ms, 10,000 lines ${large.toFixed(1)} ms, ratio ${(large / small).toFixed(1)} (linear about 10; target <= 30)`,
  )
}
