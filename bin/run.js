#!/usr/bin/env node
import {existsSync} from 'node:fs'

import {BUNDLE, loadBundle, main} from './main.js'

if (existsSync(BUNDLE)) {
  await main(loadBundle().cli)
} else {
  process.stderr.write('pcp-harden is not built: run npm run build\n')
  process.exitCode = 3
}
