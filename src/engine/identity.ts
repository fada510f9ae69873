import {createHash} from 'node:crypto'

import type {ReportResult} from './model.js'

/**
 * What a finding is, independent of where in its file it sits: the check, the path, and its
 * evidence (or, without evidence, its message) with the things that move when a file is
 * reformatted taken out: all whitespace, `line N` references, and in messages the bare numbers
 * (counts and ages such as "3 rules" or "12 day(s) old").
 */
export function identityKey(result: Pick<ReportResult, 'check' | 'path' | 'message' | 'evidence'>): string {
  const lineRefs = /\blines? \d+(?:-\d+)?\b/gi
  const key =
    result.evidence === undefined
      ? result.message.replace(lineRefs, '').replace(/\b\d+\b/g, '#')
      : result.evidence.replace(lineRefs, '')
  return `${result.check}\0${result.path ?? ''}\0${key.replace(/\s+/g, '')}`
}

/**
 * Each result's stable identity: `CHECK-ID:` and 16 hex digits of a SHA-256 of its key. Results
 * that share a key (the same finding twice in one file) are told apart by their order: `#2`, `#3`.
 */
export function identities(
  results: readonly Pick<ReportResult, 'check' | 'path' | 'message' | 'evidence'>[],
): string[] {
  const seen = new Map<string, number>()
  return results.map((r) => {
    const key = identityKey(r)
    const n = (seen.get(key) ?? 0) + 1
    seen.set(key, n)
    const hash = createHash('sha256').update(key).digest('hex').slice(0, 16)
    return `${r.check}:${hash}${n > 1 ? `#${n}` : ''}`
  })
}

/**
 * Identities as each host's own report gives them (a fleet audit: results carry `host`): the same
 * finding on two nodes has the same identity on each, and `#2` counts within one node only.
 */
export function identitiesByHost(
  results: readonly Pick<ReportResult, 'host' | 'check' | 'path' | 'message' | 'evidence'>[],
): string[] {
  const byHost = new Map<string | undefined, number[]>()
  results.forEach((r, i) => byHost.set(r.host, [...(byHost.get(r.host) ?? []), i]))
  const ids: string[] = new Array<string>(results.length)
  for (const indexes of byHost.values()) {
    const own = identities(indexes.map((i) => results[i]!))
    indexes.forEach((i, k) => (ids[i] = own[k]!))
  }
  return ids
}
