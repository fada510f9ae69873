import path from 'node:path'

import {CATALOGUE, type CatalogueEntry, findEntry} from '../checks/index.js'
import type {Check, CheckMeta, CheckResult, Profile, Severity} from '../checks/types.js'
import type {Host} from '../host/host.js'
import {InputError} from './errors.js'
import type {Report, ReportResult} from './model.js'
import {summarize} from './status.js'
import {EXPIRED_WAIVER, expiredWaiverRemedy, isExpired, type Waiver, waiverMatcher} from './waivers.js'

export interface AuditOptions {
  /** Shown in the report: the root as given, or `sample:` for the bundled host. */
  rootLabel: string
  /** The profiles to audit for (already detected or named). */
  profiles: Profile[]
  /** Run only these check ids (whatever the profiles say). */
  only?: string[]
  /** Run these checks instead of the catalogue's selection (a lint command's checks of one file). */
  checks?: Check[]
  skip?: string[]
  failOn: Severity
  waivers: Waiver[]
  now: Date
  tool: {name: string; version: string}
}

function meta(check: Check | CheckMeta): CheckMeta {
  const {id, title, severity, profiles, tags, rationale, remediation, reference, example} = check
  return {id, title, severity, profiles, tags, rationale, remediation, reference, example}
}

type Selection = Pick<AuditOptions, 'profiles' | 'only' | 'skip'>

/** The ids --check and --skip name, canonical; an id that is neither in the catalogue nor the engine's is bad input. */
function resolveIds(options: Selection): {only: string[]; skip: Set<string>} {
  const resolve = (ids: string[] | undefined, flag: string) =>
    (ids ?? []).map((id) => {
      if (id.toUpperCase() === EXPIRED_WAIVER.id) return EXPIRED_WAIVER.id
      const found = findEntry(id)
      if (!found) throw new InputError(`--${flag} ${id}: no such check (see: pcp-harden checks list)`)
      return found.id
    })
  return {only: resolve(options.only, 'check'), skip: new Set(resolve(options.skip, 'skip'))}
}

/** Whether the engine's own check (expired waivers) runs: like any other, --check and --skip select it. */
export function selectsWaiverCheck(options: Selection): boolean {
  const {only, skip} = resolveIds(options)
  if (skip.has(EXPIRED_WAIVER.id)) return false
  return only.length === 0 || only.includes(EXPIRED_WAIVER.id)
}

/** The catalogue entries a run selects; unknown ids are bad input. */
export function selectChecks(options: Selection): CatalogueEntry[] {
  const {only, skip} = resolveIds(options)
  return CATALOGUE.filter((entry) => {
    if (skip.has(entry.id)) return false
    if (only.length > 0) return only.includes(entry.id)
    return entry.profiles.some((p) => options.profiles.includes(p))
  })
}

async function runOne(check: Check, host: Host): Promise<CheckResult[]> {
  try {
    return await check.run(host)
  } catch (error) {
    // A bug or an unexpected state in one check must not hide the results of the others.
    const text = error instanceof Error ? error.message : String(error)
    return [{status: 'error', message: `the check could not run: ${text}`}]
  }
}

const DENIED = /^(?:(\/.*): )?permission denied$/

/**
 * The directory that stopped a denied read of `denied`: the first directory on its way from the
 * root whose entry cannot be looked up (not searchable by this user), else the path itself when it
 * is a directory (not listable), else the directory holding the unreadable file.
 */
export async function blockingDirectory(host: Host, denied: string): Promise<string> {
  const parts = denied.split('/').filter(Boolean)
  for (let i = 0; i < parts.length; i++) {
    const parent = '/' + parts.slice(0, i).join('/')
    const child = await host.stat('/' + parts.slice(0, i + 1).join('/'))
    if (!child.ok) return child.missing ? path.posix.dirname(denied) : parent
  }
  const self = await host.stat(denied, {follow: true})
  return self.ok && self.value.type === 'dir' ? denied : path.posix.dirname(denied)
}

/** Run the selected checks against a host and build the report every format renders. */
export async function runAudit(host: Host, options: AuditOptions): Promise<Report> {
  const checks = options.checks ?? (await Promise.all(selectChecks(options).map((entry) => entry.load())))
  // A failure to start is the check's to report when it runs.
  await Promise.all(checks.map((check) => check.start?.(host).catch(() => undefined)))
  const outcomes = await Promise.all(checks.map((check) => runOne(check, host)))

  const active = options.waivers.filter((w) => !isExpired(w, options.now))
  const matchers = active.map((w) => ({waiver: w, matches: waiverMatcher(w)}))
  const results: ReportResult[] = []
  checks.forEach((check, index) => {
    for (const r of outcomes[index] ?? []) {
      const result: ReportResult = {
        check: check.id,
        title: check.title,
        severity: r.severity ?? check.severity,
        status: r.status,
        ...(r.path === undefined ? {} : {path: r.path}),
        ...(r.line === undefined ? {} : {line: r.line}),
        // Host lookups name their path ("/x: permission denied"); the result names it already.
        message:
          r.path !== undefined && r.message.startsWith(`${r.path}: `)
            ? r.message.slice(r.path.length + 2)
            : r.message,
        ...(r.evidence === undefined ? {} : {evidence: r.evidence}),
        remediation: check.remediation,
        ...(r.status === 'fail' && r.fix !== undefined ? {fix: r.fix} : {}),
        ...(r.status === 'fail' && r.remedy !== undefined ? {remedy: r.remedy} : {}),
      }
      if (r.status === 'fail' || r.status === 'error') {
        const hit = matchers.find((m) => m.matches(check.id, r.path))
        if (hit)
          result.waived = {reason: hit.waiver.reason, expires: hit.waiver.expires, source: hit.waiver.source}
      }
      results.push(result)
    }
  })
  await Promise.all(
    results.map(async (result) => {
      const denied = result.status === 'error' ? DENIED.exec(result.message) : null
      const target = denied?.[1] ?? result.path
      if (denied && target !== undefined) result.deniedIn = await blockingDirectory(host, target)
    }),
  )

  const expired = selectsWaiverCheck(options) ? options.waivers.filter((w) => isExpired(w, options.now)) : []
  for (const w of expired) {
    results.push({
      check: EXPIRED_WAIVER.id,
      title: EXPIRED_WAIVER.title,
      severity: EXPIRED_WAIVER.severity,
      status: 'fail',
      path: w.file,
      line: w.line,
      message: `the waiver for ${w.check}${w.path ? ` on ${w.path}` : ''} expired on ${w.expires} and no longer applies ("${w.reason}")`,
      remediation: EXPIRED_WAIVER.remediation,
      ...expiredWaiverRemedy(w),
    })
  }

  return {
    tool: options.tool,
    root: options.rootLabel,
    profiles: options.profiles,
    failOn: options.failOn,
    checks: [...checks.map(meta), ...(expired.length > 0 ? [EXPIRED_WAIVER] : [])],
    results,
    summary: summarize(results, options.failOn),
  }
}
