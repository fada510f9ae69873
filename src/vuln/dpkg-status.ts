/** One package's paragraph in dpkg's status file (deb-control(5) syntax), with where it starts. */
export interface DpkgPackage {
  name: string
  version: string
  /** The Status field: `install ok installed` for an installed package. */
  status: string
  architecture?: string
  /** Line of the paragraph's Package field. */
  line: number
}

export const DPKG_STATUS = '/var/lib/dpkg/status'

export interface DpkgStatusProblem {
  line: number
  message: string
}

/**
 * The paragraphs of /var/lib/dpkg/status (deb822: `Field: value`, continuation lines start with a
 * space or tab, paragraphs end at a blank line). Only the fields a version check needs are kept.
 */
export function parseDpkgStatus(text: string): {packages: DpkgPackage[]; problems: DpkgStatusProblem[]} {
  const packages: DpkgPackage[] = []
  const problems: DpkgStatusProblem[] = []
  let fields = new Map<string, string>()
  let start = 0
  const flush = () => {
    const name = fields.get('package')
    if (name !== undefined) {
      const version = fields.get('version') ?? ''
      packages.push({
        name,
        version,
        status: fields.get('status') ?? '',
        ...(fields.has('architecture') ? {architecture: fields.get('architecture') as string} : {}),
        line: start,
      })
    }
    fields = new Map()
  }
  const lines = text.split('\n')
  for (const [index, raw] of lines.entries()) {
    const line = raw.replace(/\r$/, '')
    const number = index + 1
    if (line.trim() === '') {
      flush()
      continue
    }
    if (line.startsWith(' ') || line.startsWith('\t')) continue
    const colon = line.indexOf(':')
    if (colon <= 0) {
      problems.push({line: number, message: `not a "Field: value" line: ${line.slice(0, 60)}`})
      continue
    }
    const field = line.slice(0, colon).toLowerCase()
    if (field === 'package') start = number
    fields.set(field, line.slice(colon + 1).trim())
  }
  flush()
  return {packages, problems}
}

/** Whether dpkg counts the package as installed (its Status field's third word). */
export function isInstalled(pkg: DpkgPackage): boolean {
  const state = pkg.status.split(/\s+/)[2]
  return (
    state === 'installed' ||
    state === 'half-configured' ||
    state === 'triggers-awaited' ||
    state === 'triggers-pending' ||
    state === 'unpacked'
  )
}
