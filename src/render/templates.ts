import {existsSync} from 'node:fs'
import path from 'node:path'
import {fileURLToPath} from 'node:url'

import {Eta} from 'eta'

/** The package's templates/ folder, from src/render/, dist/render/ or the bundle in dist/. */
function templatesDir(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url))
  for (let depth = 0; depth < 4; depth++) {
    const candidate = path.join(dir, 'templates')
    if (existsSync(candidate)) return candidate
    dir = path.dirname(dir)
  }
  throw new Error('the templates folder is missing from this installation')
}

let eta: Eta | undefined

/** Render templates/NAME.eta: plain text (no HTML escaping), whitespace kept as written. */
export function renderTemplate(name: string, data: object): string {
  eta ??= new Eta({views: templatesDir(), autoEscape: false, autoTrim: false, cache: true})
  return eta.render(`./${name}`, data)
}
