#!/usr/bin/env -S node --import tsx
import {main} from './main.js'

await main(await import('../src/pcp-harden.ts'), {development: true, dir: import.meta.url})
