#!/usr/bin/env node
// authorized_keys analysis growth: the time to judge 10,000 lines against 1,000 lines, for four
// shapes of file (one key from many sources, copies of one line, distinct keys, and lines all
// shadowed by an unrestricted first line). Linear is about 10; quadratic would be 100 (target: at
// most 30, room for a shared machine). The fastest of three runs of each size, in one run.
// Run: `node --import tsx bench/keys-growth.js` (it calls the TypeScript sources).
import {keysFileFindings, proxyKeysFromText} from '../src/checks/keys/analysis.ts'
import {DOC_FORM, INSTALLER_FORM, PROXY_KEY, randomKey} from '../test/checks/pulse/keys.ts'

const PROXY_KEYS = proxyKeysFromText([{file: 'id_ed25519.pub', text: `${PROXY_KEY} pulse-sensor-proxy\n`}])

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
