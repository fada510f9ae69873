#!/usr/bin/env -S node --import tsx
import {main} from './main.js'

await main({development: true, dir: import.meta.url})
