// Build step: run the bundled CLI once (`verify --sample`) and save V8's code cache for the
// bundle beside it (dist/pcp-harden.cjs.cache). bin/main.js only ever reads it. The bundle is loaded
// through loadBundle, which sets the CLI's V8 flags first: V8 takes a cache only under the flags it
// was made with.
import {writeFileSync} from 'node:fs'

import {CODE_CACHE, loadBundle, main} from '../bin/main.js'

const {cli, script} = loadBundle()
const write = process.stdout.write
process.stdout.write = () => true
process.argv = [process.argv[0], 'pcp-harden', 'verify', '--sample', '--format', 'json']
try {
  await main(cli)
} finally {
  process.stdout.write = write
}
process.exitCode = 0
writeFileSync(CODE_CACHE, script.createCachedData())
console.log(`wrote ${CODE_CACHE}`)
