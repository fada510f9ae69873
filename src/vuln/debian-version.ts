/**
 * Debian version comparison, exactly as dpkg does it (lib/dpkg/version.c: dpkg_version_compare,
 * verrevcmp and order): `[epoch:]upstream[-revision]`, the epoch compared as a number, then the
 * upstream version and the revision each compared by alternating non-digit and digit runs, where
 * `~` sorts before everything (even the end of the string), letters before other characters.
 */
export interface DebianVersion {
  epoch: number
  upstream: string
  revision: string
}

/** Parse a version as dpkg's parseversion does; undefined when dpkg would reject it. */
export function parseDebianVersion(text: string): DebianVersion | undefined {
  const version = text.trim()
  if (version === '' || /\s/.test(version)) return undefined
  const colon = version.indexOf(':')
  let epoch = 0
  if (colon !== -1) {
    const digits = version.slice(0, colon)
    if (!/^\d+$/.test(digits)) return undefined
    epoch = Number(digits)
  }
  const rest = version.slice(colon + 1)
  const hyphen = rest.lastIndexOf('-')
  const upstream = hyphen === -1 ? rest : rest.slice(0, hyphen)
  const revision = hyphen === -1 ? '' : rest.slice(hyphen + 1)
  if (upstream === '' || !/^\d/.test(upstream)) return undefined
  if (!/^[A-Za-z0-9.+~:-]*$/.test(upstream) || !/^[A-Za-z0-9.+~]*$/.test(revision)) return undefined
  return {epoch, upstream, revision}
}

/** dpkg's order(): the weight of one non-digit character; 0 stands for a digit or the end. */
function order(c: string | undefined): number {
  if (c === undefined || /\d/.test(c)) return 0
  if (/[A-Za-z]/.test(c)) return c.charCodeAt(0)
  if (c === '~') return -1
  return c.charCodeAt(0) + 256
}

/** dpkg's verrevcmp(): negative, zero or positive as a sorts before, with or after b. */
export function compareVersionPart(a: string, b: string): number {
  let i = 0
  let j = 0
  while (i < a.length || j < b.length) {
    let firstDiff = 0
    while ((i < a.length && !/\d/.test(a[i] as string)) || (j < b.length && !/\d/.test(b[j] as string))) {
      const ac = order(a[i])
      const bc = order(b[j])
      if (ac !== bc) return ac - bc
      i++
      j++
    }
    while (a[i] === '0') i++
    while (b[j] === '0') j++
    while (i < a.length && /\d/.test(a[i] as string) && j < b.length && /\d/.test(b[j] as string)) {
      if (firstDiff === 0) firstDiff = (a.charCodeAt(i) as number) - (b.charCodeAt(j) as number)
      i++
      j++
    }
    if (i < a.length && /\d/.test(a[i] as string)) return 1
    if (j < b.length && /\d/.test(b[j] as string)) return -1
    if (firstDiff !== 0) return firstDiff
  }
  return 0
}

/** Compare two parsed versions: epoch, then upstream, then revision. */
export function compareDebianVersions(a: DebianVersion, b: DebianVersion): number {
  if (a.epoch !== b.epoch) return a.epoch - b.epoch
  return compareVersionPart(a.upstream, b.upstream) || compareVersionPart(a.revision, b.revision)
}

/** Compare two version strings; throws on one dpkg would reject. */
export function compareDebianVersionStrings(a: string, b: string): number {
  const pa = parseDebianVersion(a)
  const pb = parseDebianVersion(b)
  if (!pa) throw new Error(`not a Debian version: ${a}`)
  if (!pb) throw new Error(`not a Debian version: ${b}`)
  return compareDebianVersions(pa, pb)
}
