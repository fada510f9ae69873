#!/usr/bin/env node
// `npm run deb` (after `npm run build`): a standalone executable and a Debian package holding it,
// for hosts without Node.js 20 (Debian 12's own nodejs is 18).
//
// 1. The executable: Node's single-executable-application support. A copy of the running `node`
//    with a blob injected (postject) that holds scripts/sea-main.js, bundled to CommonJS, and the
//    bundle dist/pcp-harden.cjs with its V8 code cache as assets (made by this same node, under
//    the V8 flags loadBundle sets in the executable too, so V8 accepts the cache).
// 2. The package (dpkg-deb --build): /usr/bin/pcp-harden, the files the tool reads in
//    /usr/share/pcp-harden, the man page and the bash and zsh completions.
//
// Writes dist/sea/ (work files) and dist/pcp-harden_VERSION_ARCH.deb; prints the .deb's path.
import {execFileSync} from 'node:child_process'
import {
  chmodSync,
  copyFileSync,
  cpSync,
  existsSync,
  mkdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs'
import path from 'node:path'
import {fileURLToPath} from 'node:url'
import {gzipSync} from 'node:zlib'

import {build} from 'esbuild'

const REPO = fileURLToPath(new URL('..', import.meta.url))
const at = (...parts) => path.join(REPO, ...parts)
const BUNDLE = at('dist/pcp-harden.cjs')
const SEA = at('dist/sea')
/** Node's fuse for single-executable applications (doc/api/single-executable-applications.md). */
const FUSE = 'NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2'

for (const file of [BUNDLE, `${BUNDLE}.cache`, at('dist/sample-host.json')])
  if (!existsSync(file)) {
    console.error(`deb: ${path.relative(REPO, file)} is missing: run npm run build first`)
    process.exit(3)
  }

const pkg = JSON.parse(readFileSync(at('package.json'), 'utf8'))
const arch = execFileSync('dpkg', ['--print-architecture'], {encoding: 'utf8'}).trim()

// 1. The executable.
rmSync(SEA, {recursive: true, force: true})
mkdirSync(SEA, {recursive: true})
await build({
  entryPoints: [at('scripts/sea-main.js')],
  outfile: path.join(SEA, 'main.cjs'),
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  // bin/main.js finds its checkout from import.meta.url; the executable passes its own root instead.
  define: {'import.meta.url': '"file:///"'},
  logLevel: 'warning',
})
const config = path.join(SEA, 'sea-config.json')
writeFileSync(
  config,
  JSON.stringify({
    main: path.join(SEA, 'main.cjs'),
    output: path.join(SEA, 'sea-prep.blob'),
    disableExperimentalSEAWarning: true,
    assets: {'pcp-harden.cjs': BUNDLE, 'pcp-harden.cjs.cache': `${BUNDLE}.cache`},
  }),
)
execFileSync(process.execPath, ['--experimental-sea-config', config], {
  stdio: 'pipe',
})
const exe = path.join(SEA, 'pcp-harden')
copyFileSync(process.execPath, exe)
chmodSync(exe, 0o755)
execFileSync(
  process.execPath,
  [
    at('node_modules/postject/dist/cli.js'),
    exe,
    'NODE_SEA_BLOB',
    path.join(SEA, 'sea-prep.blob'),
    '--sentinel-fuse',
    FUSE,
  ],
  // postject warns of ELF note sections it does not name on every Linux node binary: shown only on failure.
  {stdio: 'pipe'},
)

// 2. The package tree.
const tree = path.join(SEA, 'tree')
const share = path.join(tree, 'usr/share/pcp-harden')
mkdirSync(path.join(tree, 'DEBIAN'), {recursive: true})
mkdirSync(path.join(tree, 'usr/bin'), {recursive: true})
mkdirSync(path.join(share, 'dist'), {recursive: true})
copyFileSync(exe, path.join(tree, 'usr/bin/pcp-harden'))
chmodSync(path.join(tree, 'usr/bin/pcp-harden'), 0o755)
for (const file of ['package.json', 'oclif.manifest.json', 'templates', 'sample', 'schema'])
  cpSync(at(file), path.join(share, file), {recursive: true})
copyFileSync(at('dist/sample-host.json'), path.join(share, 'dist/sample-host.json'))
// oclif resolves the entry module on disk before requiring it; the executable has already
// registered the running bundle under this name, so the file is never read.
writeFileSync(
  path.join(share, 'dist/pcp-harden.cjs'),
  '// pcp-harden runs from /usr/bin/pcp-harden, which holds its code; oclif needs this name to exist.\n',
)
const extras = [
  ['man/pcp-harden.1', 'usr/share/man/man1/pcp-harden.1.gz', (text) => gzipSync(text, {level: 9})],
  ['completions/pcp-harden.bash', 'usr/share/bash-completion/completions/pcp-harden'],
  ['completions/_pcp-harden', 'usr/share/zsh/vendor-completions/_pcp-harden'],
]
for (const [from, to, transform = (text) => text] of extras) {
  mkdirSync(path.dirname(path.join(tree, to)), {recursive: true})
  writeFileSync(path.join(tree, to), transform(readFileSync(at(from))))
}
const size = Number(execFileSync('du', ['-sk', '--exclude=DEBIAN', tree], {encoding: 'utf8'}).split('\t')[0])
writeFileSync(
  path.join(tree, 'DEBIAN/control'),
  [
    'Package: pcp-harden',
    `Version: ${pkg.version}`,
    `Architecture: ${arch}`,
    'Maintainer: pcp-harden developers <pcp-harden@localhost>',
    `Installed-Size: ${size}`,
    // What the node binary inside links against (ldd): glibc, libstdc++ and libgcc.
    'Depends: libc6 (>= 2.28), libgcc-s1, libstdc++6 (>= 5.2)',
    'Section: admin',
    'Priority: optional',
    `Description: ${pkg.description}`,
    ' A standalone executable (Node.js inside): no Node.js installation is needed.',
    '',
  ].join('\n'),
)
const deb = at('dist', `pcp-harden_${pkg.version}_${arch}.deb`)
execFileSync('dpkg-deb', ['--root-owner-group', '-Zgzip', '--build', tree, deb], {
  stdio: ['ignore', 'ignore', 'inherit'],
})
console.log(deb)
