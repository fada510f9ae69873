#!/usr/bin/env node
// Build step: bundle tsc's output (dist/pcp-harden.js) and its dependencies into one CommonJS file,
// dist/pcp-harden.cjs, which bin/main.js loads with its V8 code cache.
//
// One dependency edit is made on the way, exactly: the build fails if its text is no longer there
// (after an upgrade), so it is never silently lost.
import {readFile, writeFile} from 'node:fs/promises'

import {build} from 'esbuild'

const EDITS = [
  {
    // oclif sorts a plugin's commands with localeCompare on every run. Its first call loads ICU's
    // collator, about 13 ms, a twentieth of `verify --sample`. Our command ids are lowercase ASCII
    // words with ':' and '-', which sort the same by code point (test/manifest.test.ts checks it).
    file: /[\\/]@oclif[\\/]core[\\/]lib[\\/]config[\\/]plugin\.js$/,
    from: '.sort((a, b) => a.id.localeCompare(b.id));',
    to: '.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));',
  },
  {
    // On import, oclif checks the Node version against package.json's engines with semver: reading,
    // parsing and the semver library cost about 8 ms of every run. bin/main.js makes the same check
    // (a warning, as oclif's) with a plain comparison, since our engines field is one `>=` version.
    file: /[\\/]@oclif[\\/]core[\\/]lib[\\/]index\.js$/,
    from: '\ncheckNodeVersion();\n',
    to: '\n',
  },
]

const applied = new Set()

/** @type {import('esbuild').Plugin} */
const dependencyEdits = {
  name: 'dependency-edits',
  setup(bundle) {
    for (const edit of EDITS)
      bundle.onLoad({filter: edit.file}, async ({path}) => {
        const source = await readFile(path, 'utf8')
        const count = source.split(edit.from).length - 1
        if (count !== 1) throw new Error(`${path}: expected "${edit.from}" once, found it ${count} times`)
        applied.add(edit)
        return {contents: source.replace(edit.from, edit.to), loader: 'js'}
      })
    bundle.onEnd(() => {
      const missed = EDITS.filter((edit) => !applied.has(edit))
      if (missed.length > 0)
        throw new Error(`dependency edits not applied: ${missed.map((e) => e.file).join(', ')}`)
    })
  },
}

await build({
  entryPoints: ['dist/pcp-harden.js'],
  outfile: 'dist/pcp-harden.cjs',
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  minify: true,
  legalComments: 'none',
  external: ['typescript'],
  define: {'import.meta.url': '__importMetaUrl'},
  banner: {js: "const __importMetaUrl = require('node:url').pathToFileURL(__filename).href;"},
  logLevel: 'warning',
  plugins: [dependencyEdits],
})

// esbuild writes strings, templates and identifiers in ASCII, but leaves a regular expression's
// characters as they are (ansis has a raw U+009B in one). One such character makes V8 hold the
// whole 1.7 MB source as a two-byte string: decoding it on every run costs several times as much as
// an ASCII file's. Inside a regular expression, \uXXXX stands for the same UTF-16 unit.
const bundle = await readFile('dist/pcp-harden.cjs', 'utf8')
await writeFile(
  'dist/pcp-harden.cjs',
  bundle.replace(/[^\0-\x7f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`),
)
