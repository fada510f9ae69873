#!/usr/bin/env node
import {main} from './main.js'

await main(await import('../dist/pcp-harden.js'), {dir: import.meta.url})
