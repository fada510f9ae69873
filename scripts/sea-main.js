// The standalone executable's entry (Node's single-executable applications, built by
// scripts/deb.js). The bundle and its V8 code cache are assets inside the executable; the files
// oclif and the checks read (package.json, the manifest, templates, sample, schema) are in
// ../share/pcp-harden beside it: /usr/share/pcp-harden for /usr/bin/pcp-harden.
import {Buffer} from 'node:buffer'
import path from 'node:path'
import {getAsset} from 'node:sea'

import {loadBundle, main} from '../bin/main.js'

const root = path.join(path.dirname(process.execPath), '..', 'share', 'pcp-harden')
const {cli} = loadBundle({
  // oclif requires the entry module named in package.json: this name, registered as already loaded.
  filename: path.join(root, 'dist', 'pcp-harden.cjs'),
  source: getAsset('pcp-harden.cjs', 'utf8'),
  cachedData: Buffer.from(getAsset('pcp-harden.cjs.cache')),
})
void main(cli, root)
