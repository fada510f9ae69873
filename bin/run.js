#!/usr/bin/env node
import {loadBundle, main} from './main.js'

await main(loadBundle().cli)
