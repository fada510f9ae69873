#!/usr/bin/env node
// Runs the TypeScript sources directly (no build): the commands oclif finds are these modules.
import {register} from 'tsx/esm/api'

import {main, registerEntry} from './main.js'

register()
const cli = await import('../src/pcp-harden.ts')
cli.settings.enableAutoTranspile = false
registerEntry(cli)
await main(cli)
