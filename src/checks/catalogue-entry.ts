import type {Check, Profile} from './types.js'

/**
 * One line of the catalogue: a check's id and the profiles it applies to, and how to load its
 * module, which happens only when the check runs.
 */
export interface CatalogueEntry {
  id: string
  profiles: readonly Profile[]
  load(): Promise<Check>
}

export function catalogueEntry(
  id: string,
  profiles: readonly Profile[],
  load: () => Promise<{check: Check}>,
): CatalogueEntry {
  return {id, profiles, load: async () => (await load()).check}
}
