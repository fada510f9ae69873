// Build step: the bundled sample host (sample/host.yaml) as JSON beside the bundle
// (dist/sample-host.json), so that `verify --sample` does not load and run the YAML parser.
// src/engine/sample.ts checks it entry by entry as it does the YAML.
import {readFileSync, writeFileSync} from 'node:fs'

import {parse} from 'yaml'

const data = parse(readFileSync(new URL('../sample/host.yaml', import.meta.url), 'utf8'))
writeFileSync(new URL('../dist/sample-host.json', import.meta.url), JSON.stringify(data))
console.log('wrote dist/sample-host.json')
